"""Serving one request: a known user's or a session's recommendations, with titles and reasons.

>>> model = load_recommender("models/cooc")
>>> for_user(model, "u42", k=10).items[0].title
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inhouse.errors import InhouseError
from inhouse.recommend.base import BaseRecommender

EXPLAIN_TOP = 3  # history items named per recommendation


@dataclass
class Suggestion:
    """One recommended item."""

    item_id: str
    title: str
    score: float
    because: list[tuple[str, float]] = field(default_factory=list)  # (history item, contribution)


@dataclass
class Response:
    """What `for_user` / `for_items` return: items plus what the caller should know."""

    system: str
    user_id: str | None
    history: list[str]
    items: list[Suggestion]
    fallback: bool
    notes: list[str]


def for_items(
    model: BaseRecommender,
    history: list[str],
    k: int = 10,
    explain: bool = True,
    user_id: str | None = None,
) -> Response:
    """Recommend for a session of item ids (oldest first); unknown ids are ignored with a note."""
    rec = model.recommend_one(history, k=k)
    reasons = model.explain_many(history, rec.items) if explain and not rec.fallback else []
    items = []
    for n, (item_id, score) in enumerate(zip(rec.items, rec.scores, strict=True)):
        # only history items that raised the score
        because = [(h, c) for h, c in reasons[n] if c > 0][:EXPLAIN_TOP] if reasons else []
        items.append(Suggestion(item_id, model.title(item_id), score, because))
    return Response(model.name, user_id, history, items, rec.fallback, rec.notes)


def for_user(model: BaseRecommender, user_id: str, k: int = 10, explain: bool = True) -> Response:
    """Recommend for a user seen in training; an unknown user gets popularity, flagged."""
    history = model.history_of(user_id)
    if history is None:
        response = for_items(model, [], k, explain, user_id)
        response.notes.insert(0, f"user {user_id!r} has no history in this model")
        return response
    return for_items(model, history, k, explain, user_id)


def parse_items(text: str) -> list[str]:
    """`--items I1,I2` as a list of ids; an empty list is an error."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise InhouseError("--items: give at least one item id, e.g. --items 123,456")
    return items


@dataclass
class FitSummary:
    """What `fit_files` did: the system, where it was saved, and the rows it dropped."""

    system: str
    folder: str
    items: int
    users: int
    report: dict[str, int]
    seconds: float


def fit_files(
    catalog: Path, events: Path, system: str, out: Path, params: dict[str, Any] | None = None
) -> FitSummary:
    """Read company files (`inhouse.data`), fit `system`, save a new version under `out`.

    Events for items missing from the catalog are dropped and counted, not fatal.
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from inhouse.data.read import read_catalog, read_events
    from inhouse.recommend.registry import make

    model = make(system, **(params or {}))  # unknown system: error before reading files
    start = time.perf_counter()
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task(f"reading {catalog.name} and {events.name}")
        cat = read_catalog(catalog)
        ev = read_events(events)
        progress.update(task, description=f"fitting {system} on {ev.height:,} events")
        model.fit(ev, cat)
        progress.update(task, description=f"saving to {out}")
        folder = model.save(out)
    return FitSummary(
        system,
        str(folder),
        len(model.items),
        len(model.histories),
        model.fit_report,
        time.perf_counter() - start,
    )
