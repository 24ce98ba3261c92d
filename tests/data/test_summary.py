"""`summarize` counts, checked against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.data import read, summarize

FIXTURES = Path(__file__).parent / "fixtures"


def test_catalog_summary() -> None:
    summary = summarize(read(FIXTURES / "catalog_good.csv", "catalog"), "catalog")
    assert summary == {"rows": 3, "items": 3, "with_description": 0.6667, "categories": 2}


def test_events_summary(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,timestamp,event\n"
        "u1,a,2024-03-01T00:00:00Z,view\n"
        "u1,b,2024-03-04T12:00:00+00:00,buy\n"
        "u2,a,1709251200,view\n"  # 2024-03-01T00:00:00Z
    )
    assert summarize(read(path, "events"), "events") == {
        "rows": 3,
        "users": 2,
        "items": 2,
        "first": "2024-03-01T00:00:00Z",
        "last": "2024-03-04T12:00:00Z",
        "span_days": 3.5,
        "event_types": 2,
    }


def test_tickets_and_articles_summary(tmp_path: Path) -> None:
    tickets = tmp_path / "tickets.jsonl"
    tickets.write_text(
        '{"ticket_id": "t1", "text": "hi", "intent": "a", "resolution": "done"}\n'
        '{"ticket_id": "t2", "text": "yo", "intent": "b"}\n'
        '{"ticket_id": "t3", "text": "hm", "intent": "a"}\n'
        '{"ticket_id": "t4", "text": "eh"}\n'
    )
    assert summarize(read(tickets, "tickets"), "tickets") == {
        "rows": 4,
        "intents": 2,
        "with_intent": 0.75,
        "with_resolution": 0.25,
    }
    articles = tmp_path / "articles.csv"
    articles.write_text("article_id,title,body\na1,T,abcd\na2,U,ab\n")
    assert summarize(read(articles, "articles"), "articles") == {
        "rows": 2,
        "articles": 2,
        "mean_body_chars": 3.0,
    }


def test_unknown_kind() -> None:
    from inhouse.errors import ConfigError

    with pytest.raises(ConfigError):
        summarize(read(FIXTURES / "catalog_good.csv", "catalog"), "users")
