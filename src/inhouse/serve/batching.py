"""Dynamic batching: requests that arrive within a short window share one model call.

    >>> embed = Batcher(embed_many, lock, window_ms=2, max_batch=32)
    >>> vectors, cpu_seconds = embed(["my card has not arrived"])    # from many threads at once

The first request to arrive leads a batch: it waits up to `window_ms` (less once `max_batch`
requests are waiting), then takes the process's model lock, takes every waiting request (up to
`max_batch`) and runs them as one call. Under load, requests that pile up while the model is
busy go in the next batch. Each request gets its own answer and its share of the batch's CPU
seconds (by weight: texts for embeddings). A `window_ms` of 0 turns batching off: each request
runs alone under the lock.

In the server the leader waits only while a request that could still join is on its way:
`Arrivals` counts the requests of the process that have arrived but not yet reached a batcher.
A lone request (nothing else in flight) runs at once, so batching costs it nothing; the window
bounds the wait when others are in flight. Without `Arrivals` the leader waits out the window.

If a batch call fails, its requests are run one by one, so that only a bad one fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np

from inhouse.models.embedder import Embedder
from inhouse.serve.loaded import Models
from inhouse.serve.metering import Meter
from inhouse.support.answer.answerer import Answer
from inhouse.support.service import Route, SupportService

T = TypeVar("T")
R = TypeVar("R")


@dataclass(eq=False)
class _Slot(Generic[T, R]):
    item: T
    weight: int
    woken: threading.Event = field(default_factory=threading.Event)
    done: bool = False
    result: R | None = None
    error: BaseException | None = None
    cpu_seconds: float = 0.0


@dataclass(eq=False)
class _Ticket:
    gone: bool = False


_TICKET: ContextVar[_Ticket | None] = ContextVar("inhouse_batch_ticket", default=None)


class Arrivals:
    """How many requests of this process are in flight and have not yet reached a batcher.

    The server enters `arrived()` around each request; a batcher that the request reaches (or
    its end) takes it off the count and wakes the batch leaders, which stop waiting once no
    request is on its way."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.pending = 0
        self._leaders: list[threading.Condition] = []

    @contextmanager
    def arrived(self) -> Iterator[None]:
        """Count the current request (its context: a handler's thread inherits it) in flight."""
        ticket = _Ticket()
        with self._lock:
            self.pending += 1
        token = _TICKET.set(ticket)
        try:
            yield
        finally:
            _TICKET.reset(token)
            self._leave(ticket)

    def reached(self) -> None:
        """The current request reached a batcher (no-op outside a counted request)."""
        ticket = _TICKET.get()
        if ticket is not None:
            self._leave(ticket)

    def _leave(self, ticket: _Ticket) -> None:
        with self._lock:
            if ticket.gone:
                return
            ticket.gone = True
            self.pending -= 1
        for cond in self._leaders:
            with cond:
                cond.notify_all()

    def watch(self, cond: threading.Condition) -> None:
        """Wake `cond`'s waiters whenever the count falls."""
        self._leaders.append(cond)


class Batcher(Generic[T, R]):
    """Calls of `run(items) -> results` (one result per item, in order) batched across threads.

    `lock` is held around every call of `run`; `weight(item)` is the item's share of the CPU
    time (default 1 per item); with `arrivals`, a leader waits only while requests are on
    their way (see the module's docstring)."""

    def __init__(
        self,
        run: Callable[[list[T]], list[R]],
        lock: threading.Lock,
        window_ms: float,
        max_batch: int,
        weight: Callable[[T], int] = lambda item: 1,
        arrivals: Arrivals | None = None,
    ) -> None:
        self.run, self.lock, self.weight = run, lock, weight
        self.window, self.max_batch = window_ms / 1000, max_batch
        self._cond = threading.Condition()
        self.arrivals = arrivals
        if arrivals is not None:
            arrivals.watch(self._cond)
        self._waiting: list[_Slot[T, R]] = []
        self.batches = 0  # how many calls of `run`, for tests and benchmarks
        self.items = 0

    def __call__(self, item: T) -> tuple[R, float]:
        """`item`'s result and its share of the batch's CPU seconds (blocks until ready)."""
        slot: _Slot[T, R] = _Slot(item, self.weight(item))
        if self.window <= 0:
            if self.arrivals is not None:
                self.arrivals.reached()
            self._run_batch([slot])
        else:
            with self._cond:
                self._waiting.append(slot)
                lead = len(self._waiting) == 1
                if len(self._waiting) >= self.max_batch:
                    self._cond.notify_all()
            if self.arrivals is not None:
                self.arrivals.reached()  # after our lock is let go: it takes the leaders'
            if not lead:
                slot.woken.wait()  # the batch ran, or this slot was made the next leader
            if not slot.done:
                self._lead(wait=not slot.woken.is_set())  # a promoted leader has waited
        if slot.error is not None:
            raise slot.error
        return slot.result, slot.cpu_seconds  # type: ignore[return-value]

    def _lead(self, wait: bool) -> None:
        deadline = time.monotonic() + self.window
        with self._cond:
            while wait and len(self._waiting) < self.max_batch and self._may_grow():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
        with self.lock:
            with self._cond:
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
                if self._waiting:  # more than one batch waited: the next one leads itself
                    self._waiting[0].woken.set()
            self._compute(batch)
        for slot in batch:
            slot.woken.set()

    def _may_grow(self) -> bool:
        """Whether a request that could join the batch may still come."""
        return self.arrivals is None or self.arrivals.pending > 0

    def _run_batch(self, batch: list[_Slot[T, R]]) -> None:
        with self.lock:
            self._compute(batch)

    def _compute(self, batch: list[_Slot[T, R]]) -> None:
        """Run `batch` (the lock is held); on failure, each item alone."""
        self.batches, self.items = self.batches + 1, self.items + len(batch)
        try:
            with Meter() as meter:
                results = self.run([s.item for s in batch])
        except Exception as e:
            if len(batch) == 1:
                batch[0].error, batch[0].done = e, True
            else:
                for slot in batch:
                    self._compute([slot])
            return
        total = sum(s.weight for s in batch) or 1
        for slot, result in zip(batch, results, strict=True):
            slot.result, slot.done = result, True
            slot.cpu_seconds = meter.cpu_seconds * slot.weight / total


def embed_many(embedder: Embedder) -> Callable[[list[list[str]]], list[np.ndarray]]:
    """One embedder call over the texts of several requests, split back per request."""

    def run(requests: list[list[str]]) -> list[np.ndarray]:
        vectors = embedder.embed([text for texts in requests for text in texts])
        return np.split(vectors, np.cumsum([len(texts) for texts in requests])[:-1])

    return run


def ask_many(service: SupportService) -> Callable[[list[str]], list[Answer]]:
    """The assistant's answers, one question after another within the batch (one lock hold)."""

    def run(questions: list[str]) -> list[Answer]:
        return [service.ask(question) for question in questions]

    return run


@dataclass
class Batchers:
    """The batcher of each encoder-backed model: embedders, routers and the assistant."""

    embed: dict[str, Batcher[list[str], np.ndarray]]
    route: dict[str, Batcher[object, Route]]
    ask: Batcher[str, Answer] | None

    @classmethod
    def of(
        cls, models: Models, window_ms: float, max_batch: int, arrivals: Arrivals | None = None
    ) -> Batchers:
        def batcher(run: Callable[[list[T]], list[R]], **kw: Callable[[T], int]) -> Batcher[T, R]:
            return Batcher(run, models.lock, window_ms, max_batch, arrivals=arrivals, **kw)

        embed = {n: batcher(embed_many(e), weight=len) for n, e in models.embedders.items()}
        route = {}
        for name, service in models.routers.items():
            # one predict per batch; routers served from ONNX (`models.onnx.OnnxViews`) still
            # run one text per ONNX call inside it, so a batch never changes an int8 answer
            route[name] = batcher(service.route_many)
        ask = batcher(ask_many(models.assistant)) if models.assistant is not None else None
        return cls(embed, route, ask)
