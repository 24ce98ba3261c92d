"""Loaders of the support benchmarks: banking77, clinc150, bank-help-center, bitext-support.

Ticket frames use the company-data columns (ticket_id, text, intent[, resolution]); article
frames use article_id, title, body. A ticket id is `<file split>-<row number>` in the original
file, so the same question keeps its id whichever split it lands in.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from sklearn.model_selection import train_test_split

from inhouse.datasets.types import IntentData, ResponseData, RetrievalData, RetrievalQuery

SEED = 0
BANKING77_VALID_FRACTION = 0.1
BITEXT_TEST_FRACTION = 0.2
BANK_HELP_DEV = 30
CLINC_OOS = "oos"


def _stratified_split(
    frame: pl.DataFrame, fraction: float, by: str, seed: int = SEED
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split rows into (rest, held out) with `fraction` of each `by` class held out, seeded."""
    rows = list(range(frame.height))
    rest, held = train_test_split(
        rows, test_size=fraction, random_state=seed, stratify=frame[by].to_list()
    )
    return frame[sorted(rest)], frame[sorted(held)]


def _tickets(frame: pl.DataFrame, split: str) -> pl.DataFrame:
    return frame.with_row_index("row").select(
        pl.format("{}-{}", pl.lit(split), pl.col("row")).alias("ticket_id"),
        pl.exclude("row"),
    )


def load_banking77(folder: Path, name: str, protocol: str) -> IntentData:
    """Banking77: train.csv minus a seeded stratified 10 % (the valid split), and test.csv."""
    intents = json.loads((folder / "categories.json").read_text(encoding="utf-8"))

    def read(split: str) -> pl.DataFrame:
        frame = pl.read_csv(folder / f"{split}.csv", schema_overrides=[pl.String, pl.String])
        return _tickets(frame.rename({"category": "intent"}), split)

    train, valid = _stratified_split(read("train"), BANKING77_VALID_FRACTION, "intent")
    return IntentData(
        name=name,
        train=train,
        valid=valid,
        test=read("test"),
        intents=list(intents),
        protocol=protocol,
    )


def load_clinc150(folder: Path, name: str, protocol: str) -> IntentData:
    """CLINC150 `data_full.json`: each split with its out-of-scope rows appended as `oos`."""
    data = json.loads((folder / "data_full.json").read_text(encoding="utf-8"))

    def split(key: str) -> pl.DataFrame:
        frames = [
            _tickets(pl.DataFrame(data[k], schema=["text", "intent"], orient="row"), k)
            for k in (key, f"oos_{key}")
        ]
        return pl.concat(frames)

    train = split("train")
    intents = sorted(set(train["intent"].to_list()) - {CLINC_OOS})
    return IntentData(
        name=name,
        train=train,
        valid=split("val"),
        test=split("test"),
        intents=intents,
        protocol=protocol,
        oos_label=CLINC_OOS,
    )


def load_bank_help_center(folder: Path, name: str, protocol: str) -> RetrievalData:
    """τ²-bench banking_knowledge: 698 articles; 97 scenarios, the first 30 for development."""
    docs = [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((folder / "documents").glob("*.json"))
    ]
    articles = pl.DataFrame(
        {
            "article_id": [d["id"] for d in docs],
            "title": [d["title"] for d in docs],
            "body": [d["content"] for d in docs],
        },
        schema={"article_id": pl.String, "title": pl.String, "body": pl.String},
    )
    tasks = json.loads((folder / "tasks.json").read_text(encoding="utf-8"))
    queries = [
        RetrievalQuery(
            query_id=t["id"],
            text=t["user_scenario"]["instructions"],
            relevant=list(t["required_documents"]),
        )
        for t in tasks
    ]
    return RetrievalData(
        name=name,
        articles=articles,
        dev=queries[:BANK_HELP_DEV],
        test=queries[BANK_HELP_DEV:],
        protocol=protocol,
    )


def load_bitext_support(folder: Path, name: str, protocol: str) -> ResponseData:
    """Bitext customer support: a seeded (0) hold-out of 20 % per intent as test."""
    raw = pl.read_csv(
        folder / "customer_support.csv",
        columns=["instruction", "intent", "category", "response"],
        infer_schema=False,
    )
    tickets = _tickets(
        raw.select(
            pl.col("instruction").alias("text"),
            "intent",
            pl.col("response").alias("resolution"),
        ),
        "ticket",
    )
    train, test = _stratified_split(tickets, BITEXT_TEST_FRACTION, "intent")
    categories = dict(raw.select("intent", "category").unique().sort("intent").iter_rows())
    return ResponseData(name=name, train=train, test=test, protocol=protocol, categories=categories)
