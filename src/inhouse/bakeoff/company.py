"""A company's own files as bench data: tickets -> IntentData, tickets + articles ->
RetrievalData, catalog + events -> RecommendData.

Tickets get a seeded split stratified by intent; tickets naming the article that answered them
a seeded dev / test split; events are left-last-out per user (last event = test, the one before
= validation), like the public benchmarks.
"""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl

from inhouse.datasets.types import IntentData, RecCase, RecommendData, RetrievalData, RetrievalQuery
from inhouse.errors import InhouseError

SEED = 0
TEST_FRACTION = 0.2
VALID_FRACTION = 0.1
DEV_FRACTION = 0.3  # of the tickets that name an article: dev, the rest test
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


def split_queries(
    tickets: pl.DataFrame,
    articles: pl.DataFrame,
    name: str = "company-articles",
    seed: int = SEED,
    dev_fraction: float = DEV_FRACTION,
) -> RetrievalData:
    """Article search on company files: each ticket whose `article_id` names the article that
    answered it is a query; a seeded share of them is dev, the rest test."""
    linked = tickets.filter(pl.col("article_id").is_not_null() & (pl.col("article_id") != ""))
    if linked.height == 0:
        raise InhouseError(
            f"{name}: to score article search, the bake-off needs tickets that name the article "
            "that answered them, and no ticket does; add an article_id column to the tickets "
            "(see docs/data.md), or drop --articles"
        )
    unknown = sorted(set(linked["article_id"].to_list()) - set(articles["article_id"].to_list()))
    if unknown:
        shown = ", ".join(repr(a) for a in unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        raise InhouseError(
            f"{name}: {len(unknown)} article id(s) named by tickets are not in the articles "
            f"file ({shown}); fix the tickets' article_id, or leave it empty where none applies"
        )
    queries = [
        RetrievalQuery(query_id=t, text=x, relevant=[a])
        for t, x, a in linked.select("ticket_id", "text", "article_id").iter_rows()
    ]
    random.Random(seed).shuffle(queries)
    n_dev = min(round(len(queries) * dev_fraction), len(queries) - 1)
    return RetrievalData(
        name=name,
        articles=articles,
        dev=queries[:n_dev],
        test=queries[n_dev:],
        protocol=(
            f"company articles; queries = the {len(queries)} tickets naming the article that "
            f"answered them, a seeded ({seed}) {dev_fraction:.0%} dev, the rest test; "
            "recall@10/20 and MRR on test"
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


def load_support(
    tickets: Path, articles: Path | None = None
) -> tuple[IntentData, RetrievalData | None]:
    """Read and validate the tickets (and the articles, if given) before any work, then split:
    routing on the tickets, article search when `articles` is given (see `split_queries`)."""
    from inhouse.data import read_articles, read_tickets

    frame = read_tickets(tickets)
    docs = read_articles(articles) if articles is not None else None
    name = Path(tickets).stem
    intents = split_tickets(frame, name=name)
    if docs is None or articles is None:
        return intents, None
    return intents, split_queries(frame, docs, name=f"{name} + {Path(articles).stem}")


def load_events(catalog: Path, events: Path) -> RecommendData:
    """Read and validate a catalog and an events file, then split them."""
    from inhouse.data import read_catalog, read_events

    cat = read_catalog(catalog)
    return split_events(cat, read_events(events, catalog=cat), name=Path(events).stem)
