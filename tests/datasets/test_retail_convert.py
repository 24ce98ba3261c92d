"""Online Retail .rda conversion: selection rules on a tiny frame, the real file when present."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from inhouse.datasets import CATALOGUE
from inhouse.datasets.checksums import mismatches
from inhouse.datasets.download import convert
from inhouse.datasets.retail_convert import RDA, tables


def _raw() -> pl.DataFrame:
    t = [datetime(2011, 1, d, 9, tzinfo=UTC) for d in (3, 1, 2, 2, 4, 5)]
    return pl.DataFrame(
        {
            "InvoiceNo": ["3", "1", "2", "C2", "4", "5"],
            "StockCode": ["85123A", "85123A", "22423", "22423", "22423", "POST"],
            "Description": [
                "WHITE HEART",
                "WHITE HEART",
                "CAKE STAND",
                "CAKE STAND",
                "cake stand",
                None,
            ],
            "Quantity": [6.0, 2.0, 1.0, -1.0, 3.0, 1.0],
            "InvoiceDate": t,
            "UnitPrice": [2.55, 2.55, 12.75, 12.75, 18.0, 15.0],
            "CustomerID": [17850.0, 17850.0, 13047.0, 13047.0, None, 12583.0],
            "Country": ["United Kingdom", "United Kingdom", "France", "France", "Spain", "Spain"],
        }
    )


def test_purchases_are_known_customers_not_cancelled_in_time_order() -> None:
    out = tables(_raw())
    assert out["purchases"].rows() == [
        (17850, "85123A", "1", 1293872400, 2, "2.55"),
        (13047, "22423", "2", 1293958800, 1, "12.75"),
        (17850, "85123A", "3", 1294045200, 6, "2.55"),
        (12583, "POST", "5", 1294218000, 1, "15"),
    ]
    assert out["purchases"].columns == [
        "customer_id",
        "stock_code",
        "invoice_no",
        "unix_ts",
        "quantity",
        "unit_price",
    ]


def test_items_take_the_most_frequent_spelling_and_count_variants() -> None:
    items = tables(_raw())["items"]
    assert items.rows() == [("22423", "CAKE STAND", 2), ("85123A", "WHITE HEART", 1)]
    customers = tables(_raw())["customers"]
    assert customers.rows() == [(12583, "Spain"), (13047, "France"), (17850, "United Kingdom")]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("INHOUSE_DATA_DIR"), reason="INHOUSE_DATA_DIR is not set")
def test_converting_the_real_rda_reproduces_the_pinned_files(tmp_path: Path) -> None:
    record = CATALOGUE["online-retail"]
    source = Path(os.environ["INHOUSE_DATA_DIR"]) / "online-retail" / RDA
    (tmp_path / RDA).parent.mkdir(parents=True)
    shutil.copy(source, tmp_path / RDA)
    convert(record, tmp_path)
    assert mismatches(record, tmp_path) == []
