"""The intent-routing bake-off: every router system fitted, calibrated and scored on one dataset."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from inhouse.datasets.types import IntentData
from inhouse.eval.latency import Timing, measure
from inhouse.eval.results import BenchResult, SystemResult
from inhouse.eval.routing import routing_intervals, routing_metrics
from inhouse.models.embedder import Embedder, fingerprint
from inhouse.models.load import load_embedder
from inhouse.support.route.base import OUT_OF_SCOPE
from inhouse.support.route.registry import SYSTEMS, load_router, make_router

LATENCY_MESSAGES = 500


def measure_latency(router: Any, texts: Sequence[str], n: int = LATENCY_MESSAGES) -> Timing:
    """Route `n` messages one at a time (cycling through `texts`) after a warm-up of five.

    Measured as it is served: one single-threaded worker per core (the routers' ONNX Runtime
    sessions always use one thread), which is also the basis of the cost ($ per core-second).
    """
    picks = [texts[i % len(texts)] for i in range(n)]
    return measure(
        lambda text: router.predict([text]), picks, warmup=lambda: router.predict(picks[:5])
    )


def _metrics(
    predicted: Sequence[str], gold: Sequence[str], oos_label: str | None
) -> dict[str, float | None]:
    return routing_metrics(predicted, gold, oos_label, out_of_scope=OUT_OF_SCOPE)


def _intents(frame: Any, oos_label: str | None) -> list[str]:
    return [OUT_OF_SCOPE if i == oos_label else str(i) for i in frame["intent"].to_list()]


def bench_system(
    data: IntentData,
    system: str,
    embedder: Embedder,
    config: Mapping[str, Any] | None = None,
    latency_messages: int = LATENCY_MESSAGES,
) -> SystemResult:
    """Fit on `train`, save and reload, calibrate on `valid`, score `test` and time routing.
    The row names its encoder (name, weights sha256, dim) in `encoder`.

    `metrics` come from the reloaded router, as served; `fitted_torch_metrics` from the router
    before saving (float32 features from torch, calibrated on `valid` too), to show what serving
    changes.

    When `valid` has no out-of-scope rows the threshold stays 0 and the router is re-fitted on
    train + valid before scoring.
    """
    router = make_router(system, embedder, **dict(config or {}))
    train_texts = [str(t) for t in data.train["text"].to_list()]
    train_intents = _intents(data.train, data.oos_label)
    valid_texts = [str(t) for t in data.valid["text"].to_list()]
    valid_intents = _intents(data.valid, data.oos_label)
    start, cpu = time.perf_counter(), time.process_time()
    calibration: dict[str, float] = {"threshold": 0.0}
    calibrate = OUT_OF_SCOPE in valid_intents
    if calibrate:
        router.fit(train_texts, train_intents)
    else:
        # no out-of-scope evidence to set a threshold on (it stays 0), so the final model uses
        # every labelled ticket; hyper-parameters were chosen on validation data beforehand
        router.fit(train_texts + valid_texts, train_intents + valid_intents)
    with tempfile.TemporaryDirectory(prefix="inhouse-router-") as tmp:
        router.save(Path(tmp) / "router")
        # a router that stores its own (fine-tuned) embedder loads it; the others get ours
        own = getattr(router, "stores_embedder", False)
        loaded = load_router(Path(tmp) / "router", None if own else embedder)
        if calibrate:  # the threshold is set on what is served
            calibration = loaded.calibrate(valid_texts, valid_intents)
    fit_seconds, fit_cpu = time.perf_counter() - start, time.process_time() - cpu
    if calibrate:
        router.calibrate(valid_texts, valid_intents)
    test_texts = [str(t) for t in data.test["text"].to_list()]
    gold = data.test["intent"].to_list()
    predicted, _ = loaded.predict(test_texts)
    metrics = _metrics(predicted, gold, data.oos_label)
    ci95 = routing_intervals(predicted, gold, data.oos_label, out_of_scope=OUT_OF_SCOPE)
    # the router as fitted, before saving: features from torch (the serving graph's reference)
    fitted_metrics = _metrics(router.predict(test_texts)[0], gold, data.oos_label)
    # validation figures (for choosing a winner) only where valid was held out of the fit
    valid_metrics = (
        _metrics(loaded.predict(valid_texts)[0], data.valid["intent"].to_list(), data.oos_label)
        if calibrate
        else None
    )
    timing = measure_latency(loaded, test_texts, latency_messages)
    return timing.row(  # the extra fields document the run
        system,
        loaded.kind,
        metrics,
        round(fit_seconds, 2),
        ci95=ci95,
        test_examples=len(gold),
        fit_cpu_seconds=round(fit_cpu, 2),
        serving=getattr(getattr(loaded, "serving", None), "backend", "torch"),
        fitted_torch_metrics=fitted_metrics,
        valid_metrics=valid_metrics,
        threshold=round(loaded.threshold, 6),
        calibration=calibration,
        config=dict(config or {}),
        encoder=fingerprint(embedder).model_dump(),
        training=dict(getattr(loaded, "training", None) or {}),
    )


def bench_routing(
    data: IntentData,
    systems: list[str] | None = None,
    embedder: Embedder | None = None,
    configs: Mapping[str, Mapping[str, Any]] | None = None,
    latency_messages: int = LATENCY_MESSAGES,
) -> BenchResult:
    """Every system in `systems` (default: all) as one row; primary metric `accuracy`."""
    from inhouse.progress import progress

    embedder = embedder or load_embedder()
    names = systems or list(SYSTEMS)
    rows = []
    with progress() as bar:  # plain lines with an ETA off a terminal
        task = bar.add_task(f"routing bench on {data.name}", total=len(names))
        for s in names:
            rows.append(bench_system(data, s, embedder, (configs or {}).get(s), latency_messages))
            bar.advance(task)
    protocol = (
        f"fit on train ({data.train.height}), out-of-scope threshold on valid "
        f"({data.valid.height}) only (without out-of-scope rows in valid: threshold 0 and a "
        f"final fit on train + valid), scored once on test ({data.test.height}); "
        f"latency = one message per call after load, over {latency_messages} messages. "
        + data.protocol
    )
    return BenchResult.model_validate(
        {
            "workload": "support-routing",
            "dataset": data.name,
            "protocol": protocol,
            "primary_metric": "accuracy",
            "systems": rows,
            "embedder": embedder.name,
        }
    )
