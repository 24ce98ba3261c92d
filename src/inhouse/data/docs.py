"""docs/data.md, written from the schemas (`SCHEMAS`), so the doc and the readers agree.

python -m inhouse.data.docs > docs/data.md      # tests/data/test_docs.py checks it
"""

from __future__ import annotations

import csv
import io
import json

from inhouse.data.load import SUFFIXES
from inhouse.data.schema import EXAMPLES, SCHEMAS, Schema

# which commands read each kind of file
READ_BY: dict[str, list[str]] = {
    "catalog": ["inhouse recommend fit --catalog", "inhouse bakeoff recommend --catalog"],
    "events": [
        "inhouse recommend fit --events",
        "inhouse bakeoff recommend --events",
        "inhouse bakeoff recommend --test-events (your own test split)",
    ],
    "tickets": [
        "inhouse support fit-router --tickets (needs `intent`)",
        "inhouse bakeoff support --tickets (needs `intent`)",
        "inhouse bakeoff support --test-tickets (your own test split, same intents)",
    ],
    "articles": ["inhouse support index --articles", "inhouse bakeoff support --articles"],
    "messages": ["inhouse support route ROUTER --file"],
}
TYPE_NAMES = {
    "id": "id",
    "text": "text",
    "float": "number",
    "timestamp": "timestamp",
    "tags": "tags",
}

INTRO = """\
# Company data: the files inhouse reads

Every file is checked before any work starts (`inhouse data check FILE --kind KIND`), and every
problem is reported as `file:line: column: reason`. This page is written from
`src/inhouse/data/schema.py` by `python -m inhouse.data.docs > docs/data.md`; a test keeps the
two equal.

## Formats

- {formats}, optionally gzipped (`.csv.gz`, `.jsonl.gz`). UTF-8 text.
- CSV: a header line with the column names, comma-separated, quoted with `"` where a value holds
  a comma, a quote or a line break.
- JSONL: one JSON object a line, keys = column names.
- Parquet: columns named as below (strings, numbers, timestamps, lists of strings).
- Columns not listed are ignored; optional columns may be left out or empty.
- `inhouse support route --file` also reads a plain text file (`.txt`, or `-` for standard
  input): one message a line, blank lines skipped.

## Column types

| type | how to write it |
|---|---|
{types}
"""


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def example_csv(schema: Schema) -> str:
    """The kind's example row as a CSV file (header + one row)."""
    row = schema.example_row
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(list(row))
    writer.writerow(list(row.values()))
    return out.getvalue()


def example_jsonl(schema: Schema) -> str:
    """The kind's example row as a JSONL file (one line)."""
    row: dict[str, object] = dict(schema.example_row)
    for c in schema.columns:
        if c.name in row and c.type == "tags":
            row[c.name] = str(row[c.name]).split("|")
        elif c.name in row and c.type == "float":
            row[c.name] = float(str(row[c.name]))
    return json.dumps(row) + "\n"


def _section(schema: Schema) -> str:
    lines = [f"## {schema.kind}", "", schema.doc, ""]
    lines += ["Read by: " + "; ".join(f"`{c}`" for c in READ_BY[schema.kind]) + ".", ""]
    lines += [
        "| column | type | required | rules | example | what it holds |",
        "|---|---|---|---|---|---|",
    ]
    for c in schema.columns:
        rules = ", ".join(r for r, on in (("non-empty", c.nonempty), ("unique", c.unique)) if on)
        lines.append(
            f"| `{c.name}` | {TYPE_NAMES[c.type]} | {'yes' if c.required else 'no'} | "
            f"{rules} | `{_cell(c.example)}` | {_cell(c.doc)} |"
        )
    lines += [
        "",
        "An example row, as CSV:",
        "",
        "```csv",
        example_csv(schema).rstrip("\n"),
        "```",
        "",
    ]
    lines += ["and as JSONL:", "", "```json", example_jsonl(schema).rstrip("\n"), "```", ""]
    return "\n".join(lines)


def render() -> str:
    """The text of docs/data.md."""
    formats = ", ".join(f"`{s}`" for s in SUFFIXES)
    types = "\n".join(f"| {TYPE_NAMES[t]} | {_cell(how)} |" for t, how in EXAMPLES.items())
    intro = INTRO.format(formats=formats, types=types)
    return intro + "\n" + "\n".join(_section(s) for s in SCHEMAS.values())


if __name__ == "__main__":
    print(render(), end="")
