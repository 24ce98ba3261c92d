"""`llm`: an off-the-shelf chat model picks one intent label per message, zero-shot or with the
nearest training examples in its prompt.

    >>> router = LlmRouter(embedder, generator, mode="retrieved", k=10).fit(texts, intents)
    >>> router.predict(["my card never came"])
    (['card_arrival'], array([1.], dtype=float32))

The prompt starts with a fixed system message (the instruction and every label), byte-identical
on every call, so llama.cpp keeps it in its KV cache and evaluates only the rest
(`Usage.prompt_evaluated`). Decoding is greedy and stops at a newline. The reply is mapped to a
label: exact, else case- and separator-insensitive, else the closest label by `difflib`; a reply
that matches none becomes `UNKNOWN`, which is never a gold label and so always counts as wrong.

Confidence is 1.0 for a parsed label and 0.0 for `UNKNOWN`: the model gives no calibrated score,
so this router has no out-of-scope threshold (`calibrate` keeps it at 0).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from inhouse.errors import InhouseError
from inhouse.generate.base import Generator, Message
from inhouse.models.embedder import Embedder
from inhouse.support.route.base import OUT_OF_SCOPE, RouterKind, check_labels, check_texts

DEFAULT_MODEL = "qwen2.5-coder-0.5b-instruct"
UNKNOWN = "unknown"  # the answer for a reply that names no label
MODES = ("zero-shot", "retrieved")
Parse = Literal["exact", "normalised", "fuzzy", "none"]
FUZZY_CUTOFF = 0.6  # difflib ratio below which a reply is not taken for a label


def system_prompt(labels: Sequence[str]) -> str:
    """The fixed prefix: the instruction, then every label, one per line."""
    return (
        "You route customer-support messages of a bank. Answer with exactly one intent label "
        "from this list, copied exactly, and nothing else.\n\nIntents:\n" + "\n".join(labels) + "\n"
    )


def one_line(text: str) -> str:
    return " ".join(text.split())


def user_prompt(text: str, examples: Sequence[tuple[str, str]] = ()) -> str:
    """The message last; before it, retrieved examples as `message -> label` lines."""
    shots = ""
    if examples:
        shots = "Similar past messages and their intents:\n" + "".join(
            f"{one_line(t)} -> {label}\n" for t, label in examples
        )
        shots += "\n"
    return f"{shots}Message: {one_line(text)}\nIntent:"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def parse_label(reply: str, labels: Sequence[str]) -> tuple[str, Parse]:
    """The label `reply` names, and how it was found (`none`: `UNKNOWN`)."""
    line = reply.strip().splitlines()[0] if reply.strip() else ""
    line = re.sub(r"^(intent|label)\s*:\s*", "", line.strip(), flags=re.IGNORECASE)
    line = line.strip().strip("`'\".*- ").strip()
    if line in labels:
        return line, "exact"
    normed = {_norm(label): label for label in labels}
    key = _norm(line)
    if key in normed:
        return normed[key], "normalised"
    if key:
        close = difflib.get_close_matches(key, list(normed), n=1, cutoff=FUZZY_CUTOFF)
        if close:
            return normed[close[0]], "fuzzy"
    return UNKNOWN, "none"


@dataclass
class Reply:
    """One routed message: the label, the model's words, and what the call cost in tokens."""

    label: str
    reply: str
    parse: Parse
    messages: list[Message]
    prompt_tokens: int | None = None
    prompt_evaluated: int | None = None
    completion_tokens: int | None = None
    examples: list[int] = field(default_factory=list)  # indices into the fitted texts


class LlmRouter:
    """A `Router` that asks `generator` (default: `DEFAULT_MODEL` on llama.cpp, one thread) to
    name the intent. `mode`: `zero-shot` (the label list only) or `retrieved` (plus the `k`
    training examples nearest to the message by `embedder`, the most similar last)."""

    name = "llm"
    kind: RouterKind = "off-the-shelf"

    def __init__(
        self,
        embedder: Embedder,
        generator: Generator | None = None,
        mode: str = "zero-shot",
        k: int = 10,
        model: str = DEFAULT_MODEL,
        max_tokens: int = 24,
    ) -> None:
        if mode not in MODES:
            raise InhouseError(f"LLM router mode {mode!r} is not known; use one of {MODES}")
        if k < 1:
            raise InhouseError(f"k must be at least 1, not {k}")
        self.embedder, self.mode, self.k, self.model = embedder, mode, k, model
        self.max_tokens = max_tokens
        self._generator = generator
        self.threshold = 0.0
        self.calibration: dict[str, float] = {}
        self.classes: list[str] = []
        self.system = ""
        self.texts: list[str] = []
        self.intents: list[str] = []
        self.vectors = np.zeros((0, 0), dtype=np.float32)
        self.parses: Counter[str] = Counter()  # how each reply so far was parsed
        self.last: list[Reply] = []  # the replies of the latest `predict`

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            from inhouse.generate.registry import load_generator

            self._generator = load_generator(self.model, n_threads=1, max_tokens=self.max_tokens)
        return self._generator

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> LlmRouter:
        """Keeps the label list; in `retrieved` mode also the tickets and their embeddings."""
        texts = check_texts(texts)
        check_labels(texts, intents)
        self.classes = sorted({i for i in intents if i != OUT_OF_SCOPE})
        self.system = system_prompt(self.classes)
        if self.mode == "retrieved":
            pairs = [(t, i) for t, i in zip(texts, intents, strict=True) if i != OUT_OF_SCOPE]
            self.texts, self.intents = [t for t, _ in pairs], [i for _, i in pairs]
            self.vectors = _unit(self.embedder.embed(self.texts))
        return self

    def calibrate(self, val_texts: Sequence[str], val_intents: Sequence[str]) -> dict[str, float]:
        """No calibrated score to threshold: the threshold stays 0 (see the module docstring)."""
        self.calibration = {"threshold": 0.0}
        return self.calibration

    def nearest(self, texts: Sequence[str]) -> np.ndarray:
        """Indices of the `k` fitted tickets nearest each text, least similar first."""
        sims = _unit(self.embedder.embed(list(texts))) @ self.vectors.T
        k = min(self.k, sims.shape[1])
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        order = np.take_along_axis(sims, top, axis=1).argsort(axis=1, kind="stable")
        return np.take_along_axis(top, order, axis=1)

    def messages(self, text: str, examples: Sequence[int] = ()) -> list[Message]:
        shots = [(self.texts[j], self.intents[j]) for j in examples]
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": user_prompt(text, shots)},
        ]

    def route(self, texts: Sequence[str]) -> list[Reply]:
        """Ask the model once per message; `Reply` records what it said and cost."""
        if not self.classes:
            raise InhouseError("the LLM router is not fitted; call fit(texts, intents) first")
        texts = check_texts(texts)
        near = self.nearest(texts).tolist() if self.mode == "retrieved" else [[]] * len(texts)
        out = []
        for text, examples in zip(texts, near, strict=True):
            messages = self.messages(text, examples)
            stream = self.generator.stream(
                messages, max_tokens=self.max_tokens, temperature=0.0, stop=["\n"]
            )
            reply = "".join(stream)
            label, how = parse_label(reply, self.classes)
            usage = getattr(stream, "usage", None)
            out.append(
                Reply(
                    label,
                    reply,
                    how,
                    messages,
                    getattr(usage, "prompt_tokens", None),
                    getattr(usage, "prompt_evaluated", None),
                    getattr(usage, "completion_tokens", None),
                    list(examples),
                )
            )
            self.parses[how] += 1
        return out

    def predict(self, texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
        self.last = self.route(texts)
        conf = [0.0 if r.parse == "none" else 1.0 for r in self.last]
        return [r.label for r in self.last], np.asarray(conf, dtype=np.float32)

    def save(self, path: Path) -> Path:
        raise InhouseError(
            f"{path}: the LLM router learns nothing to save; build it with the model name and "
            "fit it on the tickets where it runs"
        )

    def parameters(self) -> dict[str, Any]:
        return {"mode": self.mode, "k": self.k, "model": self.model, "max_tokens": self.max_tokens}


def _unit(vectors: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
