"""Tiny fixtures of the bench tests: a hashing embedder, a small intent dataset and a synthetic
bake-off result (no real run) for the report, headline and browser tests."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import polars as pl
import pytest

from inhouse.datasets.types import IntentData
from inhouse.eval.results import BenchResult, SystemResult


class HashEmbedder:
    """Bag-of-words hashed into 64 dims, L2-normalised: deterministic and instant."""

    name = "hash-64"
    dim = 64

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


INTENTS = ["card_arrival", "lost_card", "refund", "top_up"]
WORDS = {
    "card_arrival": "when will my new card arrive",
    "lost_card": "i lost my card help",
    "refund": "i want a refund for this payment",
    "top_up": "how do i top up my account",
}


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def intent_data() -> IntentData:
    rows = [
        (f"t{i}-{n}", f"{WORDS[intent]} please {n}", intent)
        for i, intent in enumerate(INTENTS)
        for n in range(6)
    ]
    train = pl.DataFrame(rows, schema=["ticket_id", "text", "intent"], orient="row")
    test = pl.DataFrame(
        [(f"q{i}", f"{WORDS[intent]} now", intent) for i, intent in enumerate(INTENTS)],
        schema=["ticket_id", "text", "intent"],
        orient="row",
    )
    return IntentData(
        name="tiny", train=train, valid=test.head(0), test=test, intents=INTENTS, protocol="p"
    )


def row(
    name: str, kind: str, acc: float | None, cost: float | None, **extra: object
) -> SystemResult:
    return SystemResult.model_validate(
        {
            "name": name,
            "kind": kind,
            "metrics": {"accuracy": acc, "macro_f1": None},
            "cost_usd_per_1k": cost,
            "latency_ms": {"p50": 1.5, "p95": 2.5, "p99": 4.0} if kind != "api-estimate" else None,
            "fit_seconds": 12.0 if kind == "in-house" else None,
            **extra,
        }
    )


def api(name: str, cost: float) -> SystemResult:
    return row(
        name,
        "api-estimate",
        None,
        cost,
        published=False,
        tokens={"input_mean": 812.0, "output_mean": 4.2, "counting": "exact (o200k_base)"},
        price={"input_usd_per_1m": 0.05, "output_usd_per_1m": 0.4, "source": "s", "date": "2026"},
        output_assumption="the intent label alone",
        cost_usd_test_set=cost * 3.08,
    )


def synthetic(inhouse_acc: float = 0.93, inhouse_cost: float = 2.7e-5) -> BenchResult:
    return BenchResult(
        workload="support",
        dataset="banking77",
        protocol="accuracy on test.csv",
        primary_metric="accuracy",
        systems=[
            row("knn router (tuned)", "in-house", inhouse_acc, inhouse_cost),
            row("zero-shot embedder", "off-the-shelf", 0.80, 1.0e-5),
            row("tf-idf + logreg", "baseline", 0.85, 1.0e-6),
            api("GPT-5-nano · zero-shot with the intent list", 0.05),
            api("GPT-4o · 3-shot per intent", 9.0),
            row(
                "GPT-4, 20 retrieved examples (published)",
                "api-estimate",
                0.877,
                87.66,
                published=True,
                citation="Loukas et al., ICAIF 2023",
                published_cost_usd=270,
                published_requests=3080,
                price={"source": "GPT-4 API prices of 2023", "date": "2023"},
            ),
        ],
        fingerprints={"dataset files": {"test.csv": "ab" * 32}, "embedder": {"m": "cd" * 32}},
    )


@pytest.fixture
def make_result():
    """`make_result(inhouse_acc, inhouse_cost)` -> a synthetic Banking77-like BenchResult."""
    return synthetic


LOADED = {"load_1min": 3.4, "cores": 2, "per_core": 1.7}
QUIET = {"load_1min": 0.2, "cores": 2, "per_core": 0.1}


def crowded() -> BenchResult:
    """A small test set (25 tickets): accuracies in steps of 0.04, so many systems share a
    point; 12 priced API approaches; intervals; two rows timed under load."""
    measured = [
        ("logistic router (tuned)", "in-house", 0.88, 2.1e-6, (0.76, 1.0), LOADED),
        ("knn router (tuned)", "in-house", 0.88, 2.2e-6, (0.76, 0.96), LOADED),
        ("fine-tuned router, long name to wrap", "in-house", 0.84, 2.0e-6, (0.68, 0.96), QUIET),
        ("zero-shot embedder", "off-the-shelf", 0.88, 2.1e-6, (0.76, 1.0), QUIET),
        ("zero-shot embedder, other prompt", "off-the-shelf", 0.84, 2.0e-6, (0.68, 0.96), QUIET),
        ("tf-idf + logreg", "baseline", 0.84, 1.9e-6, (0.68, 0.96), QUIET),
        ("majority intent", "baseline", 0.12, 1.0e-7, (0.0, 0.24), QUIET),
    ]
    rows = [
        row(n, k, acc, cost, ci95={"accuracy": ci}, test_examples=25, timing_load=load,
            fit_seconds=0.722 if k == "in-house" else None,
            cost_breakdown={"cpu_ms_per_request": 0.0723, "train_usd": 7.98e-05,
                            "train_usd_per_1k": 7.98e-08, "requests_per_s_per_core": 13831.0})
        for n, k, acc, cost, ci, load in measured
    ]  # fmt: skip
    rows += [api(f"Model {i} · zero-shot with the intent list", 0.01 * (i + 1)) for i in range(12)]
    return BenchResult(
        workload="support-routing",
        dataset="acme-tickets",
        protocol="p",
        primary_metric="accuracy",
        systems=rows,
    )


@pytest.fixture
def make_crowded():
    """`make_crowded()` -> a 25-ticket bake-off whose points pile up."""
    return crowded
