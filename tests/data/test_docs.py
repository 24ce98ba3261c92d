"""docs/data.md is the schemas' own text, and every example row in it is a valid file."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.data import SCHEMAS, read
from inhouse.data.docs import example_csv, example_jsonl, render

DOC = Path(__file__).parents[2] / "docs" / "data.md"


def test_the_doc_is_generated_from_the_schemas() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/data.md is out of date: run `python -m inhouse.data.docs > docs/data.md`"
    )


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_every_column_is_documented_with_an_example_that_reads(tmp_path: Path, kind) -> None:
    schema = SCHEMAS[kind]
    section = render().split(f"## {kind}\n", 1)[1].split("\n## ", 1)[0]
    for column in schema.columns:
        assert f"| `{column.name}` |" in section and column.example and column.doc
    for name, text in (("x.csv", example_csv(schema)), ("x.jsonl", example_jsonl(schema))):
        (tmp_path / name).write_text(text, encoding="utf-8")
        frame = read(tmp_path / name, kind)
        assert frame.height == 1 and frame.columns == schema.names
        assert frame.null_count().row(0) == (0,) * len(schema.columns)  # every value read


@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_a_missing_column_shows_a_row_of_its_own_kind(tmp_path: Path, kind) -> None:
    from inhouse.errors import DataError

    schema = SCHEMAS[kind]
    required = [c.name for c in schema.columns if c.required]
    (tmp_path / "x.csv").write_text("unrelated\nvalue\n")
    with pytest.raises(DataError) as e:
        read(tmp_path / "x.csv", kind)
    first = str(e.value).splitlines()[0]
    assert f"{required[0]}: missing column" in first
    assert f"e.g. a {kind} row: {schema.example_text()}" in first and "docs/data.md" in first
    if kind in ("tickets", "articles", "messages"):
        assert "sku-123" not in first  # not a catalog item's example
