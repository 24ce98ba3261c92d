"""What every request handler reaches through `request.app.state.ctx`, and its request notes.

    >>> ctx = context(request)
    >>> note(request, model="all-MiniLM-L6-v2", tokens_in=12, cpu_seconds=0.004)

Handlers note the model, tokens and CPU seconds of their work; the metering middleware reads
the notes to write the usage row, the audit line and the metrics of the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from inhouse.redact import Redactor
from inhouse.serve.audit import AuditLog
from inhouse.serve.batching import Arrivals, Batchers
from inhouse.serve.config import ServeConfig
from inhouse.serve.loaded import Models
from inhouse.serve.metrics import Metrics
from inhouse.serve.state import State


@dataclass
class Context:
    """One server process's config, state, models (and their batchers), audit log and metrics."""

    config: ServeConfig
    state: State
    models: Models
    audit: AuditLog
    redactor: Redactor
    metrics: Metrics
    usd_per_cpu_second: float
    batchers: Batchers
    arrivals: Arrivals


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def note(request: Request, **values: Any) -> None:
    """Record facts about this request (model, tokens_in, tokens_out, key_name, and `cost`: the
    `metering.Meter` of its model calls)."""
    for name, value in values.items():
        setattr(request.state, name, value)
