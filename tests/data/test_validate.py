"""Every malformed fixture is rejected with the exact `file:line: column:` and a reason that
says how to fix it; all problems are reported together, up to a cap."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from inhouse.data import read
from inhouse.errors import DataError, Problem

FIXTURES = Path(__file__).parent / "fixtures"


def problems(name: str, kind: str, **kwargs: object) -> list[Problem]:
    with pytest.raises(DataError) as e:
        read(FIXTURES / name, kind, **kwargs)  # type: ignore[arg-type]
    return e.value.problems


# fixture, kind, extra arguments, then (line, column, reason substring) for every problem
CASES = [
    (
        "catalog_missing_columns.csv",
        "catalog",
        {},
        [
            (1, "item_id", "missing column (found 'itemid': rename it?); add a column named"),
            (1, "title", "missing column; add a column named title"),
        ],
    ),
    (
        "events_bad_value.csv",
        "events",
        {},
        [
            (3, "value", "not a number: '12,50'; write a plain number such as 1 or 2.5"),
            (4, "value", "not a number: 'twelve'"),
        ],
    ),
    (
        "catalog_empty_ids.csv",
        "catalog",
        {},
        [
            (3, "item_id", "missing or empty item_id; every row needs one"),
            (4, "item_id", "missing or empty item_id"),  # whitespace only
        ],
    ),
    (
        "catalog_duplicate_ids.csv",
        "catalog",
        {},
        [(4, "item_id", "duplicate item_id 'mug-1', first seen on line 2; ids must be unique")],
    ),
    (
        "tickets_duplicate_ids.jsonl",  # line 2 is blank: lines are physical lines
        "tickets",
        {},
        [(4, "ticket_id", "duplicate ticket_id 't1', first seen on line 1")],
    ),
    (
        "events_unknown_items.csv",
        "events",
        {"catalog": FIXTURES / "catalog_good.csv"},
        [(3, "item_id", "item 'sofa-9' is not in the catalog (")],
    ),
    (
        "events_bad_timestamps.jsonl",
        "events",
        {},
        [
            (2, "timestamp", "cannot read timestamp 'yesterday'; use ISO-8601 such as"),
            (3, "timestamp", "too large for unix seconds (it looks like milliseconds); divide"),
            (4, "timestamp", "cannot read timestamp '2024-02-30' (day is out of range"),
        ],
    ),
    (
        "catalog_truncated.csv",
        "catalog",
        {},
        [(3, None, "the file ends before its closing quote: the file looks cut off")],
    ),
    (
        "events_truncated.jsonl",
        "events",
        {},
        [(2, None, "not valid JSON (unterminated string starting at character 39): the last")],
    ),
    (
        "tickets_short_row.csv",
        "tickets",
        {},
        [(3, None, "3 fields but the header has 4 columns: the file ends in the middle of")],
    ),
    ("empty.csv", "catalog", {}, [(None, None, "the file is empty (0 bytes)")]),
    (
        "articles_header_only.csv",
        "articles",
        {},
        [(1, None, "the file has a header but no data rows; add at least one row")],
    ),
    (
        "catalog_latin1.csv",
        "catalog",
        {},
        [
            (
                3,
                None,
                "not UTF-8: byte 0xE9 at byte offset 37 (byte 10 of the line) is not valid "
                "UTF-8; convert the file, e.g. `iconv -f latin1 -t utf-8 ",
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "kind", "kwargs", "expected"), CASES, ids=[c[0] for c in CASES])
def test_malformed_fixture(
    name: str, kind: str, kwargs: dict[str, object], expected: list[tuple[int | None, str, str]]
) -> None:
    found = problems(name, kind, **kwargs)
    assert [(p.line, p.column) for p in found] == [(line, col) for line, col, _ in expected]
    file = str(FIXTURES / name)
    for problem, (line, column, reason) in zip(found, expected, strict=True):
        assert problem.file == file
        assert reason in problem.reason
        where = file if line is None else f"{file}:{line}"
        assert str(problem).startswith(f"{where}: {column}: " if column else f"{where}: ")


def test_every_problem_is_reported_in_line_order(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,timestamp,value\n"
        "u1,,2024-01-01,x\n"  # two problems on one line
        "u2,i2,2024-01-01,1\n"
        "u3,i3,soon,2\n"
    )
    with pytest.raises(DataError) as e:
        read(path, "events")
    assert [(p.line, p.column) for p in e.value.problems] == [
        (2, "item_id"),
        (2, "value"),
        (4, "timestamp"),
    ]


def test_cap_shows_the_first_problems_and_counts_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    pl.DataFrame(
        {"user_id": ["u"] * 130, "item_id": ["i"] * 130, "timestamp": ["never"] * 130}
    ).write_csv(path)
    with pytest.raises(DataError) as e:
        read(path, "events")
    assert len(e.value.problems) == 50
    assert e.value.problems[0].line == 2 and e.value.problems[-1].line == 51
    assert e.value.truncated == 80
    assert str(e.value).endswith("... and 80 more problems not shown")
    with pytest.raises(DataError) as e:
        read(path, "events", max_problems=5)
    assert len(e.value.problems) == 5 and e.value.truncated == 125


def test_rows_with_wrong_field_counts_do_not_hide_other_problems(tmp_path: Path) -> None:
    path = tmp_path / "articles.csv"
    path.write_text("article_id,title,body\na1,T,B,extra\na2,,B\na3,T\n")
    with pytest.raises(DataError) as e:
        read(path, "articles")
    assert [str(p).removeprefix(f"{path}:") for p in e.value.problems] == [
        "2: 4 fields but the header has 3 columns; wrap values that contain commas in double "
        "quotes",
        "3: title: missing or empty title; every row needs one",
        "4: 2 fields but the header has 3 columns; add the missing fields (an empty one is "
        "fine: a,,c)",
    ]


def test_bad_json_lines_are_located_and_the_rest_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    path.write_text(
        '{"article_id": "a1", "title": "T", "body": "B"}\n'
        '{"article_id": "a2", "title": "T" "body": "B"}\n'
        "[1, 2]\n"
        '{"article_id": "a1", "title": "T", "body": "B"}\n'
    )
    with pytest.raises(DataError) as e:
        read(path, "articles")
    assert [(p.line, p.column) for p in e.value.problems] == [
        (2, None),
        (3, None),
        (4, "article_id"),
    ]
    assert "expecting ',' delimiter at character 35); each line must be one JSON object" in (
        e.value.problems[0].reason
    )
    assert e.value.problems[1].reason == "a JSON list, not an object; write one object per line"


def test_stray_quote_and_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text('item_id,title,title\n1,"Mug" large,x\n2,Lamp,y\n')
    with pytest.raises(DataError) as e:
        read(path, "catalog")
    assert [str(p).removeprefix(f"{path}:") for p in e.value.problems] == [
        "1: title: appears twice in the header; rename or drop one",
        "2: bad quoting (',' expected after '\"'); wrap a field that holds commas, quotes or "
        'line breaks in double quotes and double the quotes inside it ("")',
    ]


def test_parquet_problems_name_rows_and_cut_files(tmp_path: Path) -> None:
    path = tmp_path / "catalog.parquet"
    pl.DataFrame({"item_id": ["a", "b", "a"], "title": ["x", "y", "z"]}).write_parquet(path)
    with pytest.raises(DataError, match=r"catalog\.parquet:3: item_id: .* first seen on row 1;"):
        read(path, "catalog")
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(DataError, match=r"catalog\.parquet: not a readable Parquet file \("):
        read(path, "catalog")


def test_cut_gzip(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "articles.csv.gz"
    path.write_bytes(gzip.compress(b"article_id,title,body\n" + b"a,T,B\n" * 500)[:-30])
    with pytest.raises(DataError, match="articles.csv.gz: the gzip stream is cut off"):
        read(path, "articles")


def test_catalog_problems_come_before_event_checks(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("item_id,title\n1,\n")
    with pytest.raises(DataError, match=r"catalog\.csv:2: title: missing or empty title"):
        read(FIXTURES / "events_unknown_items.csv", "events", catalog=catalog)


def test_semicolon_separated_csv_says_so(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text("item_id;title\n1;Mug\n")
    with pytest.raises(DataError) as e:
        read(path, "catalog")
    assert str(e.value) == (
        f"{path}:1: the header is one column, 'item_id;title': the file seems to separate "
        "fields with semicolons; export it again as comma-separated CSV"
    )


def test_folder_and_json_null_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a folder; pass one file"):
        read(tmp_path, "catalog")
    path = tmp_path / "catalog.jsonl"
    path.write_text('{"item_id": "1", "title": "Mug"}\nnull\n')
    with pytest.raises(DataError, match=r"jsonl:2: a JSON null, not an object; write one object"):
        read(path, "catalog")


def test_encoding_problems_in_gzip_and_cut_characters(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "articles.csv.gz"
    path.write_bytes(gzip.compress("article_id,title,body\na1,Café,B\n".encode("latin1")))
    with pytest.raises(DataError) as e:
        read(path, "articles")
    assert str(e.value) == (
        f"{path}:2: not UTF-8: byte 0xE9 at byte offset 28 of the decompressed data (byte 7 of "
        f"the line) is not valid UTF-8; convert the file, e.g. `zcat {path} | iconv -f latin1 "
        "-t utf-8 | gzip > fixed.csv.gz` (use its real encoding if it is not Latin-1)"
    )
    cut = tmp_path / "articles.csv"
    cut.write_bytes("article_id,title,body\na1,Café".encode()[:-1])
    with pytest.raises(DataError, match=r"articles\.csv:2: the file ends in the middle of a UTF-8"):
        read(cut, "articles")
