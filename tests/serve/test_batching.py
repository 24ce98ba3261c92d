"""Dynamic batching: concurrent requests share model calls and get exactly their own answers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from inhouse.models.embedder import DEFAULT_EMBEDDER
from inhouse.serve.batching import Arrivals, Batcher
from inhouse.serve.config import load_config
from inhouse.serve.loaded import Models
from tests.serve.conftest import Http, in_process, write_config

MESSAGES = [
    "my card has not arrived yet",
    "reset my password please",
    "My debit card was stolen",
    "how do I close my account",
    "I was charged twice at a shop",
    "who won the football world cup in 1966",
    "where is my new card",
    "I forgot my password and cannot log in",
]


def together(call: Callable[[Any], Any], items: list[Any]) -> list[Any]:
    """`call` on every item from its own thread, all released at once."""
    start = threading.Barrier(len(items))

    def one(item: Any) -> Any:
        start.wait()
        return call(item)

    with ThreadPoolExecutor(len(items)) as pool:
        return list(pool.map(one, items))


def on_loop(*calls: Awaitable[Any]) -> list[Any]:
    """The results of `calls`, run together on one event loop (as the server's requests)."""

    async def run() -> list[Any]:
        return list(await asyncio.gather(*calls, return_exceptions=True))

    return asyncio.run(run())


def test_concurrent_calls_share_a_batch_and_get_their_own_results() -> None:
    seen: list[list[int]] = []

    def double(items: list[int]) -> list[int]:
        seen.append(items)
        return [2 * i for i in items]

    batcher = Batcher(double, threading.Lock(), window_ms=200, max_batch=4)
    start = time.perf_counter()
    results = on_loop(*(batcher(i) for i in range(8)))
    assert [r for r, _ in results] == [2 * i for i in range(8)]
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7]]  # full batches did not wait
    assert time.perf_counter() - start < 0.15


def test_a_lone_call_waits_at_most_the_window_and_zero_turns_batching_off() -> None:
    seen: list[list[str]] = []

    def run(items: list[str]) -> list[str]:
        seen.append(items)
        return items

    for window_ms in (0, 30):
        batcher = Batcher(run, threading.Lock(), window_ms, 32)
        start = time.perf_counter()
        [(result, cost)] = on_loop(batcher("x"))
        assert result == "x" and cost.cpu_seconds == pytest.approx(0.0, abs=0.05)
        waited = time.perf_counter() - start
        assert waited < window_ms / 1000 + 0.05, waited
    seen.clear()
    off = Batcher(run, threading.Lock(), 0, 32)
    assert [r for r, _ in on_loop(off("a"), off("b"))] == ["a", "b"]
    assert seen == [["a"], ["b"]]  # window 0: each request alone


def test_with_arrivals_a_lone_request_runs_at_once_and_waits_only_for_requests_on_their_way():
    arrivals = Arrivals()
    seen: list[list[str]] = []

    def run(items: list[str]) -> list[str]:
        seen.append(items)
        return items

    batcher = Batcher(run, threading.Lock(), window_ms=2000, max_batch=32, arrivals=arrivals)

    async def request(item: str, delay: float = 0.0) -> str:
        with arrivals.arrived():  # as the server's middleware does around each request
            await asyncio.sleep(delay)  # reading and checking it
            return (await batcher(item))[0]

    start = time.perf_counter()
    assert on_loop(request("alone")) == ["alone"]
    assert time.perf_counter() - start < 0.2  # nothing else in flight: no 2 s window
    # a second request still on its way when the first reaches the batcher joins its batch,
    # and the batch runs as soon as it has come, not when the window ends
    seen.clear()
    start = time.perf_counter()
    assert on_loop(request("first"), request("later", 0.3)) == ["first", "later"]
    assert seen == [["first", "later"]]
    assert 0.3 <= time.perf_counter() - start < 1.5
    assert arrivals.pending == 0


def test_batches_run_in_a_worker_thread_while_the_loop_goes_on() -> None:
    threads: list[str] = []
    ticks, ticks_while_computing = 0, -1

    def run(items: list[str]) -> list[str]:
        nonlocal ticks_while_computing
        threads.append(threading.current_thread().name)
        time.sleep(0.5)  # a model call: the loop is free meanwhile
        ticks_while_computing = ticks
        return items

    batcher = Batcher(run, threading.Lock(), 0, 32)

    async def tick() -> None:
        nonlocal ticks
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1

    results = on_loop(batcher("a"), tick())
    assert results[0][0] == "a" and threads[0] != threading.current_thread().name
    assert ticks_while_computing == 10  # the loop ran its other task during the batch


def test_a_failing_item_fails_alone() -> None:
    def checked(items: list[int]) -> list[int]:
        if 3 in items:
            raise ValueError("three")
        return items

    batcher = Batcher(checked, threading.Lock(), window_ms=200, max_batch=8)
    results = on_loop(*(batcher(i) for i in [1, 2, 3, 4]))
    assert [r if isinstance(r, Exception) else r[0] for r in results[:2]] == [1, 2]
    assert isinstance(results[2], ValueError) and results[3][0] == 4


@pytest.fixture
def batched(tmp_path: Path, artifacts: Path, models: Models) -> Iterator[Http]:
    # a long window: a lone request must not wait it out, and a batch waits only for requests
    # on their way
    config = load_config(write_config(tmp_path, artifacts, "batch_window_ms = 1000"))
    yield from in_process(config, models)


def test_batched_answers_equal_one_at_a_time_answers(batched: Http, models: Models) -> None:
    key = {"Authorization": f"Bearer {batched.key()}"}

    def post(path: str) -> Callable[[dict[str, Any]], Any]:
        return lambda body: batched.client.post(path, json=body, headers=key).json()

    lone = batched.client.post("/v1/support/route", json={"message": MESSAGES[0]}, headers=key)
    assert float(lone.headers["x-inhouse-processing-ms"]) < 1000

    embedder, router = models.embedders[DEFAULT_EMBEDDER], models.routers["bank-router"]
    assert models.assistant is not None
    alone = {
        "embed": [embedder.embed([m])[0] for m in MESSAGES],
        "route": [router.route(m) for m in MESSAGES],
        "ask": [models.assistant.ask(m) for m in MESSAGES],
    }
    embedded = together(
        post("/v1/embeddings"), [{"model": DEFAULT_EMBEDDER, "input": m} for m in MESSAGES]
    )
    routed = together(post("/v1/support/route"), [{"message": m} for m in MESSAGES])
    asked = together(post("/v1/support/ask"), [{"message": m} for m in MESSAGES])
    for i, _ in enumerate(MESSAGES):
        np.testing.assert_allclose(
            embedded[i]["data"][0]["embedding"], alone["embed"][i], atol=1e-5
        )
        assert routed[i]["intent"] == alone["route"][i].intent
        assert routed[i]["confidence"] == pytest.approx(alone["route"][i].confidence, abs=1e-6)
        assert asked[i]["answer"] == alone["ask"][i].answer
        assert [c["article_id"] for c in asked[i]["citations"]] == [
            c.article_id for c in alone["ask"][i].citations
        ]
    batchers = batched.client.app.state.ctx.batchers
    for batcher in (batchers.embed[DEFAULT_EMBEDDER], batchers.route["bank-router"], batchers.ask):
        assert batcher.items == len(MESSAGES) + (batcher is batchers.route["bank-router"])
        assert batcher.batches < len(MESSAGES)
