"""The prompts a team would send a proprietary API for each workload, built on real test inputs.

Each builder returns a `PromptSet`: one prompt per test request, the answer text the model is
assumed to return (so its tokens can be counted), the stated output assumption, and the prefix
shared by every prompt (what provider-side prompt caching could bill at the cached rate).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import numpy as np

from inhouse.datasets.types import IntentData, RecommendData, ResponseData, RetrievalData
from inhouse.models.embedder import Embedder

SEED = 13
ROUTE_SHOTS = 3
ROUTE_RETRIEVED = 20
PASSAGES = 5
PASSAGE_CHARS = 2000
ANSWER_TOKENS_ASSUMED = 150
RERANK_CANDIDATES = 20
RERANK_HISTORY = 50


@dataclass(frozen=True)
class PromptSet:
    """The prompts of one API approach on one test set."""

    approach: str
    prompts: list[str]
    outputs: list[str]
    output_assumption: str
    shared_prefix: str = ""
    output_tokens_fixed: int | None = None  # a stated constant instead of counting `outputs`


def _intent_header(intents: list[str]) -> str:
    return (
        "You route customer-support messages. Answer with exactly one intent label from this "
        "list and nothing else.\n\nIntents:\n" + "\n".join(f"- {i}" for i in intents) + "\n\n"
    )


def _ask(text: str) -> str:
    return f"Message: {text}\nIntent:"


def routing_zero_shot(data: IntentData) -> PromptSet:
    """Zero-shot: the instruction, every intent label, the message."""
    header = _intent_header(data.intents)
    texts, labels = data.test["text"].to_list(), data.test["intent"].to_list()
    return PromptSet(
        approach="zero-shot with the intent list",
        prompts=[header + _ask(t) for t in texts],
        outputs=labels,
        output_assumption="the intent label alone; tokens of the true label of each message",
        shared_prefix=header,
    )


def routing_few_shot(data: IntentData, shots: int = ROUTE_SHOTS) -> PromptSet:
    """`shots` training examples per intent (seeded), then the message."""
    rng = random.Random(SEED)
    by_intent: dict[str, list[str]] = {}
    for text, intent in data.train.select("text", "intent").iter_rows():
        by_intent.setdefault(intent, []).append(text)
    lines = []
    for intent in data.intents:
        pool = by_intent.get(intent, [])
        for text in rng.sample(pool, min(shots, len(pool))):
            lines.append(f"Message: {text}\nIntent: {intent}\n")
    prefix = _intent_header(data.intents) + "Examples:\n" + "\n".join(lines) + "\n"
    zero = routing_zero_shot(data)
    return PromptSet(
        approach=f"{shots}-shot per intent",
        prompts=[prefix + _ask(t) for t in data.test["text"].to_list()],
        outputs=zero.outputs,
        output_assumption=zero.output_assumption,
        shared_prefix=prefix,
    )


def nearest(query: np.ndarray, pool: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` most similar rows of `pool` for each query row (cosine, normalised)."""
    sims = query @ pool.T
    k = min(k, pool.shape[0])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(sims, top, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(top, order, axis=1)


def routing_retrieved(data: IntentData, embedder: Embedder, k: int = ROUTE_RETRIEVED) -> PromptSet:
    """The `k` training examples nearest to each message (embedding similarity), then it."""
    train_texts = data.train["text"].to_list()
    train_labels = data.train["intent"].to_list()
    test_texts = data.test["text"].to_list()
    idx = nearest(embedder.embed(test_texts), embedder.embed(train_texts), k)
    header = _intent_header(data.intents)
    prompts = []
    for text, row in zip(test_texts, idx, strict=True):
        shots = "".join(f"Message: {train_texts[j]}\nIntent: {train_labels[j]}\n\n" for j in row)
        prompts.append(header + "Similar past messages:\n" + shots + _ask(text))
    zero = routing_zero_shot(data)
    return PromptSet(
        approach=f"{k} retrieved examples",
        prompts=prompts,
        outputs=zero.outputs,
        output_assumption=zero.output_assumption,
        shared_prefix=header,
    )


def _answer_prompt(question: str, passages: list[str]) -> str:
    context = "\n\n".join(f"[{i + 1}] {p}" for i, p in enumerate(passages))
    return (
        "Answer the customer using only the passages below. Cite passage numbers. If they do not "
        f"answer the question, say so and offer a human agent.\n\nPassages:\n{context}\n\n"
        f"Customer: {question}\nAnswer:"
    )


def retrieval_answering(
    data: RetrievalData, embedder: Embedder, k: int = PASSAGES, chars: int = PASSAGE_CHARS
) -> PromptSet:
    """Question plus its top-`k` articles (dense retrieval, each cut at `chars` characters)."""
    articles = [f"{t}\n{b}"[:chars] for t, b in data.articles.select("title", "body").iter_rows()]
    questions = [q.text for q in data.test]
    idx = nearest(embedder.embed(questions), embedder.embed(articles), k)
    return PromptSet(
        approach=f"question + top-{k} passages",
        prompts=[
            _answer_prompt(q, [articles[j] for j in row])
            for q, row in zip(questions, idx, strict=True)
        ],
        outputs=[],
        output_assumption=(
            f"a grounded answer of {ANSWER_TOKENS_ASSUMED} tokens (stated, not measured)"
        ),
        output_tokens_fixed=ANSWER_TOKENS_ASSUMED,
    )


def response_suggestion(data: ResponseData, embedder: Embedder, k: int = PASSAGES) -> PromptSet:
    """Question plus its `k` nearest past question/answer pairs; the answer is the reference one."""
    train_q = data.train["text"].to_list()
    train_a = data.train["resolution"].to_list()
    test_q = data.test["text"].to_list()
    idx = nearest(embedder.embed(test_q), embedder.embed(train_q), k)
    prompts = [
        _answer_prompt(q, [f"Q: {train_q[j]}\nA: {train_a[j]}" for j in row])
        for q, row in zip(test_q, idx, strict=True)
    ]
    return PromptSet(
        approach=f"question + {k} similar resolved tickets",
        prompts=prompts,
        outputs=data.test["resolution"].to_list(),
        output_assumption="an answer as long as the ticket's reference resolution",
    )


def _item_line(item_id: str, title: str | None) -> str:
    return f"{item_id}: {title or '(no title)'}"


def recommend_rerank(
    data: RecommendData, candidates: int = RERANK_CANDIDATES, history: int = RERANK_HISTORY
) -> PromptSet:
    """An LLM reranks `candidates` items for each test user from the text of their history.

    Candidates are the most popular training items the user has not seen (the cheap first
    stage such a pipeline needs); the history is the user's last `history` items, by title.
    """
    titles = dict(data.catalog.select("item_id", "title").iter_rows())
    counts = Counter(data.train_events["item_id"].to_list())
    popular = [i for i, _ in counts.most_common(candidates + history + 50)]
    header = (
        "You recommend items. Given the user's history (oldest first) and the candidates, "
        f"return all {candidates} candidate ids, best first, comma-separated, nothing else.\n\n"
    )
    prompts, outputs = [], []
    for case in data.test:
        seen = set(case.history)
        cands = [i for i in popular if i not in seen][:candidates]
        hist = "\n".join(_item_line(i, titles.get(i)) for i in case.history[-history:])
        cand = "\n".join(_item_line(i, titles.get(i)) for i in cands)
        prompts.append(f"{header}History:\n{hist}\n\nCandidates:\n{cand}\n\nRanking:")
        outputs.append(", ".join(cands))
    return PromptSet(
        approach=f"LLM reranks {candidates} candidates from history text",
        prompts=prompts,
        outputs=outputs,
        output_assumption=f"the {candidates} candidate ids, comma-separated (real ids counted)",
        shared_prefix=header,
    )
