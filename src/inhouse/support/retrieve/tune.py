"""Fine-tune the embedder on the help center itself: pseudo-queries made from each article.

Titles, section headings and first sentences become queries for the passage they came from;
the other passages of a batch are the negatives (`inhouse.tune.contrastive`). Only articles
are read, never evaluation queries.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inhouse.models.embedder import SentenceTransformerEmbedder
from inhouse.models.quiet import quiet_transformers
from inhouse.support.retrieve.text import Passage, split_needs
from inhouse.tune.contrastive import contrastive_tune

_HEADING_LINE = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)


@dataclass(frozen=True)
class TuneConfig:
    """How long and how hard to fine-tune."""

    epochs: int = 1
    """Passes over the pseudo-query pairs."""
    batch_size: int = 32
    """Pairs per step; the other passages of a batch are the negatives."""
    lr: float = 3e-5
    """AdamW learning rate."""
    max_pairs: int = 2000
    """Cap on training pairs, to keep a CPU run to minutes."""
    max_seq_length: int = 128
    """Word pieces read per text while training (the index still embeds up to the model's own)."""
    seed: int = 0
    """Seeds the pair sampling and the shuffling."""


def pseudo_queries(passages: Sequence[Passage], seed: int = 0) -> list[tuple[str, str]]:
    """(query, passage text) pairs: the title, each heading and the first sentence of a passage.

    The first sentence is removed from the passage it queries, so the pair is not a copy.
    """
    pairs: list[tuple[str, str]] = []
    seen_titles: set[str] = set()
    for p in passages:
        body = p.text[len(p.title) :].strip() if p.text.startswith(p.title) else p.text
        if p.title and p.title not in seen_titles:
            seen_titles.add(p.title)
            pairs.append((p.title, body or p.text))
        for heading in _HEADING_LINE.findall(body):
            if len(heading.split()) >= 3:  # "Overview" alone names no article
                pairs.append((heading.strip(), p.text))
        plain = _HEADING_LINE.sub("", body).strip()
        sentences = split_needs(plain, min_words=5) if plain else []
        if len(sentences) >= 2:
            rest = " ".join(sentences[1:])
            pairs.append((sentences[0], f"{p.title}\n{rest}"))
    rng = random.Random(seed)
    rng.shuffle(pairs)
    return pairs


def fine_tune(
    embedder: SentenceTransformerEmbedder,
    passages: Sequence[Passage],
    out_dir: Path,
    config: TuneConfig | None = None,
) -> SentenceTransformerEmbedder:
    """Fine-tune `embedder`'s model on pseudo-queries of `passages`; save it in `out_dir`."""
    import torch

    cfg = config or TuneConfig()
    torch.manual_seed(cfg.seed)
    pairs = pseudo_queries(passages, seed=cfg.seed)[: cfg.max_pairs]
    assert len(pairs) >= 2, "need at least two pseudo-query pairs to fine-tune"
    model = embedder.model
    full_length = model.max_seq_length
    model.max_seq_length = min(full_length or cfg.max_seq_length, cfg.max_seq_length)
    contrastive_tune(
        model,
        pairs,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        lr=cfg.lr,
        shuffle_seed=cfg.seed,
        description=f"fine-tuning {embedder.name}",
    )
    model.max_seq_length = full_length
    out_dir = Path(out_dir)
    with quiet_transformers():
        model.save(str(out_dir))
    return SentenceTransformerEmbedder(out_dir, name=f"{embedder.name}-tuned")
