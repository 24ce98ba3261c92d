"""Loaders of the recommend benchmarks: amazon-scientific, goodbooks-sample, online-retail.

Each returns a `RecommendData` whose frames use the company-data columns: catalog
(item_id, title, description, tags, category, url) and events (user_id, item_id, timestamp,
event, value). Ids are strings; a field a dataset does not have is null.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from inhouse.data.order import sort_events
from inhouse.datasets.types import RecCase, RecommendData

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "user_id": pl.String(),
    "item_id": pl.String(),
    "timestamp": pl.Datetime("us", "UTC"),
    "event": pl.String(),
    "value": pl.Float64(),
}
CATALOG_COLUMNS = ["item_id", "title", "description", "tags", "category", "url"]

# Datasets without real times get one synthetic second per position, from this origin:
# the order within a user is real, the times themselves are not.
SYNTHETIC_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)

# Non-product stock codes of Online Retail (postage, fees, manual entries), per its PROVENANCE.md.
RETAIL_NON_PRODUCT = (
    "POST",
    "D",
    "M",
    "m",
    "DOT",
    "BANK CHARGES",
    "AMAZONFEE",
    "C2",
    "CRUK",
    "S",
    "B",
)
RETAIL_PERIOD = timedelta(days=30)


def _catalog(frame: pl.DataFrame) -> pl.DataFrame:
    """Add the catalog columns a dataset lacks (as nulls) and put them in order."""
    missing: dict[str, pl.DataType] = {
        "description": pl.String(),
        "tags": pl.List(pl.String),
        "category": pl.String(),
        "url": pl.String(),
    }
    frame = frame.with_columns(
        pl.lit(None, dtype=dtype).alias(col)
        for col, dtype in missing.items()
        if col not in frame.columns
    )
    return frame.select(CATALOG_COLUMNS)


def _events(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col(c).cast(t) for c, t in EVENT_SCHEMA.items())


def _positional_time(position: pl.Expr) -> pl.Expr:
    return pl.lit(SYNTHETIC_ORIGIN) + pl.duration(seconds=position)


def _cases(frame: pl.DataFrame) -> list[RecCase]:
    """RecCases from a frame of user_id, history (list), targets (list)."""
    return [
        RecCase(user_id=u, history=list(h), targets=list(t))
        for u, h, t in frame.select("user_id", "history", "targets").iter_rows()
    ]


# ---------------------------------------------------------------- amazon-scientific


def _read_inter(path: Path) -> pl.DataFrame:
    """A RecBole `.inter` file as user_id, history (list of ids), item_id, in file order."""
    frame = pl.read_csv(path, separator="\t", quote_char=None, schema_overrides=[pl.String] * 3)
    frame.columns = ["user_id", "history", "item_id"]
    return frame.with_columns(pl.col("history").str.split(" "))


def load_amazon_scientific(folder: Path, name: str, protocol: str) -> RecommendData:
    """Amazon "Industrial & Scientific" in RecBole's leave-one-out files.

    Item ids are the integer ids of `Scientific.item2index` (as strings), as in the `.inter`
    files; the item text (title, category path, brand) is the title and the ASIN gives the url.
    A user's sequence is rebuilt from `train.inter` (every prefix, longest first), so the few
    test histories truncated at 50 items do not lose events. Every user has train rows here
    (5-core data); one without would have no training events.
    """
    item2index = pl.read_csv(
        folder / "Scientific.item2index",
        separator="\t",
        has_header=False,
        new_columns=["asin", "item_id"],
        schema_overrides=[pl.String, pl.String],
        quote_char=None,
    )
    text = pl.read_csv(
        folder / "Scientific.text",
        separator="\t",
        quote_char=None,
        schema_overrides=[pl.String, pl.String],
    )
    text.columns = ["asin", "title"]
    catalog = item2index.join(text, on="asin", how="left").with_columns(
        pl.col("title").str.strip_chars(),
        ("https://www.amazon.com/dp/" + pl.col("asin")).alias("url"),
    )
    catalog = _catalog(catalog.sort(pl.col("item_id").cast(pl.Int64)))

    train = _read_inter(folder / "Scientific.train.inter")
    valid = _read_inter(folder / "Scientific.valid.inter")
    test = _read_inter(folder / "Scientific.test.inter")

    # Training sequence: the first item of the shortest prefix (the last row of a user), then
    # the targets of every prefix, shortest first.
    sequence = (
        train.group_by("user_id", maintain_order=True)
        .agg(pl.col("history").last().list.first().alias("first"), pl.col("item_id").reverse())
        .select("user_id", pl.concat_list("first", "item_id").alias("item_id"))
        .explode("item_id")
        .with_columns(pl.int_range(pl.len()).over("user_id").alias("position"))
    )
    length = sequence.group_by("user_id").agg(pl.len().alias("n"))

    train_events = _events(
        sequence.with_columns(
            _positional_time(pl.col("position")).alias("timestamp"),
            pl.lit("review").alias("event"),
            pl.lit(1.0).alias("value"),
        )
    )
    valid_events = _events(
        valid.join(length, on="user_id", how="left").with_columns(
            _positional_time(pl.col("n").fill_null(0)).alias("timestamp"),
            pl.lit("review").alias("event"),
            pl.lit(1.0).alias("value"),
        )
    )
    as_cases = [
        pl.col("user_id"),
        pl.col("history"),
        pl.concat_list(pl.col("item_id")).alias("targets"),
    ]
    return RecommendData(
        name=name,
        catalog=catalog,
        train_events=train_events,
        valid_events=valid_events,
        valid=_cases(valid.select(as_cases)),
        test=_cases(test.select(as_cases)),
        protocol=protocol,
    )


# ---------------------------------------------------------------- goodbooks-sample


def load_goodbooks_sample(folder: Path, name: str, protocol: str) -> RecommendData:
    """Goodbooks-10k 5 % user sample: file order is time order; last = test, one before = valid."""
    books = pl.read_csv(
        folder / "books.csv",
        columns=["book_id", "goodreads_book_id", "title", "authors", "original_publication_year"],
        schema_overrides={"book_id": pl.String, "goodreads_book_id": pl.String},
    )
    genres = pl.read_csv(
        folder / "book_metadata_genres.csv",
        columns=["book_id", "genres"],
        schema_overrides={"book_id": pl.String},
    )
    year = pl.col("original_publication_year").cast(pl.Int64, strict=False)
    catalog = books.join(genres, on="book_id", how="left").select(
        pl.col("book_id").alias("item_id"),
        pl.col("title"),
        pl.when(year.is_not_null())
        .then(pl.format("by {}, first published {}", pl.col("authors"), year))
        .otherwise(pl.format("by {}", pl.col("authors")))
        .alias("description"),
        pl.col("genres")
        .str.split(",")
        .list.eval(pl.element().filter(pl.element() != ""))
        .alias("tags"),
        ("https://www.goodreads.com/book/show/" + pl.col("goodreads_book_id")).alias("url"),
    )
    catalog = _catalog(catalog.sort(pl.col("item_id").cast(pl.Int64)))

    ratings = pl.read_csv(
        folder / "ratings_random.csv", schema_overrides={"user_id": pl.String, "book_id": pl.String}
    )
    position = pl.int_range(pl.len()).over("user_id")
    events = ratings.select(
        "user_id",
        pl.col("book_id").alias("item_id"),
        _positional_time(position).alias("timestamp"),
        pl.lit("rating").alias("event"),
        pl.col("rating").cast(pl.Float64).alias("value"),
        position.alias("position"),
        pl.len().over("user_id").alias("n"),
    )
    return _leave_last_two_out(name, catalog, events, protocol)


def _leave_last_two_out(
    name: str, catalog: pl.DataFrame, events: pl.DataFrame, protocol: str
) -> RecommendData:
    """Split events (with per-user `position` and length `n`): last = test, one before = valid."""
    train = events.filter(pl.col("position") < pl.col("n") - 2)
    valid_t = events.filter(pl.col("position") == pl.col("n") - 2)
    test_t = events.filter(pl.col("position") == pl.col("n") - 1)
    hist_valid = train.group_by("user_id", maintain_order=True).agg(
        pl.col("item_id").alias("history")
    )
    hist_test = (
        events.filter(pl.col("position") < pl.col("n") - 1)
        .group_by("user_id", maintain_order=True)
        .agg(pl.col("item_id").alias("history"))
    )

    def cases(targets: pl.DataFrame, history: pl.DataFrame) -> list[RecCase]:
        frame = targets.join(history, on="user_id", how="inner", maintain_order="left").select(
            "user_id", "history", pl.concat_list("item_id").alias("targets")
        )
        return _cases(frame)

    return RecommendData(
        name=name,
        catalog=catalog,
        train_events=_events(train),
        valid_events=_events(valid_t),
        valid=cases(valid_t, hist_valid),
        test=cases(test_t, hist_test),
        protocol=protocol,
    )


# ---------------------------------------------------------------- online-retail


def load_online_retail(folder: Path, name: str, protocol: str) -> RecommendData:
    """UCI Online Retail: last 30 days = test, the 30 days before = valid, next-basket cases."""
    items = pl.read_csv(
        folder / "items.csv",
        columns=["stock_code", "description"],
        schema_overrides={"stock_code": pl.String, "description": pl.String},
    )
    catalog = _catalog(
        items.filter(~pl.col("stock_code").is_in(RETAIL_NON_PRODUCT)).select(
            pl.col("stock_code").alias("item_id"), pl.col("description").alias("title")
        )
    )
    purchases = pl.read_csv(
        folder / "purchases.csv.gz",
        columns=["customer_id", "stock_code", "unix_ts", "quantity"],
        schema_overrides={"customer_id": pl.String, "stock_code": pl.String},
    )
    events = purchases.filter(~pl.col("stock_code").is_in(RETAIL_NON_PRODUCT)).select(
        pl.col("customer_id").alias("user_id"),
        pl.col("stock_code").alias("item_id"),
        pl.from_epoch("unix_ts", time_unit="s").dt.replace_time_zone("UTC").alias("timestamp"),
        pl.lit("purchase").alias("event"),
        pl.col("quantity").cast(pl.Float64).alias("value"),
    )
    events = sort_events(_events(events), by_user=False)  # one time line, ties by TIE_RULE
    end = events["timestamp"].max()
    assert isinstance(end, datetime), "online-retail: no purchases"
    test_start = end - RETAIL_PERIOD
    valid_start = test_start - RETAIL_PERIOD

    def baskets(start: datetime, stop: datetime) -> list[RecCase]:
        history = (
            events.filter(pl.col("timestamp") < start)
            .group_by("user_id", maintain_order=True)
            .agg(pl.col("item_id").alias("history"))
        )
        period = events.filter((pl.col("timestamp") >= start) & (pl.col("timestamp") < stop))
        targets = period.group_by("user_id", maintain_order=True).agg(
            pl.col("item_id").unique(maintain_order=True).alias("targets")
        )
        frame = targets.join(history, on="user_id", how="inner", maintain_order="left")
        return _cases(frame.sort("user_id"))

    after_end = end + timedelta(seconds=1)
    return RecommendData(
        name=name,
        catalog=catalog,
        train_events=events.filter(pl.col("timestamp") < valid_start),
        valid_events=events.filter(
            (pl.col("timestamp") >= valid_start) & (pl.col("timestamp") < test_start)
        ),
        valid=baskets(valid_start, test_start),
        test=baskets(test_start, after_end),
        protocol=protocol,
    )
