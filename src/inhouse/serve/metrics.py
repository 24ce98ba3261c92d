"""Prometheus metrics: requests and tokens per endpoint, and latency histograms.

With `--workers N`, `inhouse serve` sets `PROMETHEUS_MULTIPROC_DIR` so that one scrape of
/metrics sums every worker (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """This process's counters and histograms, in a registry of its own."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.paths: set[str] = set()  # the app's routes; any other path is labelled "other"
        self.registry = CollectorRegistry()
        self.multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        # in multiprocess mode values live in files; the registry only collects them
        where = None if self.multiprocess else self.registry
        self.requests = Counter(
            "inhouse_requests", "Requests served", ["endpoint", "status"], registry=where
        )
        self.tokens = Counter(
            "inhouse_tokens", "Tokens in and out", ["endpoint", "direction"], registry=where
        )
        self.latency = Histogram(
            "inhouse_request_seconds",
            "Server processing time per request",
            ["endpoint"],
            buckets=BUCKETS,
            registry=where,
        )

    def observe(
        self, endpoint: str, status: int, seconds: float, tokens_in: int, tokens_out: int
    ) -> None:
        if endpoint not in self.paths:  # a scan of random paths must not grow the label set
            endpoint = "other"
        self.requests.labels(endpoint, str(status)).inc()
        self.latency.labels(endpoint).observe(seconds)
        if tokens_in:
            self.tokens.labels(endpoint, "in").inc(tokens_in)
        if tokens_out:
            self.tokens.labels(endpoint, "out").inc(tokens_out)

    def render(self) -> bytes:
        """The text exposition of every metric (of every worker, in multiprocess mode)."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
