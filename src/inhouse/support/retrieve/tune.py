"""Fine-tune the embedder on the help center itself: pseudo-queries made from each article.

Titles, section headings and first sentences become queries for the passage they came from;
MultipleNegativesRankingLoss uses the other passages of a batch as negatives. Only articles are
read, never evaluation queries. A plain torch loop keeps it free of `datasets`/`accelerate`.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from inhouse.models.embedder import SentenceTransformerEmbedder
from inhouse.support.retrieve.text import Passage, split_needs

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
    """Fine-tune a copy of `embedder` on pseudo-queries of `passages`; save it in `out_dir`."""
    import torch
    from rich.progress import Progress
    from sentence_transformers.sentence_transformer.losses import (
        MultipleNegativesRankingLoss,
    )

    cfg = config or TuneConfig()
    torch.manual_seed(cfg.seed)
    pairs = pseudo_queries(passages, seed=cfg.seed)[: cfg.max_pairs]
    assert len(pairs) >= 2, "need at least two pseudo-query pairs to fine-tune"
    model = embedder.model
    full_length = model.max_seq_length
    model.max_seq_length = min(full_length or cfg.max_seq_length, cfg.max_seq_length)
    model.train()
    loss_fn = MultipleNegativesRankingLoss(model)
    optim = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    steps = cfg.epochs * ((len(pairs) + cfg.batch_size - 1) // cfg.batch_size)
    with Progress(transient=True) as progress:
        task = progress.add_task(f"fine-tuning {embedder.name}", total=steps)
        for epoch in range(cfg.epochs):
            random.Random(cfg.seed + epoch).shuffle(pairs)
            for start in range(0, len(pairs), cfg.batch_size):
                batch = pairs[start : start + cfg.batch_size]
                if len(batch) < 2:
                    continue
                features = [
                    model.preprocess([q for q, _ in batch]),
                    model.preprocess([p for _, p in batch]),
                ]
                loss = loss_fn(features, labels=torch.zeros(len(batch)))
                loss.backward()
                optim.step()
                optim.zero_grad()
                progress.advance(task)
    model.eval()
    model.max_seq_length = full_length
    out_dir = Path(out_dir)
    model.save(str(out_dir))
    return SentenceTransformerEmbedder(out_dir, name=f"{embedder.name}-tuned")
