"""Generation speed of the local backends: decode and prompt-processing tokens per second.

    python benchmarks/generate_speed.py --out benchmarks/results/generate-speed.json

For each registered GGUF chat model, on the llama.cpp backend with 1 and 2 threads:
- decode: one stream, greedy, up to 128 new tokens ("Count from 1 to 200"), from llama.cpp's own
  counters (`llama_perf_context`: tokens decoded one at a time and their time);
- prompt: a ~500-token prompt (the docstrings of inhouse's modules), context reset first so
  nothing is reused, one new token; prompt tokens over their evaluation time;
- prefix reuse: a second question after the same ~500-token prefix, prompt tokens evaluated
  and time to first token, without and with the prefix in the context.
The transformers backend runs on the tiny random-weight Qwen2 (`generate/tiny.py`): wall-clock
rates, as it has no such counters. There is no Hugging Face folder of a real chat model here,
so transformers is not measured on real weights. Each figure is the median of `--repeats` runs;
the load average before and after each row says what else shared the 2 cores, and
`per_cpu_second` gives the tokens per CPU-second the process used (with one thread, about
the rate it would reach with a core to itself).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import inhouse

GGUFS = ("qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct")
COUNT = [{"role": "user", "content": "Count from 1 to 200, separated by commas."}]
DECODE_TOKENS = 128


def long_text(tokens: int, count: Any) -> str:
    """About `tokens` tokens of real English: the docstrings of inhouse's modules."""
    import ast

    parts = []
    for path in sorted(Path(inhouse.__file__).parent.rglob("*.py")):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if doc:
            parts.append(doc)
            if count("\n\n".join(parts)) >= tokens:
                break
    return "\n\n".join(parts)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def llama_row(name: str, path: Path, threads: int, repeats: int) -> dict:
    import llama_cpp

    from inhouse.generate.llama import LlamaCppGenerator

    gen = LlamaCppGenerator(name, path, n_threads=threads, n_ctx=2048)
    ctx = gen.llm.ctx
    before = load()

    def counted(messages: list[dict], max_tokens: int) -> tuple[Any, Any, float]:
        gen.llm.reset()  # nothing reused from the previous run
        llama_cpp.llama_perf_context_reset(ctx)
        cpu = time.process_time()
        pieces = gen.stream(messages, max_tokens=max_tokens)
        "".join(pieces)
        return llama_cpp.llama_perf_context(ctx), pieces.usage, time.process_time() - cpu

    decode, prompt, decode_cpu, prompt_cpu, decoded = [], [], [], [], []
    for _ in range(repeats):
        perf, usage, cpu_s = counted(COUNT, DECODE_TOKENS)
        assert usage.completion_tokens >= 100, usage  # SmolLM2 may end its count early
        decoded.append(usage.completion_tokens)
        decode.append(perf.n_eval / perf.t_eval_ms * 1e3)
        decode_cpu.append(usage.completion_tokens / cpu_s)
    text = long_text(500, lambda t: len(gen.llm.tokenize(t.encode())))
    essay = [{"role": "user", "content": f"{text}\n\nSummarise the text above in one line."}]
    for _ in range(repeats):
        perf, usage, cpu_s = counted(essay, 1)
        prompt.append(perf.n_p_eval / perf.t_p_eval_ms * 1e3)
        prompt_cpu.append(usage.prompt_tokens / cpu_s)
    reuse = prefix_reuse(gen, text)
    return {
        "name": f"{name} llama.cpp {threads}t",
        "kind": "off-the-shelf",
        "backend": "llama.cpp",
        "model": name,
        "file": path.name,
        "n_threads": threads,
        "metrics": {
            "decode_tokens_per_s": round(statistics.median(decode), 1),
            "prompt_tokens_per_s": round(statistics.median(prompt), 1),
        },
        "runs": {"decode_tokens_per_s": _r(decode), "prompt_tokens_per_s": _r(prompt)},
        # tokens per CPU-second of this process (all its threads, whole call): with one
        # thread, roughly the rate it would get with a core to itself
        "per_cpu_second": {
            "decode_tokens": round(statistics.median(decode_cpu), 1),
            "prompt_tokens": round(statistics.median(prompt_cpu), 1),
        },
        "decode_tokens": decoded,
        "prompt_tokens": usage.prompt_tokens,
        "prefix_reuse": reuse,
        "notes": f"load average before {before}, after {load()} (1, 5, 15 min)",
    }


def prefix_reuse(gen: Any, text: str) -> dict:
    """Two questions after one long prefix: what the second call evaluates, and how soon its
    first token comes, compared with the same call on a reset context."""
    ask = [
        {"role": "system", "content": text},
        {"role": "user", "content": "What is the first module about?"},
    ]
    again = [ask[0], {"role": "user", "content": "Which module serves models?"}]

    def first_token(messages: list[dict]) -> tuple[float, int, int]:
        start = time.perf_counter()
        pieces = gen.stream(messages, max_tokens=1)
        "".join(pieces)
        return (
            time.perf_counter() - start,
            pieces.usage.prompt_tokens,
            pieces.usage.prompt_evaluated,
        )

    gen.llm.reset()
    cold_s, tokens, cold_eval = first_token(again)
    gen.llm.reset()
    first_token(ask)
    warm_s, _, warm_eval = first_token(again)
    return {
        "prompt_tokens": tokens,
        "evaluated_cold": cold_eval,
        "evaluated_after_same_prefix": warm_eval,
        "first_token_s_cold": round(cold_s, 3),
        "first_token_s_after_same_prefix": round(warm_s, 3),
    }


def transformers_row(repeats: int) -> dict:
    import torch

    from inhouse.generate.hf import TransformersGenerator
    from inhouse.generate.tiny import tiny_qwen

    with tempfile.TemporaryDirectory() as tmp:
        gen = TransformersGenerator("tiny", tiny_qwen(Path(tmp) / "tiny"), device="cpu")
    before = load()
    decode, prompt = [], []
    for _ in range(repeats):
        pieces = gen.stream(COUNT, max_tokens=DECODE_TOKENS, temperature=1.0, seed=0)
        first = 0.0
        for _piece in pieces:
            first = first or time.perf_counter()
        end = time.perf_counter()
        assert pieces.usage.completion_tokens == DECODE_TOKENS, pieces.usage
        decode.append((DECODE_TOKENS - 1) / (end - first))
    text = long_text(500, lambda t: len(gen.tokenizer(t)["input_ids"]))
    essay = [{"role": "user", "content": f"{text}\n\nSummarise the text above in one line."}]
    for _ in range(repeats):
        start = time.perf_counter()
        pieces = gen.stream(essay, max_tokens=1)
        "".join(pieces)
        prompt.append(pieces.usage.prompt_tokens / (time.perf_counter() - start))
    return {
        "name": "tiny-qwen2 transformers",
        "kind": "baseline",
        "backend": "transformers",
        "model": "tiny random-weight Qwen2 (2 layers, hidden 64, Qwen2 vocabulary)",
        "n_threads": torch.get_num_threads(),
        "metrics": {
            "decode_tokens_per_s": round(statistics.median(decode), 1),
            "prompt_tokens_per_s": round(statistics.median(prompt), 1),
        },
        "runs": {"decode_tokens_per_s": _r(decode), "prompt_tokens_per_s": _r(prompt)},
        "decode_tokens": DECODE_TOKENS,
        "prompt_tokens": pieces.usage.prompt_tokens,
        "notes": (
            f"wall clock, sampled (random weights repeat one token when greedy); prompt rate "
            f"includes the first token. Load average before {before}, after {load()}"
        ),
    }


def _r(xs: list[float]) -> list[float]:
    return [round(x, 1) for x in xs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(GGUFS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-transformers", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/generate-speed.json"))
    args = parser.parse_args()

    from inhouse.models.registry import read_registry

    registered = read_registry()
    systems, missing = [], []
    for name in args.models:
        if name not in registered:
            missing.append(name)
            continue
        for threads in args.threads:
            systems.append(llama_row(name, registered[name].path, threads, args.repeats))
            print(json.dumps(systems[-1]["metrics"]), systems[-1]["name"], flush=True)
    if not args.no_transformers:
        systems.append(transformers_row(args.repeats))
        print(json.dumps(systems[-1]["metrics"]), systems[-1]["name"], flush=True)
    result = {
        "workload": "generate",
        "dataset": None,
        "protocol": (
            f"single stream; decode: greedy, {DECODE_TOKENS} new tokens; prompt: ~500 tokens, "
            "no reuse; median of runs"
        ),
        "primary_metric": "decode_tokens_per_s",
        "targets": {
            "qwen2.5-coder-0.5b-instruct": {"decode_tokens_per_s": 20, "prompt_tokens_per_s": 150}
        },
        "not_installed": missing,
        "not_measured": "transformers on real weights: no Hugging Face folder of a chat model here",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "inhouse": inhouse.__version__,
            "llama_cpp_python": _version("llama-cpp-python"),
        },
        "systems": systems,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
