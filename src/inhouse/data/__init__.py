"""Company data: typed, validated readers for catalog, events, tickets and articles files.

>>> from inhouse.data import read_events  # doctest: +SKIP
>>> events = read_events("events.csv", catalog="catalog.csv")  # polars DataFrame, UTC times
"""

from inhouse.data.load import RawTable, detect_format, load
from inhouse.data.read import (
    read,
    read_articles,
    read_catalog,
    read_events,
    read_tickets,
)
from inhouse.data.schema import KINDS, SCHEMAS, Column, Schema, get_schema
from inhouse.data.summary import summarize
from inhouse.data.validate import DEFAULT_MAX_PROBLEMS, validate

__all__ = [
    "DEFAULT_MAX_PROBLEMS",
    "KINDS",
    "RawTable",
    "SCHEMAS",
    "Column",
    "Schema",
    "detect_format",
    "get_schema",
    "load",
    "read",
    "read_articles",
    "read_catalog",
    "read_events",
    "read_tickets",
    "summarize",
    "validate",
]
