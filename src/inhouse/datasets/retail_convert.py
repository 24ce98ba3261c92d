"""Converts the original Online Retail `.rda` (an R data file) into the CSV files its loader reads.

Reading R's serialisation format is left to `pyreadr` (librdata); this module only selects and
renames: purchases (known customer, not cancelled, quantity > 0), items, customers.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from inhouse.errors import DatasetError
from inhouse.files import atomic_write_bytes

RDA = "original/onlineretail.rda"


def read_rda(path: Path) -> pl.DataFrame:
    """The `onlineretail` data frame of the package's .rda, with UTC invoice times."""
    import pyreadr

    try:
        frames = pyreadr.read_r(str(path), output_format="polars", timezone="UTC")
    except pyreadr.custom_errors.PyreadrError as e:
        raise DatasetError(
            f"{path}: not a readable R data file ({e}); delete it and retry"
        ) from None
    if "onlineretail" not in frames:
        raise DatasetError(f"{path}: holds {list(frames)}, not the `onlineretail` data frame")
    frame: pl.DataFrame = frames["onlineretail"]
    return frame


def _number(x: pl.Expr) -> pl.Expr:
    """A float as text, whole numbers without `.0` (as in the converted files: `18`, `2.55`)."""
    return (
        pl.when(x == x.round()).then(x.cast(pl.Int64).cast(pl.String)).otherwise(x.cast(pl.String))
    )


def tables(raw: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """purchases, items (every code with a description) and customers from the raw frame."""
    raw = raw.with_row_index("row")
    purchases = (
        raw.filter(
            pl.col("CustomerID").is_not_null()
            & ~pl.col("InvoiceNo").str.starts_with("C")
            & (pl.col("Quantity") > 0)
        )
        .sort("InvoiceDate", "row")
        .select(
            pl.col("CustomerID").cast(pl.Int64).alias("customer_id"),
            pl.col("StockCode").alias("stock_code"),
            pl.col("InvoiceNo").alias("invoice_no"),
            pl.col("InvoiceDate").dt.epoch("s").alias("unix_ts"),
            pl.col("Quantity").cast(pl.Int64).alias("quantity"),
            _number(pl.col("UnitPrice")).alias("unit_price"),
        )
    )
    spellings = (
        raw.filter(pl.col("Description").is_not_null())
        .group_by("StockCode", "Description")
        .agg(pl.len().alias("n"), pl.col("row").min().alias("first"))
    )
    items = (
        spellings.sort("n", "first", descending=[True, False])
        .group_by("StockCode", maintain_order=True)
        .agg(
            pl.col("Description").first().alias("description"),
            pl.len().alias("n_description_variants"),
        )
        .rename({"StockCode": "stock_code"})
    )
    items = items.sort("stock_code")
    customers = (
        raw.filter(pl.col("CustomerID").is_not_null())
        .group_by("CustomerID")
        .agg(pl.col("Country").first())
        .select(
            pl.col("CustomerID").cast(pl.Int64).alias("customer_id"),
            pl.col("Country").alias("country"),
        )
        .sort("customer_id")
    )
    return {"purchases": purchases, "items": items, "customers": customers}


def convert_online_retail(folder: Path) -> None:
    """Write purchases.csv.gz, items.csv and customers.csv beside `original/onlineretail.rda`."""
    out = {name: _csv(frame) for name, frame in tables(read_rda(folder / RDA)).items()}
    atomic_write_bytes(folder / "purchases.csv.gz", gzip.compress(out["purchases"], mtime=0))
    atomic_write_bytes(folder / "items.csv", out["items"])
    atomic_write_bytes(folder / "customers.csv", out["customers"])


def _csv(frame: pl.DataFrame) -> bytes:
    """CSV bytes as in the converted files (CRLF line ends, minimal quoting)."""
    return frame.write_csv(line_terminator="\r\n").encode("utf-8")
