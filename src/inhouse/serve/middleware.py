"""The ASGI middleware around every request: body limit, processing time, usage, audit, metrics.

For each request it
- refuses a body over `max_body_bytes` with 413 (read before the app sees any of it);
- adds `x-inhouse-processing-ms`, the server's own time until the response started, and
  `x-inhouse-compute-ms`, the wall time of the model calls that served it (a batch's whole
  call when it was batched), so a client can tell the server's overhead from the model's time;
- writes one usage row and one audit line (bodies only when configured, always redacted), and
  updates the Prometheus metrics, before the last byte of the response goes out: a client
  that has its answer has its usage row and audit line committed. `/health` and `/metrics`
  are not metered.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inhouse.serve.context import Context
from inhouse.serve.errors import ApiError, error_response
from inhouse.serve.state import UsageRow

HEADER = "x-inhouse-processing-ms"
COMPUTE_HEADER = "x-inhouse-compute-ms"
UNMETERED = {"/health", "/metrics"}
NO_RESPONSE_BODY = {"/v1/embeddings"}  # vectors, not words: never written to the audit log


class TooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or TooLarge as soon as it passes `limit` bytes."""
    parts, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        parts.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(parts)


class Metering:
    """Wraps the FastAPI app; `ctx` is the process's `Context`."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        notes: dict[str, Any] = scope.setdefault("state", {})
        seen: dict[str, Any] = {"status": 500, "chunks": [], "body": b"", "recorded": False}
        keep_body = self.ctx.config.log_bodies and scope["path"] not in NO_RESPONSE_BODY

        async def finish() -> None:
            if not seen["recorded"] and scope["path"] not in UNMETERED:
                seen["recorded"] = True
                # on the loop: one SQL insert and one appended line (fsynced on a timer,
                # `audit_fsync_ms`) cost less than a hop to a worker thread and back
                self._record(scope, notes, seen, time.perf_counter() - start)

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                ms = (time.perf_counter() - start) * 1000
                headers = MutableHeaders(scope=message)
                headers.append(HEADER, f"{ms:.3f}")
                cost = notes.get("cost")
                if cost is not None:
                    headers.append(COMPUTE_HEADER, f"{cost.seconds * 1000:.3f}")
            elif message["type"] == "http.response.body":
                if keep_body:
                    seen["chunks"].append(message.get("body", b""))
                if not message.get("more_body", False):
                    await finish()  # committed before the client sees the response end
            await send(message)

        limit = self.ctx.config.max_body_bytes
        declared = dict(scope["headers"]).get(b"content-length", b"")
        try:
            if declared.isdigit() and int(declared) > limit:
                raise TooLarge
            seen["body"] = await read_body(receive, limit)
        except TooLarge:
            message = f"The request body is larger than the limit of {limit:,} bytes"
            await error_response(ApiError(413, message, code="too_large"))(
                scope, receive, timed_send
            )
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": seen["body"], "more_body": False}
            return await receive()

        try:
            with self.ctx.arrivals.arrived():  # a batch may wait for it (`serve.batching`)
                await self.app(scope, replay, timed_send)
        finally:
            await finish()  # the app failed before it answered: recorded as a 500

    def _record(
        self,
        scope: Scope,
        notes: dict[str, Any],
        seen: dict[str, Any],
        seconds: float,
    ) -> None:
        """Write the usage row, the audit line and the metrics of one finished request."""
        ctx, path, status = self.ctx, scope["path"], seen["status"]
        tokens_in, tokens_out = notes.get("tokens_in", 0), notes.get("tokens_out", 0)
        cpu = notes["cost"].cpu_seconds if "cost" in notes else 0.0
        usd = cpu * ctx.usd_per_cpu_second
        key_name, model, now = notes.get("key_name"), notes.get("model"), time.time()
        row = UsageRow(now, key_name, path, model, status, tokens_in, tokens_out, cpu, usd)
        ctx.state.record(row)
        record: dict[str, Any] = {
            "time": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            "key": key_name,
            "method": scope["method"],
            "endpoint": path,
            "model": model,
            "status": status,
            "latency_ms": round(seconds * 1000, 3),
            "tokens_in": tokens_in,
            "tokens_out": tokens_out,
            "cpu_seconds": round(cpu, 6),
            "usd": usd,
        }
        if ctx.config.log_bodies:
            record["request_body"] = self._redacted(seen["body"])
            if path not in NO_RESPONSE_BODY:
                record["response_body"] = self._redacted(b"".join(seen["chunks"]))
        ctx.audit.append(record)
        ctx.metrics.observe(path, status, seconds, tokens_in, tokens_out)

    def _redacted(self, raw: bytes) -> str:
        """A body as text with its PII replaced; JSON is decoded first so escapes hide nothing."""
        text = raw.decode("utf-8", errors="replace")
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
        return self.ctx.redactor.redact(text)[0]
