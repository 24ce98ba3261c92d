"""Generated answers on bitext-support: the nearest resolved ticket's response (baseline),
SmolLM2-135M-Instruct shown the 3 nearest resolved tickets (off-the-shelf), and SmolLM2 with a
LoRA adapter tuned on training tickets answering the bare question (in-house).

    INHOUSE_DATA_DIR=../shared/datasets nice -n 19 python benchmarks/generate_answers.py \
        --limit 300 --train-tickets 400 >> /tmp/generate_answers.log 2>&1 &
    python benchmarks/generate_answers.py --report-only     # the result file from what is cached

Protocol. The test questions are a fixed seeded (`--seed`) permutation of bitext-support's
seeded 20 % test split, cut at `--limit` (a larger limit later extends the same sample). Every
generated row runs on the transformers backend (the GGUF dequantised to float32, saved once as
a Hugging Face folder under `--work`), one torch thread, greedy, at most `--max-tokens` new
tokens; llama-cpp-python is not installed here, and off-the-shelf and tuned share one backend so
the comparison is like for like. Question texts (and example tickets) are PII-redacted first,
as the LoRA's training tickets are (`inhouse.tune.chat_data`).

- baseline: `Suggester` (MiniLM kNN vote over the training tickets), its top suggestion's
  resolution, as it stands;
- off-the-shelf: a system turn, then the 3 training tickets nearest the question (MiniLM
  cosine) as earlier user/assistant turns (most similar last), then the question;
- in-house: a LoRA (`inhouse.tune.lora.lora_tune`, 1 epoch) on `--train-tickets` training
  tickets (a seeded sample, 10 % of them held out for eval loss), the bare question as the
  only turn, as it was trained;
- `--qwen` adds Qwen2.5-Coder-0.5B-Instruct with the off-the-shelf prompt.

Metrics: ROUGE-L F1 (`rouge-score`, stemmed) against the reference response; MiniLM cosine
with it; intent consistency: a logistic regression on MiniLM embeddings of the training
responses (their intent as the label) reads each answer, the share it files under the
question's intent (its accuracy on the reference responses of the sampled questions is
recorded as `intent_classifier`); mean prompt and reply tokens (the model's tokenizer, chat
template included); process CPU seconds per answer (`time.process_time` around generation);
$ per 1k answers at the price table's machine (`inhouse.bakeoff.cost`), training amortised
over 1M answers, beside the API list prices for the same prompts and answers
(`inhouse.bakeoff.api.estimate_rows`).

Resumable: each system's answers are appended (flushed) to `--work/answers/SYSTEM.jsonl`, one
line per question id, and a rerun skips answered ids; the LoRA resumes from its checkpoint. A
row with fewer answers than `--limit` is marked partial with its `n`; nothing is extrapolated.
Targets are compared on the questions both rows answered.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.errors import InhouseError

SMOL = "smollm2-135m-instruct"
QWEN = "qwen2.5-coder-0.5b-instruct"
SYSTEMS = ("baseline", "off-the-shelf", "in-house")
QWEN_ROW = "off-the-shelf-qwen"
EXAMPLES = 3
PROMPT_VERSION = 1  # bump when the grounded prompt changes: cached answers are then refused
SYSTEM_PROMPT = (
    "You are a customer-support agent. The earlier turns are resolved tickets similar to the "
    "customer's message; answer the new message in the same way, in the same style."
)
DEFAULT_WORK = Path("~/.cache/inhouse/bench/generate-answers").expanduser()
DEFAULT_OUT = Path("benchmarks/results/generate-bitext-support.json")
TARGET_ROUGE_GAIN = 0.30
TARGET_INTENT = 0.90


@dataclass(frozen=True)
class Question:
    """One sampled test ticket."""

    id: str
    text: str
    intent: str
    reference: str


# ---------------------------------------------------------------- the answer cache


class AnswerCache:
    """A system's answers, one JSON line per question id, appended and flushed as they come.

    `config` says what made them (model, its sha256, prompt, max tokens, ...); a cache made
    with another config is refused, so a rerun never mixes answers of two set-ups."""

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        from inhouse.files import atomic_write_text

        self.path, self.meta = path, path.with_name(path.stem + ".meta.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.meta.is_file():
            saved = json.loads(self.meta.read_text(encoding="utf-8"))
            changed = sorted(k for k in set(saved) | set(config) if saved.get(k) != config.get(k))
            if changed:
                diff = "; ".join(f"{k} {saved.get(k)!r}, now {config.get(k)!r}" for k in changed)
                raise InhouseError(
                    f"{self.meta}:1: the cached answers were made with other settings ({diff}); "
                    f"use another --work, or delete {path} and its meta file to start this "
                    "system again"
                )
        else:
            atomic_write_text(self.meta, json.dumps(config, indent=2, sort_keys=True) + "\n")

    def read(self) -> dict[str, dict[str, Any]]:
        """Answered question id -> its record."""
        return read_answers(self.path)

    def append(self, record: dict[str, Any]) -> None:
        """Add one answer (and flush it to disk at once)."""
        self._repair()
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def _repair(self) -> None:
        """Drop a last line a kill left without its newline, so the next one starts clean."""
        if not self.path.is_file() or self.path.stat().st_size == 0:
            return
        data = self.path.read_bytes()
        if not data.endswith(b"\n"):
            with self.path.open("r+b") as f:
                f.truncate(data.rfind(b"\n") + 1)


def read_answers(path: Path) -> dict[str, dict[str, Any]]:
    """Question id -> answer record of a cache file; a line cut short by a kill is skipped."""
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        out[str(record["id"])] = record
    return out


def answer_all(
    name: str,
    questions: Sequence[Question],
    answer: Callable[[Question], dict[str, Any]],
    cache: AnswerCache,
) -> dict[str, dict[str, Any]]:
    """Answer the questions `cache` lacks, in order, timing each (process CPU and wall), with
    a progress bar (answers/s, ETA); returns every cached answer of `questions`."""
    from inhouse.progress import progress

    done = cache.read()
    todo = [q for q in questions if q.id not in done]
    print(f"{name}: {len(questions) - len(todo)} cached, {len(todo)} to answer", file=sys.stderr)
    start = time.perf_counter()
    with progress() as bar:
        task = bar.add_task(name, total=len(questions), completed=len(questions) - len(todo))
        for i, q in enumerate(todo, start=1):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            record = answer(q)
            record.update(
                id=q.id,
                cpu_s=round(time.process_time() - cpu0, 4),
                wall_s=round(time.perf_counter() - wall0, 4),
            )
            cache.append(record)
            done[q.id] = record
            rate = i / (time.perf_counter() - start)
            bar.update(task, advance=1, description=f"{name} ({rate:.3f} answers/s)")
    return {q.id: done[q.id] for q in questions if q.id in done}


# ---------------------------------------------------------------- metrics


def rouge_l(answers: Sequence[str], references: Sequence[str]) -> list[float]:
    """ROUGE-L F1 of each answer against its reference (google-research's `rouge-score`,
    Porter-stemmed)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    return [
        float(scorer.score(ref, ans)["rougeL"].fmeasure)
        for ans, ref in zip(answers, references, strict=True)
    ]


def score(
    answers: Sequence[str],
    questions: Sequence[Question],
    embed: Callable[[list[str]], np.ndarray],
    classify: Callable[[np.ndarray], Sequence[str]],
) -> dict[str, list[float]]:
    """Per-answer rouge_l, cosine (with the reference) and intent consistency (1.0 when the
    classifier files the answer under the question's intent)."""
    if not questions:
        return {"rouge_l": [], "cosine": [], "intent_consistency": []}
    refs = [q.reference for q in questions]
    a, r = embed(list(answers)), embed(refs)
    cos = np.sum(_unit(a) * _unit(r), axis=1)
    predicted = classify(a)
    return {
        "rouge_l": rouge_l(answers, refs),
        "cosine": [float(c) for c in cos],
        "intent_consistency": [
            float(p == q.intent) for p, q in zip(predicted, questions, strict=True)
        ],
    }


def _unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x, dtype=np.float64) / np.maximum(
        np.linalg.norm(x, axis=1, keepdims=True), 1e-12
    )


def row_metrics(
    records: Sequence[dict[str, Any]], per: dict[str, list[float]]
) -> dict[str, float | None]:
    """The row's flat metrics: means of the per-answer scores, tokens and CPU seconds."""

    def mean(values: Iterable[float | None]) -> float | None:
        xs = [float(v) for v in values if v is not None]
        return statistics.fmean(xs) if xs else None

    return {
        "rouge_l": mean(per["rouge_l"]),
        "cosine": mean(per["cosine"]),
        "intent_consistency": mean(per["intent_consistency"]),
        "tokens_in": mean(r.get("tokens_in") for r in records),
        "tokens_out": mean(r.get("tokens_out") for r in records),
        "cpu_s_per_answer": mean(r["cpu_s"] for r in records),
    }


def compare(
    tuned: dict[str, dict[str, Any]],
    plain: dict[str, dict[str, Any]],
    scores: dict[str, dict[str, dict[str, float]]],
    tuned_name: str,
    plain_name: str,
) -> dict[str, Any]:
    """The ROUGE-L gain of `tuned` over `plain` on the questions both answered (paired), and
    the tuned row's intent consistency on those questions."""
    both = [i for i in tuned if i in plain]
    if not both:
        return {"n_paired": 0, "met": None, "why": "no question answered by both rows yet"}
    t = statistics.fmean(scores[tuned_name][i]["rouge_l"] for i in both)
    p = statistics.fmean(scores[plain_name][i]["rouge_l"] for i in both)
    ic = statistics.fmean(scores[tuned_name][i]["intent_consistency"] for i in both)
    gain = (t - p) / p if p > 0 else None
    return {
        "n_paired": len(both),
        "rouge_l_tuned": t,
        "rouge_l_off_the_shelf": p,
        "rouge_l_relative_gain": gain,
        "rouge_l_target": TARGET_ROUGE_GAIN,
        "intent_consistency_tuned": ic,
        "intent_consistency_target": TARGET_INTENT,
        "met": gain is not None and gain >= TARGET_ROUGE_GAIN and ic >= TARGET_INTENT,
    }


# ---------------------------------------------------------------- data, embeddings, classifier


def sample_questions(test: Any, limit: int, seed: int) -> list[Question]:
    """The first `limit` of a seeded permutation of the test split (prefix-stable in limit)."""
    rows = test.select("ticket_id", "text", "intent", "resolution").rows()
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    return [
        Question(str(t), str(x), str(i), str(r)) for t, x, i, r in (rows[j] for j in order[:limit])
    ]


def embed_cached(embedder: Any, texts: list[str], folder: Path, what: str) -> np.ndarray:
    """MiniLM vectors of `texts`, kept under `folder` by a hash of the texts."""
    key = hashlib.sha256("\x00".join(texts).encode()).hexdigest()[:16]
    path = folder / f"{what}-{len(texts)}-{key}.npy"
    if path.is_file():
        return np.load(path)
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, vectors)
    os.replace(tmp, path)
    return vectors


def intent_classifier(vectors: np.ndarray, intents: Sequence[str]) -> Any:
    """Multinomial logistic regression on MiniLM embeddings of training responses -> intent."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=10.0, max_iter=2000).fit(vectors, np.asarray(intents, dtype=object))


# ---------------------------------------------------------------- models


def hf_folder(name: str, work: Path) -> tuple[Path, str]:
    """A registered GGUF chat model dequantised to a float32 Hugging Face folder under `work`
    (made once), and the GGUF's sha256. Tuning and generating both read this folder, so the
    adapter's base check holds."""
    from inhouse.files import atomic_dir
    from inhouse.tune.adapters import load_base, resolve_base

    ref = resolve_base(name)
    folder = work / "models" / f"{name}-{ref.sha256[:12]}-float32"
    if not (folder / "config.json").is_file():
        print(f"dequantising {ref.path} to {folder}", file=sys.stderr, flush=True)
        model, tokenizer = load_base(ref)
        # the weights are plain float32 tensors once loaded; transformers still marks a model
        # read from a GGUF as quantized and refuses to save it, so drop the mark
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        with atomic_dir(folder) as tmp:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
    return folder, ref.sha256


def train_tickets(train: Any, n: int, seed: int, work: Path) -> Path:
    """A seeded sample of `n` training tickets as a tickets JSONL file under `work`."""
    from inhouse.files import atomic_write_text

    path = work / f"train-tickets-{n}-seed{seed}.jsonl"
    if not path.is_file():
        rows = train.select("ticket_id", "text", "resolution").rows()
        pick = random.Random(seed).sample(range(len(rows)), min(n, len(rows)))
        lines = [
            json.dumps(dict(zip(("ticket_id", "text", "resolution"), rows[j], strict=True)))
            for j in pick
        ]
        atomic_write_text(path, "\n".join(lines) + "\n")
    return path


def train_adapter(base: Path, tickets: Path, args: argparse.Namespace, work: Path) -> dict:
    """Train (or resume, or reuse) the LoRA adapter; CPU seconds of every run, killed ones up
    to their last heartbeat, are summed in `ADAPTER.train.json`."""
    from inhouse.files import atomic_write_text
    from inhouse.tune.adapters import RECORD, read_adapter
    from inhouse.tune.lora import LoraSettings, checkpoint_dir, lora_tune

    out = work / f"adapter-{tickets.stem}-lr{args.lr:g}-b{args.batch_size}"
    ledger = out.with_name(out.name + ".train.json")
    spent = json.loads(ledger.read_text()) if ledger.is_file() else {"cpu_s": 0.0, "runs": 0}
    if not (out / RECORD).is_file():
        settings = LoraSettings(
            epochs=1,
            lr=args.lr,
            batch_size=args.batch_size,
            max_length=args.max_length,
            checkpoint_every=args.checkpoint_every,
        )
        resume = checkpoint_dir(out).is_dir()
        print(f"LoRA: {'resuming' if resume else 'training'} {out}", file=sys.stderr, flush=True)
        base_cpu, cpu0, stop = spent["cpu_s"], time.process_time(), threading.Event()
        spent["runs"] += 1

        def heartbeat() -> None:
            while not stop.wait(30.0):
                spent["cpu_s"] = base_cpu + time.process_time() - cpu0
                atomic_write_text(ledger, json.dumps(spent) + "\n")

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            report = lora_tune(base, tickets, out, settings, resume=resume, progress=True)
        finally:
            stop.set()
            beat.join()
            spent["cpu_s"] = base_cpu + time.process_time() - cpu0
            atomic_write_text(ledger, json.dumps(spent) + "\n")
        spent["train_tokens_per_s_last_run"] = report.train_tokens_per_s
        atomic_write_text(ledger, json.dumps(spent) + "\n")
    record = read_adapter(out)
    return {"folder": out, "record": record, "train_cpu_s": spent["cpu_s"], "runs": spent["runs"]}


def grounded(question: str, examples: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The off-the-shelf prompt: system turn, then (past question, its resolution) turns."""
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    for past, resolution in examples:
        messages += [
            {"role": "user", "content": past},
            {"role": "assistant", "content": resolution},
        ]
    return [*messages, {"role": "user", "content": question}]


def generated(
    generator: Any, messages_of: Callable[[Question], list[dict[str, str]]], max_tokens: int
) -> Callable[[Question], dict[str, Any]]:
    """An answer function: greedy reply to `messages_of(question)`, with its token counts."""

    def answer(q: Question) -> dict[str, Any]:
        messages = messages_of(q)
        pieces = generator.stream(messages, max_tokens=max_tokens)
        text = "".join(pieces)
        u = pieces.usage
        return {
            "answer": text.strip(),
            "tokens_in": u.prompt_tokens,
            "tokens_out": u.completion_tokens,
            "finish_reason": u.finish_reason,
            "prompt": "\n\n".join(m["content"] for m in messages),
        }

    return answer


# ---------------------------------------------------------------- the result file


def api_priced(records: Sequence[dict[str, Any]], approach: str) -> list[dict[str, Any]]:
    """The same prompts and answers priced at every API in the price table."""
    from inhouse.bakeoff.api import estimate_rows
    from inhouse.bakeoff.prices import load_prices
    from inhouse.bakeoff.prompts import PromptSet

    ps = PromptSet(
        approach=approach,
        prompts=[r["prompt"] for r in records],
        outputs=[r["answer"] or " " for r in records],
        output_assumption="the answer the local model gave, counted with the API's tokenizer",
    )
    rows = estimate_rows(ps, load_prices(), ["rouge_l"])
    return sorted(
        (
            {
                "model": row.model_extra["model"],
                "usd_per_1k": row.cost_usd_per_1k,
                "input_tokens_mean": row.model_extra["tokens"]["input_mean"],
                "output_tokens_mean": row.model_extra["tokens"]["output_mean"],
                "counting": row.model_extra["tokens"]["counting"],
            }
            for row in rows
            if row.model_extra
        ),
        key=lambda r: r["usd_per_1k"] or 0.0,
    )


def system_row(
    name: str,
    kind: str,
    records: list[dict[str, Any]],
    questions: list[Question],
    per: dict[str, list[float]],
    limit: int,
    extra: dict[str, Any],
    fit_seconds: float | None = None,
) -> dict[str, Any]:
    """One row of the result file (a `SystemResult`), costed by the bake-off's cost code."""
    from inhouse.bakeoff.cost import CostBasis, inhouse_cost
    from inhouse.bakeoff.prices import load_prices
    from inhouse.eval.bootstrap import intervals
    from inhouse.eval.results import SystemResult

    metrics = row_metrics(records, per)
    cpu = metrics["cpu_s_per_answer"]
    row = SystemResult.model_validate(
        dict(
            name=name,
            kind=kind,
            metrics=metrics,
            fit_seconds=fit_seconds,
            test_examples=len(records),
            ci95=intervals(per),
            n=len(records),
            partial=len(records) < limit,
            cpu_ms_per_request=None if cpu is None else cpu * 1000.0,
            cpu_statistic="mean process CPU ms per answer (time.process_time, 1 torch thread)",
            finish_reasons={
                k: sum(r.get("finish_reason") == k for r in records) for k in ("stop", "length")
            },
            **extra,
            examples=[
                {"question": q.text, "reference": q.reference[:300], "answer": r["answer"][:300]}
                for q, r in list(zip(questions, records, strict=True))[:3]
            ],
        )
    )
    cost = inhouse_cost(row, load_prices(), CostBasis()) if records else {"usd_per_1k": None}
    metrics["cost_usd_per_1k"] = cost["usd_per_1k"]
    return row.model_dump(mode="json") | {
        "metrics": metrics,
        "cost_usd_per_1k": cost["usd_per_1k"],
        "cost_breakdown": cost,
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Bench:
    """Everything the rows share: the sample, the embedder, the intent classifier."""

    def __init__(self, args: argparse.Namespace) -> None:
        from inhouse.datasets import load
        from inhouse.models.load import load_embedder

        self.args, self.work = args, Path(args.work).expanduser()
        self.data = load("bitext-support")
        self.questions = sample_questions(self.data.test, args.limit, args.seed)
        self.embedder = load_embedder()
        self.emb = self.work / "embeddings"
        train = self.data.train
        responses = [str(r) for r in train["resolution"].to_list()]
        vectors = embed_cached(self.embedder, responses, self.emb, "train-responses")
        self.classifier = intent_classifier(vectors, [str(i) for i in train["intent"].to_list()])
        refs = embed_cached(
            self.embedder, [q.reference for q in self.questions], self.emb, "references"
        )
        predicted = self.classifier.predict(refs)
        self.classifier_accuracy = float(
            np.mean([p == q.intent for p, q in zip(predicted, self.questions, strict=True)])
        )
        self.rows: dict[str, dict[str, Any]] = {}
        self.answers: dict[str, dict[str, dict[str, Any]]] = {}
        self.scores: dict[str, dict[str, dict[str, float]]] = {}
        self.load_start = loadavg()

    def embed(self, texts: list[str]) -> np.ndarray:
        return embed_cached(self.embedder, texts, self.emb, "answers")

    def cache(self, name: str, config: dict[str, Any]) -> AnswerCache:
        return AnswerCache(self.work / "answers" / f"{name}.jsonl", config)

    def add(
        self,
        name: str,
        kind: str,
        answers: dict[str, dict[str, Any]],
        extra: dict[str, Any],
        fit_seconds: float | None = None,
        approach: str | None = None,
    ) -> None:
        qs = [q for q in self.questions if q.id in answers]
        records = [answers[q.id] for q in qs]
        per = score([r["answer"] for r in records], qs, self.embed, self.classifier.predict)
        self.answers[name] = answers
        self.scores[name] = {q.id: {m: per[m][i] for m in per} for i, q in enumerate(qs)}
        if approach and records:
            extra = extra | {"api_priced": api_priced(records, approach)}
        self.rows[name] = system_row(
            name, kind, records, qs, per, self.args.limit, extra, fit_seconds
        )
        m = self.rows[name]["metrics"]
        print(
            f"{name}: n={len(records)} rouge_l={m['rouge_l']} cosine={m['cosine']} "
            f"intent={m['intent_consistency']} cpu_s={m['cpu_s_per_answer']} "
            f"$/1k={m['cost_usd_per_1k']}",
            file=sys.stderr,
            flush=True,
        )

    def targets(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "in-house" in self.rows and "off-the-shelf" in self.rows:
            out["tuned_vs_off_the_shelf"] = compare(
                self.answers["in-house"],
                self.answers["off-the-shelf"],
                self.scores,
                "in-house",
                "off-the-shelf",
            )
        tuned = self.rows.get("in-house")
        if tuned and tuned.get("api_priced"):
            cheapest = tuned["api_priced"][0]
            out["cheaper_than_cheapest_api"] = {
                "in_house_usd_per_1k": tuned["cost_usd_per_1k"],
                "cheapest_api": cheapest["model"],
                "cheapest_api_usd_per_1k": cheapest["usd_per_1k"],
                "basis": "the in-house row's own prompts and answers, at each API's list price",
                "met": tuned["cost_usd_per_1k"] is not None
                and tuned["cost_usd_per_1k"] < cheapest["usd_per_1k"],
            }
        base = self.rows.get("baseline")
        if base and tuned:
            both = [i for i in self.answers["in-house"] if i in self.answers["baseline"]]
            wins = {}
            for m in ("rouge_l", "cosine", "intent_consistency"):
                b = statistics.fmean(self.scores["baseline"][i][m] for i in both) if both else None
                t = statistics.fmean(self.scores["in-house"][i][m] for i in both) if both else None
                wins[m] = {
                    "baseline": b,
                    "in_house": t,
                    "baseline_wins": b is not None and t is not None and b > t,
                }
            bc, tc = base["cost_usd_per_1k"], tuned["cost_usd_per_1k"]
            wins["cost_usd_per_1k"] = {
                "baseline": bc,
                "in_house": tc,
                "baseline_wins": bc is not None and tc is not None and bc < tc,
            }
            out["baseline_vs_in_house"] = {"n_paired": len(both), **wins}
        return out

    def write(self, command: list[str]) -> None:
        import torch

        from inhouse import __version__
        from inhouse.files import atomic_write_text

        a = self.args
        result = {
            "workload": "generate",
            "dataset": "bitext-support",
            "protocol": (
                f"a seeded ({a.seed}) sample of {a.limit} of the {self.data.test.height} test "
                f"questions (bitext-support's seeded 20 % split); transformers backend on CPU, "
                f"float32 dequantised from the GGUF, 1 torch thread, greedy, at most "
                f"{a.max_tokens} new tokens; in-house: LoRA 1 epoch on {a.train_tickets} seeded "
                "training tickets, PII redacted; see benchmarks/generate_answers.py"
            ),
            "primary_metric": "rouge_l",
            "command": " ".join(["python", *command]),
            "limit": a.limit,
            "max_tokens": a.max_tokens,
            "max_tokens_why": (
                "bitext reference responses measure "
                f"{self.args.reference_tokens} SmolLM2 tokens; the cap covers about nine in ten "
                "whole, and bounds the CPU of a model that does not stop"
            ),
            "intent_classifier": {
                "model": "sklearn LogisticRegression(C=10) on all-MiniLM-L6-v2 embeddings",
                "trained_on": f"the {self.data.train.height} training responses -> intent",
                "accuracy_on_reference_responses": self.classifier_accuracy,
                "n": len(self.questions),
            },
            "targets": self.targets(),
            "machine": {
                "cpus": os.cpu_count(),
                "torch_threads": torch.get_num_threads(),
                "python": platform.python_version(),
                "inhouse": __version__,
                "load_average_start": self.load_start,
                "load_average_end": loadavg(),
                "note": "2 cores shared with other benchmarks; run at nice 19. CPU seconds are "
                "this process's own; wall time is not comparable across rows",
            },
            "systems": list(self.rows.values()),
        }
        out = Path(a.out)
        atomic_write_text(out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {out}", file=sys.stderr, flush=True)


def reference_tokens(data: Any, tokenizer_folder: Path | None, seed: int) -> str:
    """Percentiles of reference response lengths in the model's tokens (1,000 sampled)."""
    if tokenizer_folder is None:
        return "not measured (no model folder yet)"
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_folder)
    texts = [str(r) for r in data.train["resolution"].to_list()]
    lens = sorted(len(tok(t)["input_ids"]) for t in random.Random(seed).sample(texts, 1000))
    at = {p: lens[int(len(lens) * p / 100)] for p in (50, 75, 90)}
    return f"p50 {at[50]}, p75 {at[75]}, p90 {at[90]}, max {lens[-1]} (1,000 training responses)"


def run(args: argparse.Namespace) -> None:
    import torch

    torch.set_num_threads(1)
    bench = Bench(args)
    work = bench.work
    wanted = [s for s in args.systems.split(",") if s]
    if args.qwen and QWEN_ROW not in wanted:
        wanted.append(QWEN_ROW)
    unknown = sorted(set(wanted) - {*SYSTEMS, QWEN_ROW})
    if unknown:
        raise InhouseError(
            f"--systems {args.systems}: unknown {', '.join(unknown)}; choose from "
            f"{', '.join([*SYSTEMS, QWEN_ROW])}"
        )
    from inhouse.redact import redact_text

    smol_folder = work / "models"
    found = sorted(smol_folder.glob(f"{SMOL}-*-float32")) if smol_folder.is_dir() else []
    args.reference_tokens = reference_tokens(bench.data, found[0] if found else None, args.seed)
    train = bench.data.train
    past = [(redact_text(str(t)), str(r)) for t, r in train.select("text", "resolution").rows()]
    report_only = args.report_only

    def nearest_examples() -> Callable[[Question], list[tuple[str, str]]]:
        from inhouse.bakeoff.prompts import nearest

        pool = embed_cached(
            bench.embedder, [str(t) for t in train["text"].to_list()], bench.emb, "train-questions"
        )
        qv = embed_cached(bench.embedder, [q.text for q in bench.questions], bench.emb, "questions")
        idx = nearest(qv, pool, EXAMPLES)
        rows = {q.id: [past[j] for j in reversed(idx[i])] for i, q in enumerate(bench.questions)}
        return lambda q: rows[q.id]

    def cached_only(name: str) -> dict[str, dict[str, Any]]:
        got = read_answers(work / "answers" / f"{name}.jsonl")
        return {q.id: got[q.id] for q in bench.questions if q.id in got}

    serving = "transformers (CPU, float32 dequantised from the GGUF), 1 torch thread, greedy"

    if "baseline" in wanted:
        if report_only:
            answers = cached_only("baseline")
        else:
            from inhouse.support.answer.suggest import Suggester

            cache = bench.cache("baseline", {"system": "knn-vote10 suggester, top-1"})
            suggester = Suggester(bench.embedder)
            if any(q.id not in cache.read() for q in bench.questions):  # else nothing to ask
                suggester.fit(train)

            def baseline(q: Question) -> dict[str, Any]:
                s = suggester.suggest([q.text], k=1)[0][0]
                return {"answer": s.response, "ticket_id": s.ticket_id, "intent": s.intent}

            answers = answer_all("baseline", bench.questions, baseline, cache)
        bench.add(
            "baseline",
            "baseline",
            answers,
            {"system": "Suggester (knn-vote10 over MiniLM), its top suggestion's resolution"},
        )
        if not report_only:
            bench.write(sys.argv)

    for name, model in (("off-the-shelf", SMOL), (QWEN_ROW, QWEN)):
        if name not in wanted:
            continue
        if report_only:
            answers = cached_only(name)
        else:
            from inhouse.generate.hf import TransformersGenerator

            folder, sha = hf_folder(model, work)
            if model == SMOL:
                args.reference_tokens = reference_tokens(bench.data, folder, args.seed)
            gen = TransformersGenerator(model, folder, device="cpu", max_tokens=args.max_tokens)
            examples = nearest_examples()
            cache = bench.cache(
                name,
                {
                    "model": model,
                    "sha256": sha,
                    "max_tokens": args.max_tokens,
                    "prompt": PROMPT_VERSION,
                    "examples": EXAMPLES,
                },
            )
            answer = generated(
                gen,
                lambda q, pick=examples: grounded(redact_text(q.text), pick(q)),
                args.max_tokens,
            )
            answers = answer_all(name, bench.questions, answer, cache)
            del gen
        bench.add(
            name,
            "off-the-shelf",
            answers,
            {
                "model": model,
                "serving": serving,
                "prompt": f"system turn + {EXAMPLES} nearest training tickets as earlier turns",
            },
            approach=f"question + {EXAMPLES} similar resolved tickets (the off-the-shelf prompt)",
        )
        if not report_only:
            bench.write(sys.argv)

    if "in-house" in wanted:
        ledger: dict[str, Any] = {}
        if report_only:
            answers = cached_only("in-house")
            files = sorted(work.glob("adapter-*.train.json"))
            if files:
                ledger = json.loads(files[-1].read_text())
        else:
            from inhouse.generate.hf import TransformersGenerator

            folder, sha = hf_folder(SMOL, work)
            tickets = train_tickets(train, args.train_tickets, args.seed, work)
            tuned = train_adapter(folder, tickets, args, work)
            ledger = {
                "cpu_s": tuned["train_cpu_s"],
                "runs": tuned["runs"],
                "adapter": str(tuned["folder"]),
                "log": tuned["record"].log,
                "n_train": tuned["record"].data["n_train"],
                "n_eval": tuned["record"].data["n_eval"],
                "settings": tuned["record"].settings,
            }
            gen = TransformersGenerator(
                SMOL, folder, device="cpu", adapter=tuned["folder"], max_tokens=args.max_tokens
            )
            cache = bench.cache(
                "in-house",
                {
                    "model": SMOL,
                    "sha256": sha,
                    "max_tokens": args.max_tokens,
                    "adapter": str(tuned["folder"]),
                    "adapter_created": tuned["record"].created,
                    "train_tickets": args.train_tickets,
                },
            )
            answer = generated(
                gen, lambda q: [{"role": "user", "content": redact_text(q.text)}], args.max_tokens
            )
            answers = answer_all("in-house", bench.questions, answer, cache)
        bench.add(
            "in-house",
            "in-house",
            answers,
            {
                "model": f"{SMOL} + LoRA",
                "serving": serving + ", adapter merged on load",
                "prompt": "the bare (redacted) question",
                "training": ledger,
            },
            fit_seconds=ledger.get("cpu_s"),
            approach="the bare question (the in-house row's prompt)",
        )
    bench.write(sys.argv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="test questions (seeded sample)")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--qwen", action="store_true", help=f"add the {QWEN_ROW} row")
    parser.add_argument("--train-tickets", type=int, default=400)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--checkpoint-every", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--report-only", action="store_true", help="score what is cached; generate nothing"
    )
    args = parser.parse_args()
    try:
        run(args)
    except InhouseError as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
