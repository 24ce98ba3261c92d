"""Happy paths of the company data readers: every kind in every format, types and line numbers."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from inhouse.data import SCHEMAS, read, read_catalog, read_events, read_tickets
from inhouse.errors import ConfigError, DataError

# Two rows per kind, as a company would export them (all values as text, like a CSV).
ROWS: dict[str, list[dict[str, str]]] = {
    "catalog": [
        {"item_id": "101", "title": "Red mug", "description": "A red mug", "tags": "red|kitchen"},
        {"item_id": "sku-2", "title": "Desk lamp", "description": "", "tags": ""},
    ],
    "events": [
        {"user_id": "u1", "item_id": "101", "timestamp": "2024-03-01T10:00:00Z", "value": "2.5"},
        {"user_id": "u2", "item_id": "sku-2", "timestamp": "1709370000", "value": ""},
    ],
    "tickets": [
        {"ticket_id": "t1", "text": "Where is my card?", "intent": "card_arrival"},
        {"ticket_id": "t2", "text": "My card is broken", "intent": "card_not_working"},
    ],
    "articles": [
        {"article_id": "a1", "title": "Cards", "body": "How to order a card."},
        {"article_id": "a2", "title": "Fees", "body": "Our fees."},
    ],
    "messages": [
        {"text": "Where is my card?", "message_id": "m1"},
        {"text": "My card is broken", "message_id": "m2"},
    ],
}


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    """Write `rows` in the format `path`'s extension names."""
    frame = pl.DataFrame(rows)
    name = path.name
    if name.endswith(".csv.gz"):
        path.write_bytes(gzip.compress(frame.write_csv().encode()))
    elif name.endswith(".csv"):
        frame.write_csv(path)
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        frame.write_parquet(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".jsonl", ".parquet"])
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_every_kind_reads_in_every_format(tmp_path: Path, kind: str, suffix: str) -> None:
    df = read(write(tmp_path / f"{kind}{suffix}", ROWS[kind]), kind)
    assert df.schema == pl.Schema(SCHEMAS[kind].polars_schema)
    assert df.height == 2
    id_column = SCHEMAS[kind].columns[0].name
    assert df[id_column].to_list() == [r[id_column] for r in ROWS[kind]]


def test_types_are_normalised(tmp_path: Path) -> None:
    catalog = read_catalog(write(tmp_path / "catalog.csv", ROWS["catalog"]))
    assert catalog["item_id"].to_list() == ["101", "sku-2"]  # ids stay strings
    assert catalog["tags"].to_list() == [["red", "kitchen"], None]
    assert catalog["description"].to_list() == ["A red mug", None]  # empty text is null
    assert catalog["url"].null_count() == 2  # optional column filled with nulls
    events = read_events(write(tmp_path / "events.csv", ROWS["events"]))
    assert events["timestamp"].to_list() == [
        datetime(2024, 3, 1, 10, 0, tzinfo=UTC),
        datetime(2024, 3, 2, 9, 0, tzinfo=UTC),  # unix seconds 1709370000
    ]
    assert events["value"].to_list() == [2.5, None]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01", datetime(2024, 3, 1, tzinfo=UTC)),
        ("2024-03-01 12:30:00", datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),
        ("2024-03-01T12:30:00.250", datetime(2024, 3, 1, 12, 30, 0, 250000, tzinfo=UTC)),
        ("2024-03-01T12:30:00+02:00", datetime(2024, 3, 1, 10, 30, tzinfo=UTC)),
        ("2024-03-01T12:30", datetime(2024, 3, 1, 12, 30, tzinfo=UTC)),  # Python fallback
        ("0", datetime(1970, 1, 1, tzinfo=UTC)),
    ],
)
def test_timestamp_shapes(tmp_path: Path, text: str, expected: datetime) -> None:
    path = write(tmp_path / "e.csv", [{"user_id": "u", "item_id": "i", "timestamp": text}])
    assert read_events(path)["timestamp"].to_list() == [expected]


def test_typed_parquet_and_json_values(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pl.DataFrame(
        {
            "user_id": [7, 8],  # integer ids become strings
            "item_id": ["a", "b"],
            "timestamp": [datetime(2024, 1, 1, 12), datetime(2024, 1, 2)],  # naive means UTC
            "value": [1, 2],
        }
    ).write_parquet(path)
    df = read_events(path)
    assert df["user_id"].to_list() == ["7", "8"]
    assert df["timestamp"][0] == datetime(2024, 1, 1, 12, tzinfo=UTC)
    jsonl = tmp_path / "catalog.jsonl"
    jsonl.write_text('{"item_id": 1, "title": "Mug", "tags": ["a", "b"]}\n')
    assert read_catalog(jsonl).row(0)[:4] == ("1", "Mug", None, ["a", "b"])


def test_lines_count_multiline_fields_blank_lines_and_crlf(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_bytes(
        b'item_id,title,description\r\n1,Mug,"two\r\nlines"\r\n\r\n2,Lamp,x\r\n1,Mug again,y\r\n'
    )
    with pytest.raises(DataError) as e:
        read_catalog(path)
    assert str(e.value) == (
        f"{path}:6: item_id: duplicate item_id '1', first seen on line 2; ids must be unique: "
        "remove or merge the duplicate rows"
    )


def test_byte_order_mark_and_extra_columns(tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    path.write_bytes(b"\xef\xbb\xbfarticle_id,title,body,author\na1,T,B,me\n")
    df = read(path, "articles")
    assert df.columns == ["article_id", "title", "body"]
    assert df["article_id"].to_list() == ["a1"]


def test_events_checked_against_a_catalog_frame(tmp_path: Path) -> None:
    catalog = read_catalog(write(tmp_path / "catalog.csv", ROWS["catalog"]))
    events = read_events(write(tmp_path / "events.jsonl", ROWS["events"]), catalog=catalog)
    assert events.height == 2


def test_tickets_checked_against_intents(tmp_path: Path) -> None:
    path = write(tmp_path / "tickets.csv", ROWS["tickets"])
    assert read_tickets(path, intents={"card_arrival", "card_not_working"}).height == 2
    with pytest.raises(DataError) as e:
        read_tickets(path, intents={"card_arrival"})
    assert str(e.value) == (
        f"{path}:3: intent: unknown intent 'card_not_working'; use one of: card_arrival"
    )


def test_unknown_file_type_and_missing_file(tmp_path: Path) -> None:
    (tmp_path / "events.xlsx").write_text("user_id\n")
    with pytest.raises(DataError, match=r"events\.xlsx: unknown file type; use \.csv"):
        read(tmp_path / "events.xlsx", "events")
    with pytest.raises(DataError, match="nope.csv: no such file"):
        read(tmp_path / "nope.csv", "events")
    with pytest.raises(ConfigError, match="unknown data kind 'users'"):
        read(tmp_path / "nope.csv", "users")
