"""A bake-off: run a workload's bench systems, cost them, price the API approaches on the same
test inputs, add published figures, and record the data and model fingerprints.

    >>> result = bakeoff(load("banking77"), Bakeoff(prices=load_prices()))
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from inhouse.bakeoff import prompts as P
from inhouse.bakeoff.api import estimate_rows, published_rows
from inhouse.bakeoff.cost import CostBasis, fill_costs
from inhouse.bakeoff.prices import PriceTable
from inhouse.datasets.types import IntentData, RecommendData, ResponseData, RetrievalData
from inhouse.eval.results import BenchResult
from inhouse.models.embedder import Embedder, fingerprint
from inhouse.models.weights import sha256_file

Data = IntentData | RecommendData | RetrievalData | ResponseData
MANY_FILES = 12  # above this, a dataset's files are fingerprinted as one combined digest


@dataclass
class Bakeoff:
    """What a bake-off runs and on what terms."""

    prices: PriceTable
    """The price table (packaged, with any `--prices` override applied)."""
    basis: CostBasis = field(default_factory=CostBasis)
    """Machine and request volume the in-house cost rests on."""
    systems: list[str] | None = None
    """In-house / baseline systems to run (None: the workload's defaults)."""
    api_models: list[str] | None = None
    """Price-table keys to price the API approach with (None: the table's defaults)."""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """System name -> the one setting to run instead of its validation grid (recommend)."""
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)
    """Data and model sha256s to record beside the results."""
    console: Console = field(default_factory=lambda: Console(stderr=True))
    """Where progress is printed."""

    def step(self, message: str) -> None:
        """One timestamped line per stage, never wrapped, so a log reads line by line."""
        self.console.print(
            f"[dim]{time.strftime('%H:%M:%S')}[/] {message}", highlight=False, soft_wrap=True
        )


def files_fingerprint(files: dict[str, Path]) -> dict[str, str]:
    """name -> sha256 of each file; many files collapse to one digest over the sorted list."""
    digests = {name: sha256_file(p) for name, p in sorted(files.items())}
    if len(digests) <= MANY_FILES:
        return digests
    combined = hashlib.sha256("".join(f"{n}\0{d}\n" for n, d in digests.items()).encode())
    return {f"{len(digests)} files (sha256 of 'name NUL sha256' lines)": combined.hexdigest()}


def dataset_fingerprint(name: str, data_dir: Path | str | None = None) -> dict[str, str]:
    """sha256 of each file the dataset's loader reads."""
    from inhouse.datasets import CATALOGUE, resolve_dir

    folder = resolve_dir(name, data_dir, download=False)
    return files_fingerprint({p: folder / p for p in CATALOGUE[name].required_paths()})


def _finish(
    result: BenchResult, run: Bakeoff, sets: list[P.PromptSet], extra: list[Any]
) -> BenchResult:
    metric_names = sorted({m for s in result.systems for m in s.metrics}) or [result.primary_metric]
    result = fill_costs(result, run.prices, run.basis)
    rows = list(result.systems)
    for ps in sets:
        run.step(f"counting tokens and pricing: {ps.approach} ({len(ps.prompts):,} prompts)")
        rows += estimate_rows(ps, run.prices, metric_names, run.api_models)
    rows += extra
    return result.model_copy(
        update={
            "systems": rows,
            "fingerprints": run.fingerprints,
            "assumptions": {
                "machine": run.prices.machines[run.basis.machine].label,
                "training amortised over (requests)": f"{run.basis.volume:,}",
                "price files": ", ".join(run.prices.files),
                "API output tokens": "; ".join(
                    f"{s.approach}: {s.output_assumption}" for s in sets
                ),
            },
        }
    )


class _SharedPass:
    """The embedder, read through the routers' memoised forward pass where it exists, so the
    retrieved-examples prompts reuse the train/test embeddings the routers just computed."""

    def __init__(self, embedder: Embedder) -> None:
        self.inner, self.name, self.dim = embedder, embedder.name, embedder.dim

    def embed(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        from inhouse.models.features import view_features

        vecs = view_features(self.inner, texts, (-1,))
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)


def bakeoff_intents(data: IntentData, run: Bakeoff, embedder: Embedder) -> BenchResult:
    """Intent routing: the routers, then zero-shot / few-shot / retrieved-examples prompts."""
    from inhouse.support.route.evaluate import bench_routing

    run.step(f"routing bench on {data.name}: systems {', '.join(run.systems or ['(all)'])}")
    result = bench_routing(data, run.systems, embedder=embedder)
    run.step("building API prompts on the test messages (embedding for 20 retrieved examples)")
    sets = [
        P.routing_zero_shot(data),
        P.routing_few_shot(data),
        P.routing_retrieved(data, embedder),
    ]
    return _finish(result, run, sets, published_rows(data.name, ["accuracy", "macro_f1"]))


def bakeoff_recommend(data: RecommendData, run: Bakeoff) -> BenchResult:
    """Recommendation: the recommenders, then an LLM reranking 20 candidates per user."""
    from inhouse.recommend.evaluate import bench_recommend

    run.step(f"recommend bench on {data.name}: systems {', '.join(run.systems or ['(all)'])}")
    result = bench_recommend(data, run.systems, run.params)
    run.step("building rerank prompts from each test user's history")
    result = _finish(result, run, [P.recommend_rerank(data)], published_rows(data.name, []))
    if not data.ties:
        return result
    t = data.ties
    note = (
        f"{t['users']} of {t['of']} users have events at the same timestamp, and for "
        f"{t['held_out']} the validation or test event was decided by the rule: {t['rule']}"
    )
    run.step(f"equal timestamps: {note}")
    assumptions = {**(result.model_extra or {}).get("assumptions", {}), "equal timestamps": note}
    return result.model_copy(update={"equal_timestamps": t, "assumptions": assumptions})


def bakeoff_retrieval(data: RetrievalData, run: Bakeoff, embedder: Embedder) -> BenchResult:
    """Help-center retrieval: the retrievers, then question + top-k passages prompts."""
    from inhouse.support.retrieve.evaluate import bench_retrieval

    run.step(f"retrieval bench on {data.name}")
    result = bench_retrieval(data, run.systems, embedder=embedder)
    sets = [P.retrieval_answering(data, embedder)]
    return _finish(result, run, sets, published_rows(data.name, []))


def bakeoff_responses(data: ResponseData, run: Bakeoff, embedder: Embedder) -> BenchResult:
    """Response suggestion: the suggesters, then question + similar resolved tickets prompts."""
    from inhouse.support.answer.evaluate import bench_responses

    run.step(f"response-suggestion bench on {data.name}")
    result = bench_responses(data, run.systems, embedder=embedder)
    sets = [P.response_suggestion(data, embedder)]
    return _finish(result, run, sets, published_rows(data.name, []))


def bakeoff(data: Data, run: Bakeoff, embedder: Embedder | None = None) -> BenchResult:
    """Dispatch on the data's type; the embedder (default MiniLM) is loaded once and shared."""
    if isinstance(data, RecommendData):
        from inhouse.models.embedder import DEFAULT_EMBEDDER
        from inhouse.models.registry import ensure_verified

        # the text systems' default embedder, without loading it: the sha256 its fingerprint has
        sha256 = ensure_verified(DEFAULT_EMBEDDER).weights_sha256()
        run.fingerprints.setdefault("embedder", {DEFAULT_EMBEDDER: sha256})
        return bakeoff_recommend(data, run)
    if embedder is None:
        from inhouse.models.load import load_embedder

        embedder = load_embedder()
    fp = fingerprint(embedder)  # for the default: the pinned sha256 of its model.safetensors
    run.fingerprints.setdefault("embedder", {fp.name: fp.sha256})
    runners: dict[type, Callable[..., BenchResult]] = {
        IntentData: bakeoff_intents,
        RetrievalData: bakeoff_retrieval,
        ResponseData: bakeoff_responses,
    }
    return runners[type(data)](data, run, embedder)
