"""Grounded answers: retrieve articles, cite their best passages, escalate when unsure.

    >>> a = Answerer(load_retriever(Path("index")))
    >>> ans = a.ask("my new card has not arrived")
    >>> ans.escalate, [c.article_id for c in ans.citations][:1]
    (False, ['card-delivery'])

The default answer is extractive: the best passages (and a past resolution when a suggester
is configured), each cited. With a `Generator`, the same passages ground a generated answer;
everything sent to the generator is redacted first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from inhouse.models.embedder import Embedder
from inhouse.models.load import load_embedder
from inhouse.redact import redact
from inhouse.support.answer.generator import Generator, grounded_messages
from inhouse.support.answer.suggest import Suggester, Suggestion
from inhouse.support.retrieve.base import Retriever, check_queries
from inhouse.support.retrieve.text import chunk_article, split_needs

# Evidence threshold (cosine of the message to its best passage), chosen on the dev split:
# bank-help-center's 30 dev scenarios (in scope) against CLINC150's out-of-scope validation
# queries; `benchmarks/support_retrieval.py --calibrate` measured 0.4965 (all 30 dev answered,
# 98 of 100 out-of-scope escalated) with the off-the-shelf hybrid index.
DEFAULT_MIN_EVIDENCE = 0.4965
ESCALATION_TEXT = (
    "I could not find this in the help center. I am passing you to a human agent who can help."
)


@dataclass(frozen=True)
class Citation:
    """An article an answer relies on, and the passage of it that was used."""

    article_id: str
    title: str
    passage: str
    score: float


@dataclass(frozen=True)
class Answer:
    """What `ask` returns."""

    question: str
    answer: str
    citations: list[Citation]
    confidence: float
    escalate: bool
    intent: str | None = None
    reason: str = ""
    suggestions: list[Suggestion] = field(default_factory=list)


def retriever_embedder(retriever: Any) -> Embedder | None:
    """The embedder a retriever (or one of its parts) already holds, if any."""
    if getattr(retriever, "embedder", None) is not None:
        found: Embedder = retriever.embedder
        return found
    for part in [*getattr(retriever, "parts", []), getattr(retriever, "base", None)]:
        if part is not None and (emb := retriever_embedder(part)) is not None:
            return emb
    return None


class Answerer:
    """Answers customer messages from an indexed help center."""

    def __init__(
        self,
        retriever: Retriever,
        router: Any = None,
        suggester: Suggester | None = None,
        generator: Generator | None = None,
        embedder: Embedder | None = None,
        min_evidence: float = DEFAULT_MIN_EVIDENCE,
        articles: int = 3,
    ) -> None:
        self.retriever, self.router, self.suggester = retriever, router, suggester
        self.generator = generator
        self.embedder = embedder or retriever_embedder(retriever) or load_embedder()
        self.min_evidence, self.articles = min_evidence, articles

    def evidence(self, question: str, k: int | None = None) -> list[Citation]:
        """The best passage of each of the top articles, scored by cosine to the message."""
        k = k or self.articles
        hits = self.retriever.search([question], k=k)[0]
        frame = self.retriever.articles
        rows = {r["article_id"]: r for r in frame.iter_rows(named=True)}
        passages = [
            p
            for aid, _ in hits
            for p in chunk_article(aid, rows[aid]["title"], rows[aid]["body"], 80, 60)
        ]
        if not passages:
            return []
        needs = [question, *split_needs(question)]
        q = self.embedder.embed(needs)
        sims = (q @ self.embedder.embed([p.text for p in passages]).T).max(axis=0)
        out = []
        for aid, _ in hits:
            idx = [i for i, p in enumerate(passages) if p.article_id == aid]
            best = max(idx, key=lambda i: float(sims[i]))
            body = passages[best].text.removeprefix(passages[best].title).strip()
            out.append(Citation(aid, passages[best].title, body, float(sims[best])))
        return out

    def ask(self, question: str) -> Answer:
        """Answer one message: routed intent, cited passages, and whether to escalate."""
        question = check_queries([question])[0]
        intent, reason = None, ""
        escalate = False
        if self.router is not None:
            from inhouse.support.route.base import OUT_OF_SCOPE

            intents, _ = self.router.predict([question])
            intent = intents[0]
            if intent == OUT_OF_SCOPE:
                escalate, reason = True, "the intent router marked the message out of scope"
        citations = self.evidence(question)
        confidence = max((c.score for c in citations), default=0.0)
        if not escalate and confidence < self.min_evidence:
            escalate = True
            reason = f"weak evidence: best passage {confidence:.2f} < {self.min_evidence:.2f}"
        suggestions = self.suggester.suggest([question], k=3)[0] if self.suggester else []
        if escalate:
            return Answer(question, ESCALATION_TEXT, citations, confidence, True, intent, reason)
        if self.generator is not None:
            text = self._generate(question, citations)
        else:
            text = extractive_answer(citations, suggestions)
        return Answer(question, text, citations, confidence, False, intent, reason, suggestions)

    def _generate(self, question: str, citations: list[Citation]) -> str:
        assert self.generator is not None
        clean = lambda s: redact(s)[0]  # noqa: E731
        passages = [(clean(c.title), clean(c.passage)) for c in citations]
        return self.generator.chat(grounded_messages(clean(question), passages))


def extractive_answer(citations: list[Citation], suggestions: list[Suggestion]) -> str:
    """The passages as numbered, cited paragraphs, then the closest past resolution."""
    parts = [f"[{i}] {c.title}: {c.passage}" for i, c in enumerate(citations, start=1)]
    if suggestions:
        parts.append(f"How a similar request was resolved before: {suggestions[0].response}")
    return "\n\n".join(parts)


def min_evidence_on(scores_in: np.ndarray, scores_out: np.ndarray) -> float:
    """The evidence threshold that best separates in-scope from out-of-scope scores.

    Maximises balanced accuracy over every observed score (ties: the lower threshold).
    """
    assert len(scores_in) and len(scores_out), "need in-scope and out-of-scope scores"
    best, best_acc = 0.0, -1.0
    for t in np.unique(np.concatenate([scores_in, scores_out])):
        acc = ((scores_in >= t).mean() + (scores_out < t).mean()) / 2
        if acc > best_acc:
            best, best_acc = float(t), float(acc)
    return best


def ask_index(
    index_dir: Path,
    question: str,
    router_dir: Path | None = None,
    suggester_dir: Path | None = None,
) -> Answer:
    """Load an index (and optionally a router and a suggester) and answer one message."""
    from inhouse.support.retrieve.registry import load_retriever

    router = None
    if router_dir is not None:
        from inhouse.support.route.registry import load_router

        router = load_router(router_dir)
    suggester = Suggester.load(suggester_dir) if suggester_dir is not None else None
    return Answerer(load_retriever(index_dir), router=router, suggester=suggester).ask(question)


def calibrate_min_evidence(
    answerer: Answerer, in_scope: Sequence[str], out_of_scope: Sequence[str]
) -> dict[str, float]:
    """Choose the evidence threshold on dev messages; report how each side fares with it."""
    s_in = np.array([max(c.score for c in answerer.evidence(q)) for q in in_scope])
    s_out = np.array([max(c.score for c in answerer.evidence(q)) for q in out_of_scope])
    t = min_evidence_on(s_in, s_out)
    return {
        "min_evidence": t,
        "in_scope_answered": float((s_in >= t).mean()),
        "out_of_scope_escalated": float((s_out < t).mean()),
        "in_scope_median": float(np.median(s_in)),
        "out_of_scope_median": float(np.median(s_out)),
    }
