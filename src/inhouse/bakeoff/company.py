"""A company's own files as bench data: tickets -> IntentData, catalog + events -> RecommendData.

Tickets get a seeded split stratified by intent; events are left-last-out per user (last event
= test, the one before = validation), like the public benchmarks.
"""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl

from inhouse.datasets.types import IntentData, RecCase, RecommendData
from inhouse.errors import InhouseError

SEED = 0
TEST_FRACTION = 0.2
VALID_FRACTION = 0.1
MIN_EVENTS = 3  # a user needs a train event, a validation target and a test target


def split_tickets(
    tickets: pl.DataFrame,
    name: str = "company-tickets",
    seed: int = SEED,
    test_fraction: float = TEST_FRACTION,
    valid_fraction: float = VALID_FRACTION,
) -> IntentData:
    """A seeded split stratified by intent: per intent, shuffled, then test / valid / train.

    Every intent keeps at least one training ticket; an intent with one ticket is train-only.
    Written by hand because sklearn's stratified split refuses intents with one or two tickets.
    """
    labelled = tickets.filter(pl.col("intent").is_not_null() & (pl.col("intent") != ""))
    intents = sorted(set(labelled["intent"].to_list()))
    if len(intents) < 2:
        raise InhouseError(
            f"{name}: intent routing needs tickets with at least two different intents in the "
            f"`intent` column (found {len(intents)}); label some tickets and retry"
        )
    rng = random.Random(seed)
    parts: dict[str, list[int]] = {"train": [], "valid": [], "test": []}
    rows = labelled.with_row_index("_row")
    for intent in intents:
        idx = rows.filter(pl.col("intent") == intent)["_row"].to_list()
        rng.shuffle(idx)
        n = len(idx)
        n_test = min(round(n * test_fraction), n - 1)
        n_valid = min(round(n * valid_fraction), n - 1 - n_test)
        parts["test"] += idx[:n_test]
        parts["valid"] += idx[n_test : n_test + n_valid]
        parts["train"] += idx[n_test + n_valid :]
    cols = ["ticket_id", "text", "intent"]

    def take(key: str) -> pl.DataFrame:
        return rows.filter(pl.col("_row").is_in(sorted(parts[key]))).select(cols)

    test = take("test")
    if test.height == 0:
        raise InhouseError(f"{name}: too few labelled tickets to hold any out for testing")
    return IntentData(
        name=name,
        train=take("train"),
        valid=take("valid"),
        test=test,
        intents=intents,
        protocol=(
            f"company tickets, seeded ({seed}) split stratified by intent: "
            f"{test_fraction:.0%} test, {valid_fraction:.0%} validation, the rest train"
        ),
    )


def split_events(
    catalog: pl.DataFrame, events: pl.DataFrame, name: str = "company-events"
) -> RecommendData:
    """Left-last-out per user, by time: last event = test, the one before = validation.

    Users with fewer than `MIN_EVENTS` events only contribute training events.
    """
    ev = (
        events.sort("user_id", "timestamp", maintain_order=True)
        .with_columns(
            pl.int_range(pl.len()).over("user_id").alias("_pos"),
            pl.len().over("user_id").alias("_n"),
        )
        .with_columns((pl.col("_n") >= MIN_EVENTS).alias("_eval"))
    )
    is_test = pl.col("_eval") & (pl.col("_pos") == pl.col("_n") - 1)
    is_valid = pl.col("_eval") & (pl.col("_pos") == pl.col("_n") - 2)
    keep = [c for c in events.columns]
    train = ev.filter(~is_test & ~is_valid)
    valid_t = ev.filter(is_valid)
    test_t = ev.filter(is_test)
    if test_t.height == 0:
        raise InhouseError(
            f"{name}: no user has {MIN_EVENTS} or more events, so nothing can be held out; "
            "bring more history per user"
        )
    hist: dict[str, list[str]] = {}
    for user, item in train.filter(pl.col("_eval")).select("user_id", "item_id").iter_rows():
        hist.setdefault(user, []).append(item)
    valid_cases, test_cases = [], []
    valid_item = dict(valid_t.select("user_id", "item_id").iter_rows())
    for user, item in test_t.select("user_id", "item_id").iter_rows():
        h = hist.get(user, [])
        valid_cases.append(RecCase(user_id=user, history=list(h), targets=[valid_item[user]]))
        test_cases.append(RecCase(user_id=user, history=[*h, valid_item[user]], targets=[item]))
    return RecommendData(
        name=name,
        catalog=catalog,
        train_events=train.select(keep),
        valid_events=valid_t.select(keep),
        valid=valid_cases,
        test=test_cases,
        protocol=(
            "company events, left-last-out per user by time: last event = test, the one before "
            f"= validation (users with >= {MIN_EVENTS} events); rank all items, history excluded"
        ),
    )


def load_tickets(path: Path) -> IntentData:
    """Read and validate a tickets file, then split it."""
    from inhouse.data import read_tickets

    return split_tickets(read_tickets(path), name=Path(path).stem)


def load_events(catalog: Path, events: Path) -> RecommendData:
    """Read and validate a catalog and an events file, then split them."""
    from inhouse.data import read_catalog, read_events

    cat = read_catalog(catalog)
    return split_events(cat, read_events(events, catalog=cat), name=Path(events).stem)
