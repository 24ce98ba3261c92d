"""API-approach rows: real prompts × exact token counts × the dated price table, plus published
figures on the same test sets. Accuracy of our estimates is not measured, so it stays null.
"""

from __future__ import annotations

import statistics
import tomllib
from importlib import resources

from inhouse.bakeoff.prices import ModelPrice, PriceTable, Tokenizer
from inhouse.bakeoff.prompts import PromptSet
from inhouse.bakeoff.tokens import count_tokens, describe
from inhouse.eval.bootstrap import binary_interval
from inhouse.eval.results import SystemResult


def _family(tokenizer: Tokenizer) -> Tokenizer:
    """Families whose counts are identical share one count (approx-o200k is o200k)."""
    return "o200k" if tokenizer == "approx-o200k" else tokenizer


VERIFY = 16  # prompts on which prefix + rest == whole is checked before counting by parts


def count_prompts(prompts: list[str], prefix: str, tokenizer: Tokenizer) -> tuple[list[int], str]:
    """Token counts of `prompts`, and how they were counted.

    Prompts sharing a long `prefix` that ends on a pre-token boundary (a blank line) are counted
    as count(prefix) + count(rest): the same number, without re-encoding the prefix thousands of
    times. That equality is checked on the first prompts; any mismatch counts every prompt whole.
    """
    if prefix and len(prefix) > 1000 and all(p.startswith(prefix) for p in prompts):
        head = count_tokens([prefix], tokenizer)[0]
        rests = count_tokens([p[len(prefix) :] for p in prompts], tokenizer)
        if count_tokens(prompts[:VERIFY], tokenizer) == [head + r for r in rests[:VERIFY]]:
            return [head + r for r in rests], f"shared prefix + rest (checked on {VERIFY})"
    return count_tokens(prompts, tokenizer), "whole prompts"


def request_cost(
    in_tokens: float, out_tokens: float, price: ModelPrice, cached_tokens: float = 0.0
) -> float:
    """USD of one request: uncached input + cached input + output, at per-1M-token prices.

    `cached_tokens` (part of `in_tokens`) are billed at the cached rate where one is published.
    """
    cached_rate = price.cached_input if price.cached_input is not None else price.input
    cached = min(cached_tokens, in_tokens)
    return (
        (in_tokens - cached) * price.input + cached * cached_rate + out_tokens * price.output
    ) / 1e6


def estimate_rows(
    prompts: PromptSet,
    table: PriceTable,
    metric_names: list[str],
    models: list[str] | None = None,
) -> list[SystemResult]:
    """One `api-estimate` row per priced model for this prompt set (metrics null)."""
    chosen = models if models is not None else list(table.estimated())
    counts: dict[str, tuple[list[int], list[int], int, str]] = {}
    rows = []
    n = len(prompts.prompts)
    assert n > 0, f"{prompts.approach}: no prompts to price"
    for key in chosen:
        price = table.models[key]
        fam = _family(price.tokenizer)
        if fam not in counts:
            ins, how = count_prompts(prompts.prompts, prompts.shared_prefix, fam)
            if prompts.output_tokens_fixed is not None:
                outs = [prompts.output_tokens_fixed] * n
            else:
                outs = count_tokens(prompts.outputs, fam)
            prefix = count_tokens([prompts.shared_prefix], fam)[0] if prompts.shared_prefix else 0
            counts[fam] = (ins, outs, prefix, how)
        ins, outs, prefix, how = counts[fam]
        mean_in, mean_out = statistics.fmean(ins), statistics.fmean(outs)
        per_request = request_cost(mean_in, mean_out, price)
        cached = (
            request_cost(mean_in, mean_out, price, cached_tokens=prefix) * 1000
            if price.cached_input is not None and prefix
            else None
        )
        rows.append(
            SystemResult.model_validate(
                dict(
                    name=f"{price.label} · {prompts.approach}",
                    kind="api-estimate",
                    metrics={m: None for m in metric_names},
                    cost_usd_per_1k=per_request * 1000,
                    model=key,
                    model_label=price.label,
                    approach=prompts.approach,
                    published=False,
                    price={
                        "input_usd_per_1m": price.input,
                        "output_usd_per_1m": price.output,
                        "cached_input_usd_per_1m": price.cached_input,
                        "source": price.source,
                        "date": price.date,
                    },
                    tokens={
                        "requests": n,
                        "input_mean": mean_in,
                        "input_p50": statistics.median(ins),
                        "input_max": max(ins),
                        "input_total": sum(ins),
                        "output_mean": mean_out,
                        "output_total": sum(outs),
                        "shared_prefix": prefix,
                        "counting": describe(price.tokenizer),
                        "counted_as": how,
                        "exact": price.exact_tokens,
                    },
                    output_assumption=prompts.output_assumption,
                    cost_usd_test_set=per_request * n,
                    cost_usd_per_1k_with_prompt_cache=cached,
                    accuracy_source="not measured (no API call is made)",
                )
            )
        )
    return rows


def published_rows(dataset: str, metric_names: list[str]) -> list[SystemResult]:
    """The published API results on this dataset's test set, with their citation and cost."""
    text = resources.files("inhouse.bakeoff").joinpath("published.toml").read_text("utf-8")
    rows = []
    for rec in tomllib.loads(text).get("result", []):
        if rec["dataset"] != dataset:
            continue
        metrics: dict[str, float | None] = {m: None for m in metric_names}
        metrics[rec["metric"]] = rec["value"]
        rows.append(
            SystemResult.model_validate(
                dict(
                    name=rec["name"],
                    kind="api-estimate",
                    metrics=metrics,
                    cost_usd_per_1k=rec["cost_usd"] / rec["requests"] * 1000,
                    model_label=rec["model"],
                    approach=rec["approach"],
                    published=True,
                    citation=rec["citation"],
                    published_cost_usd=rec["cost_usd"],
                    published_requests=rec["requests"],
                    price={"source": rec["prices"], "date": "2023"},
                    accuracy_source=f"published, not measured here: {rec['citation']}",
                    # a bootstrap of a mean of 0/1 values depends only on the count correct
                    ci95={"accuracy": binary_interval(rec["value"], rec["requests"])}
                    if rec["metric"] == "accuracy"
                    else None,
                    test_examples=rec["requests"],
                )
            )
        )
    return rows
