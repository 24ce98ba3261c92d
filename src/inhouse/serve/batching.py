"""Dynamic batching: requests that arrive within a short window share one model call.

    >>> embed = Batcher(embed_many(embedder), lock, window_ms=2, max_batch=32)
    >>> vectors, cost = await embed(["my card has not arrived"])  # many requests at once
    >>> cost.cpu_seconds, cost.seconds  # its share of the batch's CPU, the batch's wall time

Requests queue on the server's event loop. When the queue was empty, a drain task starts: it
waits up to `window_ms` for more requests (less once `max_batch` are waiting), takes every
waiting request (up to `max_batch`) and runs them as one call; requests that queued meanwhile
go in the next batch. Each request gets its own answer, its share of the batch's CPU seconds
(by weight: texts for embeddings) and the batch's wall time (`Meter`). A `window_ms` of 0 runs
each request alone.

The drain waits only while a request that could still join is on its way: `Arrivals` counts
the requests of the process that have arrived but not yet reached a batcher. A lone request
(nothing else in flight) runs at once, so batching costs it nothing; the window bounds the wait
when others are in flight. Without `Arrivals` the drain waits out the window.

Every batch runs in a worker thread, under the process's model lock, so the event loop keeps
reading and checking the requests that will make the next batch while the model runs (ONNX
Runtime and torch release the GIL). Measured with `benchmarks/serve_load.py` (2 workers, 2
cores, 16 connections) at the commit before this change and after it, minutes apart: batches
of up to 32 texts on the loop itself gave route 565 req/s at p99 62 ms, in a thread 770 req/s
at p99 33 ms. If a batch call fails, its requests are run one by one, so that only a bad one
fails.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio
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
    future: asyncio.Future[tuple[R, Meter]]
    result: R | None = None
    error: BaseException | None = None
    cost: Meter = field(default_factory=Meter)


@dataclass(eq=False)
class _Ticket:
    gone: bool = False


_TICKET: ContextVar[_Ticket | None] = ContextVar("inhouse_batch_ticket", default=None)


@dataclass(eq=False)
class Arrivals:
    """How many requests of this process are in flight and have not yet reached a batcher.

    The server enters `arrived()` around each request, on its event loop; the batcher that the
    request reaches (or its end) takes it off the count and wakes the waiting drains."""

    pending: int = 0
    _listeners: list[Callable[[], None]] = field(default_factory=list)

    @contextmanager
    def arrived(self) -> Iterator[None]:
        """Count the current request (its context) in flight until it reaches a batcher."""
        ticket = _Ticket()
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
        if ticket.gone:
            return
        ticket.gone = True
        self.pending -= 1
        for wake in self._listeners:
            wake()

    def watch(self, wake: Callable[[], None]) -> None:
        """Call `wake()` whenever the count falls."""
        self._listeners.append(wake)


class Batcher(Generic[T, R]):
    """Calls of `run(items) -> results` (one result per item, in order) batched on the event loop.

    `lock` is held around every call of `run`; `weight(item)` is the item's share of the CPU
    time (default 1 per item); with `arrivals`, a drain waits only while requests are on their
    way; each batch runs in a worker thread (see the module's docstring)."""

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
        self.arrivals = arrivals
        self._waiting: list[_Slot[T, R]] = []
        self._draining = False
        self._changed: asyncio.Event | None = None
        if arrivals is not None:
            arrivals.watch(self._wake)
        self.batches = 0  # how many calls of `run`, for tests and benchmarks
        self.items = 0

    async def __call__(self, item: T) -> tuple[R, Meter]:
        """`item`'s result, its share of the batch's CPU seconds and the batch's wall time."""
        loop = asyncio.get_running_loop()
        slot: _Slot[T, R] = _Slot(item, self.weight(item), loop.create_future())
        self._waiting.append(slot)
        if self.arrivals is not None:
            self.arrivals.reached()
        self._wake()
        if not self._draining:
            self._draining = True
            loop.create_task(self._drain())
        return await slot.future

    def _wake(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def _drain(self) -> None:
        try:
            size = self.max_batch if self.window > 0 else 1  # 0: each request alone
            while self._waiting:
                await self._gather()
                batch = self._waiting[:size]
                del self._waiting[:size]
                await self._call(batch)
                for slot in batch:
                    if slot.future.done():  # its client went away
                        continue
                    if slot.error is not None:
                        slot.future.set_exception(slot.error)
                    else:
                        slot.future.set_result((slot.result, slot.cost))  # type: ignore[arg-type]
        finally:
            self._draining = False

    async def _gather(self) -> None:
        """Wait, up to the window, while the batch may still grow."""
        if self.window <= 0:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.window
        self._changed = self._changed or asyncio.Event()
        while len(self._waiting) < self.max_batch and self._may_grow():
            left = deadline - loop.time()
            if left <= 0:
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except TimeoutError:
                return

    def _may_grow(self) -> bool:
        """Whether a request that could join the batch may still come."""
        return self.arrivals is None or self.arrivals.pending > 0

    async def _call(self, batch: list[_Slot[T, R]]) -> None:
        """Run `batch` in a worker thread (see the module's docstring)."""
        await anyio.to_thread.run_sync(self._locked_compute, batch)

    def _locked_compute(self, batch: list[_Slot[T, R]]) -> None:
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
                batch[0].error = e
            else:
                for slot in batch:
                    self._compute([slot])
            return
        total = sum(s.weight for s in batch) or 1
        for slot, result in zip(batch, results, strict=True):
            slot.result = result
            slot.cost = Meter(meter.cpu_seconds * slot.weight / total, meter.seconds)


async def locked(lock: threading.Lock, call: Callable[[], R]) -> R:
    """`call()` under `lock`: on the event loop when the lock is free (a short model call),
    else in a worker thread that waits for it, so the loop is never blocked on the lock."""
    if lock.acquire(blocking=False):
        try:
            return call()
        finally:
            lock.release()

    def wait_and_call() -> R:
        with lock:
            return call()

    return await anyio.to_thread.run_sync(wait_and_call)


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
        def batcher(run: Callable[[list[T]], list[R]], **kw: Any) -> Batcher[T, R]:
            return Batcher(run, models.lock, window_ms, max_batch, arrivals=arrivals, **kw)

        embed = {n: batcher(embed_many(e), weight=len) for n, e in models.embedders.items()}
        route = {}
        for name, service in models.routers.items():
            # one predict per batch; routers served from ONNX (`models.onnx.OnnxViews`) still
            # run one text per ONNX call inside it, so a batch never changes an int8 answer
            route[name] = batcher(service.route_many)
        ask = batcher(ask_many(models.assistant)) if models.assistant is not None else None
        return cls(embed, route, ask)
