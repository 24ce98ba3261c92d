"""A company's own files as bench data: tickets -> IntentData, tickets + articles ->
RetrievalData, catalog + events -> RecommendData.

Tickets get a seeded split stratified by intent; tickets naming the article that answered them
a seeded dev / test split; events are left-last-out per user (last event = test, the one before
= validation), like the public benchmarks, with equal timestamps ordered by
`inhouse.data.order.TIE_RULE` and the users that rule decided counted.
"""

from __future__ import annotations

import random
from pathlib import Path

import polars as pl

from inhouse.data.order import TIE_RULE, sort_events, tied_users
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
    test: pl.DataFrame | None = None,
) -> IntentData:
    """A seeded split stratified by intent: per intent, shuffled, then test / valid / train.

    Every intent keeps at least one training ticket; an intent with one ticket is train-only.
    Written by hand because sklearn's stratified split refuses intents with one or two tickets.
    With `test` (the company's own test tickets), nothing of `tickets` is held out for testing:
    they split into validation and train only, and `test` is the test set.
    """
    if test is not None:
        test_fraction = 0.0
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

    protocol = (
        f"company tickets, seeded ({seed}) split stratified by intent: "
        f"{test_fraction:.0%} test, {valid_fraction:.0%} validation, the rest train"
    )
    if test is None:
        test = take("test")
    else:
        test = test.filter(pl.col("intent").is_not_null() & (pl.col("intent") != "")).select(cols)
        protocol = (
            f"company tickets: the {test.height} tickets of the own test file are the test set; "
            f"the training file is split seeded ({seed}) and stratified by intent into "
            f"{valid_fraction:.0%} validation and the rest train"
        )
    if test.height == 0:
        raise InhouseError(f"{name}: too few labelled tickets to hold any out for testing")
    return IntentData(
        name=name,
        train=take("train"),
        valid=take("valid"),
        test=test,
        intents=intents,
        protocol=protocol,
    )


def split_queries(
    tickets: pl.DataFrame,
    articles: pl.DataFrame,
    name: str = "company-articles",
    seed: int = SEED,
    dev_fraction: float = DEV_FRACTION,
    test: pl.DataFrame | None = None,
) -> RetrievalData:
    """Article search on company files: each ticket whose `article_id` names the article that
    answered it is a query; a seeded share of them is dev, the rest test. With `test` (the
    company's own test tickets), all of `tickets`' queries are dev and `test`'s are the test."""
    queries = _queries(tickets, articles, name, "tickets")
    if test is not None:
        test_queries = _queries(test, articles, name, "test tickets (--test-tickets)")
        return RetrievalData(
            name=name,
            articles=articles,
            dev=queries,
            test=test_queries,
            protocol=(
                f"company articles; queries = tickets naming the article that answered them: "
                f"the {len(test_queries)} of the own test file are the test, the "
                f"{len(queries)} of the training file dev; recall@10/20 and MRR on test"
            ),
        )
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


def _queries(
    tickets: pl.DataFrame, articles: pl.DataFrame, name: str, what: str
) -> list[RetrievalQuery]:
    """The tickets whose `article_id` names a known article, as queries."""
    linked = tickets.filter(pl.col("article_id").is_not_null() & (pl.col("article_id") != ""))
    if linked.height == 0:
        raise InhouseError(
            f"{name}: to score article search, the bake-off needs {what} that name the article "
            "that answered them, and none does; add an article_id column to them "
            "(see docs/data.md), or drop --articles"
        )
    unknown = sorted(set(linked["article_id"].to_list()) - set(articles["article_id"].to_list()))
    if unknown:
        shown = ", ".join(repr(a) for a in unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        raise InhouseError(
            f"{name}: {len(unknown)} article id(s) named by {what} are not in the articles "
            f"file ({shown}); fix their article_id, or leave it empty where none applies"
        )
    return [
        RetrievalQuery(query_id=t, text=x, relevant=[a])
        for t, x, a in linked.select("ticket_id", "text", "article_id").iter_rows()
    ]


def split_events(
    catalog: pl.DataFrame,
    events: pl.DataFrame,
    name: str = "company-events",
    test: pl.DataFrame | None = None,
) -> RecommendData:
    """Left-last-out per user, by time: last event = test, the one before = validation.

    Users with fewer than `MIN_EVENTS` events only contribute training events. With `test`
    (the company's own test events), each user's last event of `events` is the validation
    target, and a test case is a user of `test` with history in `events`: that whole history,
    then the user's test items as targets.
    """
    own = test is not None
    need = 2 if own else MIN_EVENTS  # own test: a train event and a validation target suffice
    ev = (
        sort_events(events)
        .with_columns(
            pl.int_range(pl.len()).over("user_id").alias("_pos"),
            pl.len().over("user_id").alias("_n"),
        )
        .with_columns((pl.col("_n") >= need).alias("_eval"))
    )
    is_test = pl.lit(not own) & pl.col("_eval") & (pl.col("_pos") == pl.col("_n") - 1)
    is_valid = pl.col("_eval") & (pl.col("_pos") == pl.col("_n") - (1 if own else 2))
    keep = [c for c in events.columns]
    train = ev.filter(~is_test & ~is_valid)
    valid_t = ev.filter(is_valid)
    ties: dict[str, int | str] = {
        "users": tied_users(events),
        "held_out": _tied_targets(ev, held=1 if own else 2),
        "of": events["user_id"].n_unique(),
        "rule": TIE_RULE,
    }
    hist: dict[str, list[str]] = {}
    for user, item in train.filter(pl.col("_eval")).select("user_id", "item_id").iter_rows():
        hist.setdefault(user, []).append(item)
    valid_item = dict(valid_t.select("user_id", "item_id").iter_rows())
    valid_cases = [
        RecCase(user_id=u, history=list(hist.get(u, [])), targets=[i])
        for u, i in valid_t.select("user_id", "item_id").iter_rows()
    ]
    if test is not None:
        test_cases, protocol = _own_test_cases(ev, test, name)
    else:
        test_cases = [
            RecCase(user_id=u, history=[*hist.get(u, []), valid_item[u]], targets=[i])
            for u, i in ev.filter(is_test).select("user_id", "item_id").iter_rows()
        ]
        protocol = (
            "company events, left-last-out per user by time: last event = test, the one before "
            f"= validation (users with >= {MIN_EVENTS} events)"
        )
    if not test_cases:
        raise InhouseError(
            f"{name}: no user has {MIN_EVENTS} or more events, so nothing can be held out; "
            "bring more history per user"
        )
    return RecommendData(
        name=name,
        catalog=catalog,
        train_events=train.select(keep),
        valid_events=valid_t.select(keep),
        valid=valid_cases,
        test=test_cases,
        protocol=f"{protocol}; rank all items, history excluded; {TIE_RULE}",
        ties=ties,
    )


def _own_test_cases(ev: pl.DataFrame, test: pl.DataFrame, name: str) -> tuple[list[RecCase], str]:
    """A test case per user of the own test events who has history in the training file."""
    history = dict(ev.group_by("user_id", maintain_order=True).agg("item_id").iter_rows())
    targets = (
        sort_events(test)
        .group_by("user_id", maintain_order=True)
        .agg(pl.col("item_id").unique(maintain_order=True))
    )
    cases = [
        RecCase(user_id=u, history=list(history[u]), targets=list(t))
        for u, t in targets.iter_rows()
        if u in history
    ]
    if not cases:
        raise InhouseError(
            f"{name}: no user of the --test-events file has events in the --events file, so "
            "no test user has a history to recommend from; pass test events of known users"
        )
    cold = targets.height - len(cases)
    return cases, (
        f"company events with their own test split: the {len(cases)} users of the test file "
        "with history in the training file (their test items are the targets"
        + (f"; {cold} users without history left out" if cold else "")
        + "); each user's last training event = validation"
    )


def _tied_targets(ev: pl.DataFrame, held: int) -> int:
    """Users whose held-out events (the last `held`) share their timestamp with another of
    their items: the users whose held-out events the tie rule, not the clock, decided."""
    target = pl.col("_eval") & (pl.col("_pos") >= pl.col("_n") - held)
    spread = pl.col("item_id").n_unique().over("user_id", "timestamp")
    return ev.filter(target & (spread > 1))["user_id"].n_unique()


def load_support(
    tickets: Path, articles: Path | None = None, test_tickets: Path | None = None
) -> tuple[IntentData, RetrievalData | None]:
    """Read and validate the tickets (the own test tickets and the articles, if given) before
    any work, then split: routing on the tickets, article search when `articles` is given (see
    `split_queries`). Test tickets must use the training file's intents."""
    from inhouse.data import read_articles, read_tickets

    frame = read_tickets(tickets)
    test = None
    if test_tickets is not None:
        known = {i for i in frame["intent"].to_list() if i}
        test = read_tickets(test_tickets, intents=known)
    docs = read_articles(articles) if articles is not None else None
    name = Path(tickets).stem
    intents = split_tickets(frame, name=name, test=test)
    if docs is None or articles is None:
        return intents, None
    return intents, split_queries(frame, docs, name=f"{name} + {Path(articles).stem}", test=test)


def load_events(catalog: Path, events: Path, test_events: Path | None = None) -> RecommendData:
    """Read and validate a catalog and an events file (and the own test events), then split."""
    from inhouse.data import read_catalog, read_events

    cat = read_catalog(catalog)
    train = read_events(events, catalog=cat)
    test = read_events(test_events, catalog=cat) if test_events is not None else None
    return split_events(cat, train, name=Path(events).stem, test=test)
