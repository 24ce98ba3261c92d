"""Serving recommendations: a loaded model answering a known user or a session, with reasons.

>>> RecommendService(Path("models/cooc")).for_user("u42", k=10).items[0].title
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from inhouse.errors import InhouseError
from inhouse.recommend.base import BaseRecommender

EXPLAIN_TOP = 3  # history items named per recommendation
PARAM_KINDS = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a JSON list such as [1, 2]",
    dict: 'a JSON object such as {"a": 1}',
}


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


class RecommendService:
    """A saved recommender, loaded once, answering many requests (the CLI and the server).

    >>> service = RecommendService(Path("models/cooc"))
    >>> service.for_user("u42", k=10).items[0].title

    Thread-safe: requests hold one lock. Serving touches state that is not safe to share
    between threads: FAISS's process-wide OpenMP thread count (set and restored around each
    search), indexes and ALS solvers built on first use, item graphs' memo of the last
    history's gathered rows and text-tuned's memo of embedded queries. Run one process per
    core to serve in parallel, as the latency bench does.
    """

    def __init__(self, model_dir: Path) -> None:
        from inhouse.recommend.registry import load_recommender

        self.model: BaseRecommender = load_recommender(Path(model_dir))
        self._lock = threading.Lock()

    def title(self, item_id: str) -> str:
        """The catalog title of an item ('' when unknown)."""
        return self.model.title(item_id)

    def for_items(
        self,
        history: list[str],
        k: int = 10,
        explain: bool = True,
        user_id: str | None = None,
        category: str | None = None,
        exclude: Sequence[str] = (),
    ) -> Response:
        """Recommend for a session of item ids (oldest first); unknown ids are ignored, noted.

        Only items in `category` (when given) and not in `exclude` are recommended."""
        model = self.model
        allowed = model.allowed(category, exclude)
        with self._lock:
            rec = model.recommend_one(history, k=k, allowed=allowed)
            reasons = model.explain_many(history, rec.items) if explain and not rec.fallback else []
        items = []
        for n, (item_id, score) in enumerate(zip(rec.items, rec.scores, strict=True)):
            # only history items that raised the score; reasons come largest first
            raised = ((h, c) for h, c in reasons[n] if c > 0) if reasons else iter(())
            because = list(islice(raised, EXPLAIN_TOP))
            items.append(Suggestion(item_id, model.title(item_id), score, because))
        return Response(model.name, user_id, history, items, rec.fallback, rec.notes)

    def for_user(
        self,
        user_id: str,
        k: int = 10,
        explain: bool = True,
        category: str | None = None,
        exclude: Sequence[str] = (),
    ) -> Response:
        """Recommend for a user seen in training; an unknown user gets popularity, flagged."""
        history = self.model.history_of(user_id)
        if history is None:
            response = self.for_items([], k, explain, user_id, category, exclude)
            response.notes.insert(0, f"user {user_id!r} has no history in this model")
            return response
        return self.for_items(history, k, explain, user_id, category, exclude)


def parse_items(text: str) -> list[str]:
    """`--items I1,I2` as a list of ids; an empty list is an error."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if not items:
        raise InhouseError("--items: give at least one item id, e.g. --items 123,456")
    return items


def _kinds(annotation: Any) -> tuple[type, ...]:
    """The plain types a `--param` value may have for a constructor annotation (`int | None`
    -> (int,), `list[float] | None` -> (list,)); () when it says nothing checkable."""
    import types
    import typing

    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(k for a in typing.get_args(annotation) for k in _kinds(a))
    plain = typing.get_origin(annotation) or annotation
    return (plain,) if plain in (bool, int, float, str, list, dict) else ()


def check_params(system: str, params: dict[str, Any]) -> None:
    """`--param` values against `system`'s constructor: known names, the annotated types
    (a number where a number goes)."""
    import inspect
    import typing

    from inhouse.errors import ConfigError
    from inhouse.recommend.registry import system_class

    init = system_class(system).__init__
    hints = typing.get_type_hints(init)
    named = {
        n: p.default
        for n, p in inspect.signature(init).parameters.items()
        if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    }
    for key, value in params.items():
        if key not in named:
            known = ", ".join(named) or "none"
            raise ConfigError(f"--param {key}: {system} has no such parameter; it takes: {known}")
        default = named[key]
        kinds = _kinds(hints.get(key)) or ((type(default),) if type(default) in PARAM_KINDS else ())
        if not kinds or value is None and default is None:
            continue
        # True is an int to Python, not to a user; a whole number is a fine float
        fits = any(
            isinstance(value, k)
            and (k is bool or not isinstance(value, bool))
            or (k is float and isinstance(value, int) and not isinstance(value, bool))
            for k in kinds
        )
        if not fits:
            expected = " or ".join(PARAM_KINDS[k] for k in dict.fromkeys(kinds))
            example = f", e.g. --param {key}={json.dumps(default)}" if default is not None else ""
            raise ConfigError(f"--param {key}={value!r}: {system} expects {expected} here{example}")


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

    check_params(system, params or {})  # unknown system or parameter: before reading files
    model = make(system, **(params or {}))
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
