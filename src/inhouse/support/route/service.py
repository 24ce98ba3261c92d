"""Fit a router on a company's ticket file (what `inhouse support fit-router` calls).

Serving a saved router is `inhouse.support.service.SupportService.route`.
"""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inhouse.errors import DataError, InhouseError, Problem
from inhouse.models.embedder import DEFAULT_EMBEDDER, Embedder
from inhouse.support.route.base import OUT_OF_SCOPE, Router
from inhouse.support.route.calibrate import DEFAULT_METHOD, calibrate_without_oos, check_method
from inhouse.support.route.registry import DEFAULT_SYSTEM, load_router, make_router

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class FitReport:
    """What `fit_router_from_tickets` did."""

    system: str
    n_train: int
    """Tickets the saved router was fitted on."""
    n_valid: int
    """Tickets held out to set the out-of-scope threshold (without `oos` tickets they are then
    fitted on too: `n_train` counts them)."""
    intents: int
    calibration: dict[str, float]
    wall_seconds: float
    cpu_seconds: float
    oos_detection: bool = True
    """False only with `oos_method="off"` and no ticket of intent `oos`: every message is routed
    to its nearest intent."""
    oos_method: str = "oos-tickets"
    """What set the threshold: `oos-tickets` (held-out tickets, `oos` ones included), else a
    method of `inhouse.support.route.calibrate` that needs none, or `off`."""


def _first_line(path: Path) -> int:
    """The file line of row 0: 2 after a CSV header, else 1 (JSONL, Parquet row numbers)."""
    return 2 if path.suffix.lower() in {".csv", ".tsv"} or path.name.endswith(".csv.gz") else 1


def read_labelled_tickets(path: Path, intents: Collection[str] | None = None) -> pl.DataFrame:
    """Tickets with text and intent, via `inhouse.data`; a ticket without an intent is a problem."""
    from inhouse.data.read import read_tickets

    frame = read_tickets(path, intents=intents)
    if "intent" not in frame.columns:
        raise DataError(
            [Problem(str(path), None, "intent", "column missing; add each ticket's intent")]
        )
    first = _first_line(path)
    missing = [
        i for i, v in enumerate(frame["intent"].to_list()) if v is None or not str(v).strip()
    ]
    if missing:
        problems = [
            Problem(str(path), first + i, "intent", "missing; give every training ticket an intent")
            for i in missing[:MAX_PROBLEMS]
        ]
        raise DataError(problems, truncated=max(0, len(missing) - MAX_PROBLEMS))
    return frame


def split_valid(
    frame: pl.DataFrame, fraction: float, seed: int = 0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A seeded hold-out of `fraction` of each intent (intents with one ticket stay in train)."""
    if not 0.0 <= fraction < 0.5:
        raise InhouseError(f"--valid-fraction {fraction} is out of range; use 0 to 0.5, e.g. 0.1")
    rng = np.random.default_rng(seed)
    held: list[int] = []
    for _, idx in (
        frame.with_row_index("row").group_by("intent", maintain_order=True).agg("row").iter_rows()
    ):
        rows = list(idx)
        k = int(round(len(rows) * fraction))
        if len(rows) > 1 and k > 0:
            held.extend(rng.choice(rows, size=min(k, len(rows) - 1), replace=False).tolist())
    mask = np.zeros(frame.height, dtype=bool)
    mask[held] = True
    return frame.filter(~pl.Series(mask)), frame.filter(pl.Series(mask))


def fit_router_from_tickets(
    tickets: Path,
    out: Path,
    system: str = DEFAULT_SYSTEM,
    valid_fraction: float = 0.1,
    intents: Collection[str] | None = None,
    config: dict[str, Any] | None = None,
    oos_method: str = DEFAULT_METHOD,
    embedder: str | None = None,
) -> FitReport:
    """Read tickets, hold out `valid_fraction` of each intent, fit `system` on the rest,
    calibrate the out-of-scope threshold on the hold-out, save.

    `embedder`: the registered embedder the router encodes with (e.g. `all-mpnet-base-v2`
    after `inhouse models install`); default the embedded all-MiniLM-L6-v2. The saved router
    names it, and loading it loads that one.

    Without a ticket of intent `oos`, `oos_method` (`inhouse.support.route.calibrate`) sets the
    threshold from the hold-out's in-scope tickets, then the saved router is fitted on every
    ticket with that threshold; `off` fits on every ticket with threshold 0 (no detection).
    """
    check_method(oos_method)
    frame = read_labelled_tickets(Path(tickets), intents)
    split_valid(frame.head(0), valid_fraction)  # the range check, whatever the tickets
    has_oos = OUT_OF_SCOPE in set(frame["intent"].to_list())
    method = "oos-tickets" if has_oos else oos_method
    train, valid = split_valid(frame, 0.0 if method == "off" else valid_fraction)
    if method not in ("oos-tickets", "off") and valid.height == 0:
        raise InhouseError(
            f"--valid-fraction {valid_fraction} holds out no ticket to set the out-of-scope "
            "threshold; use e.g. 0.1, or --oos-method off"
        )
    start, cpu = time.perf_counter(), time.process_time()
    calibration: dict[str, float] = {}
    encoder: Embedder | None = None
    if embedder is not None or method not in ("oos-tickets", "off"):
        from inhouse.models.load import load_named_embedder

        # one load for the calibration fits and the final one
        encoder = load_named_embedder(embedder or DEFAULT_EMBEDDER)
        own = {k: v for k, v in (config or {}).items() if k == "max_in_scope_drop"}
        calibration = calibrate_without_oos(
            method,
            lambda: make_router(system, encoder, **(config or {})),
            train["text"].to_list(),
            train["intent"].to_list(),
            valid["text"].to_list(),
            valid["intent"].to_list(),
            **own,  # the router's own allowance, as `calibrate` uses with oos tickets
        )
        train = frame  # the final router is fitted on every ticket
    router: Router = make_router(system, encoder, **(config or {}))
    router.fit(train["text"].to_list(), train["intent"].to_list())
    if calibration:
        router.threshold = calibration["threshold"]
        router.calibration = calibration  # type: ignore[attr-defined]
    router.save(Path(out))
    if method == "oos-tickets" and valid.height:  # set on what is served: the saved router
        router = load_router(Path(out))
        calibration = router.calibrate(valid["text"].to_list(), valid["intent"].to_list())
        router.save(Path(out))
    return FitReport(
        system=system,
        n_train=train.height,
        n_valid=valid.height,
        intents=len({i for i in frame["intent"].to_list() if i != OUT_OF_SCOPE}),
        calibration=calibration,
        wall_seconds=time.perf_counter() - start,
        cpu_seconds=time.process_time() - cpu,
        oos_detection=method != "off",
        oos_method=method,
    )
