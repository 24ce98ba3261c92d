"""An off-the-shelf LLM as the intent router on Banking77: Qwen2.5-Coder-0.5B-Instruct on
llama.cpp (one thread) names one of the 77 labels, zero-shot and with retrieved examples.

    python benchmarks/llm_router.py --out benchmarks/results/support-banking77.json
    python benchmarks/llm_router.py --n 20 --modes zero-shot --dry-run      # a speed probe

A seeded (0) plain random sample of the test set (not stratified); the router is fitted on
train + valid (no threshold to calibrate). Its rows are merged into `--out`: rows of the same
name are replaced, every other row and field is kept. Costs reuse the bake-off's: the measured
CPU ms per message at the machine price (`inhouse.bakeoff.cost.inhouse_cost`), and the same
prompts and replies priced at the API list prices (`inhouse.bakeoff.api.estimate_rows`).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

from inhouse.bakeoff.api import estimate_rows
from inhouse.bakeoff.cost import CostBasis, inhouse_cost
from inhouse.bakeoff.prices import load_prices
from inhouse.bakeoff.prompts import PromptSet
from inhouse.datasets import load
from inhouse.eval.latency import measure
from inhouse.eval.results import SystemResult
from inhouse.eval.routing import routing_intervals, routing_metrics
from inhouse.files import atomic_write_text
from inhouse.generate.registry import load_generator
from inhouse.models.load import load_embedder
from inhouse.support.route.base import OUT_OF_SCOPE
from inhouse.support.route.llm import DEFAULT_MODEL, LlmRouter, Reply

log = logging.getLogger("llm_router")
SHORT = "qwen2.5-coder-0.5b"
WARM_TEXT = "I still have not received my new card"  # a training-like message, not sampled


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def api_prices(replies: list[Reply], system: str, approach: str) -> list[dict[str, Any]]:
    """The same prompts (system + user text) and replies priced at each API list price."""
    prompts = [r.messages[0]["content"] + "\n\n" + r.messages[1]["content"] for r in replies]
    outs = [r.reply.strip() or r.label for r in replies]
    ps = PromptSet(
        approach=approach,
        prompts=prompts,
        outputs=outs,
        output_assumption="the reply the local model gave, counted with the API's tokenizer",
        shared_prefix=system + "\n\n",
    )
    rows = estimate_rows(ps, load_prices(), ["accuracy"])
    return [
        {
            "model": row.model_extra["model"],
            "usd_per_1k": row.cost_usd_per_1k,
            "usd_per_1k_with_prompt_cache": row.model_extra["cost_usd_per_1k_with_prompt_cache"],
            "input_tokens_mean": row.model_extra["tokens"]["input_mean"],
            "output_tokens_mean": row.model_extra["tokens"]["output_mean"],
            "counting": row.model_extra["tokens"]["counting"],
        }
        for row in rows
    ]


def run_mode(
    router: LlmRouter, texts: list[str], gold: list[str], fit_s: float, of: int, seed: int
) -> SystemResult:
    replies: list[Reply] = []
    load_before = loadavg()
    wall0, cpu0 = time.perf_counter(), time.process_time()

    def one(text: str) -> None:
        router.predict([text])
        replies.extend(router.last)
        if len(replies) % 25 == 0:
            right = sum(r.label == g for r, g in zip(replies, gold, strict=False))
            el = time.perf_counter() - wall0
            log.info(
                "%s: %d/%d, accuracy so far %.3f, %.2f s/msg, load %s",
                router.mode,
                len(replies),
                len(texts),
                right / len(replies),
                el / len(replies),
                loadavg(),
            )

    # warm-up: one training message puts the fixed system prompt into the KV cache
    timing = measure(one, texts, warmup=lambda: router.predict([WARM_TEXT]))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    load_after = loadavg()
    predicted = [r.label for r in replies]
    metrics = routing_metrics(predicted, gold, None, out_of_scope=OUT_OF_SCOPE)
    parses = {k: sum(r.parse == k for r in replies) for k in ("exact", "normalised", "fuzzy")}
    parses["unknown"] = sum(r.parse == "none" for r in replies)
    name = f"llm-{SHORT} " + (
        "zero-shot" if router.mode == "zero-shot" else f"retrieved-{router.k}"
    )
    approach = "zero-shot" if router.mode == "zero-shot" else f"{router.k} retrieved examples"

    def mean(attr: str) -> float | None:
        vals = [getattr(r, attr) for r in replies if getattr(r, attr) is not None]
        return statistics.fmean(vals) if vals else None

    row = timing.row(
        name,
        "off-the-shelf",
        metrics,
        round(fit_s, 2),
        ci95=routing_intervals(predicted, gold, None, out_of_scope=OUT_OF_SCOPE),
        test_examples=len(gold),
        sample=(
            f"{len(gold)} of {of} test messages, a seeded ({seed}) plain random sample; "
            "the other rows use the whole test set"
        ),
        model=DEFAULT_MODEL,
        serving="llama.cpp (llama-cpp-python), 1 thread, greedy, stop at newline",
        mode=router.mode,
        config=router.parameters(),
        threshold=0.0,
        confidence="1.0 for a parsed label, 0.0 for unknown; no calibrated out-of-scope",
        parse_counts=parses,
        accuracy_on_first={
            str(m): sum(p == g for p, g in zip(predicted[:m], gold[:m], strict=True)) / m
            for m in (100, 200, 300, 400)
            if m < len(gold)
        },
        tokens={
            "prompt_mean": mean("prompt_tokens"),
            "prompt_evaluated_mean": mean("prompt_evaluated"),
            "completion_mean": mean("completion_tokens"),
            "counted_by": "the model's own tokenizer (Qwen2.5) via llama.cpp",
        },
        wall_seconds=round(wall, 1),
        process_cpu_seconds_per_message=round(cpu / len(replies), 4),
        load_before=load_before,
        load_after=load_after,
        api_priced=api_prices(replies, router.system, approach),
        replies_sample=[
            {"text": r.messages[1]["content"].split("Message: ")[-1][:120], "reply": r.reply}
            for r in replies[:5]
        ],
    )
    breakdown = inhouse_cost(row, load_prices(), CostBasis())
    return row.model_copy(
        update={"cost_usd_per_1k": breakdown["usd_per_1k"], "cost_breakdown": breakdown}
    )


def merge(path: Path, rows: list[SystemResult]) -> None:
    """Replace or add `rows` by name in the result file at `path`; keep everything else."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    names = {r.name for r in rows}
    kept = [s for s in payload["systems"] if s["name"] not in names]
    payload["systems"] = kept + [r.model_dump(mode="json") for r in rows]
    atomic_write_text(path, json.dumps(payload, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/support-banking77.json")
    )
    parser.add_argument("--n", type=int, default=500, help="test messages sampled")
    parser.add_argument("--n-retrieved", type=int, default=None, help="fewer for retrieved")
    parser.add_argument("--modes", default="zero-shot,retrieved")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write --out")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    log.info("load average at start %s", loadavg())
    data = load("banking77", args.data_dir)
    texts = [str(t) for t in data.train["text"].to_list() + data.valid["text"].to_list()]
    intents = [str(i) for i in data.train["intent"].to_list() + data.valid["intent"].to_list()]
    test_t = [str(t) for t in data.test["text"].to_list()]
    test_g = [str(i) for i in data.test["intent"].to_list()]
    pick = random.Random(args.seed).sample(range(len(test_t)), args.n)
    generator = load_generator(DEFAULT_MODEL, n_threads=1, max_tokens=24)
    embedder = load_embedder()
    rows = []
    for mode in args.modes.split(","):
        n = args.n_retrieved if mode == "retrieved" and args.n_retrieved else args.n
        router = LlmRouter(embedder, generator, mode=mode, k=args.k)
        start = time.perf_counter()
        router.fit(texts, intents)
        fit_s = time.perf_counter() - start
        log.info("%s: fitted in %.1f s; routing %d messages", mode, fit_s, n)
        sub_t, sub_g = [test_t[i] for i in pick[:n]], [test_g[i] for i in pick[:n]]
        row = run_mode(router, sub_t, sub_g, fit_s, len(test_t), args.seed)
        rows.append(row)
        extra = row.model_extra or {}
        log.info(
            "%s: accuracy %.4f macro_f1 %.4f p50 %.0f ms p95 %.0f ms cpu %.0f ms/msg "
            "$%.5f/1k tokens %s parses %s",
            row.name,
            row.metrics["accuracy"],
            row.metrics["macro_f1"],
            row.latency_ms.p50 if row.latency_ms else float("nan"),
            row.latency_ms.p95 if row.latency_ms else float("nan"),
            extra["cpu_ms_per_request"],
            row.cost_usd_per_1k or float("nan"),
            extra["tokens"],
            extra["parse_counts"],
        )
        if not args.dry_run:  # after each mode, so a late stop keeps what finished
            merge(args.out, rows)
            log.info("merged %s into %s", [r.name for r in rows], args.out)
    log.info("load average at end %s", loadavg())
    if args.dry_run:
        print(json.dumps([r.model_dump(mode="json") for r in rows], indent=1, default=str)[:6000])


if __name__ == "__main__":
    main()
