"""Two-tower text adapter: a small model trained on frozen catalog-text embeddings.

Item tower: MLP(text embedding) + learned ID embedding. User tower: learned position weights over
the last `max_len` item vectors, plus a residual MLP. Trained with full softmax cross-entropy over
every catalog item on every prefix of the training sequences; scores are dot products (FAISS).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inhouse.recommend.base import Interactions
from inhouse.recommend.neural import NetRecommender
from inhouse.recommend.text import TextRecommender


class TwoTowerNet(nn.Module):
    """Item tower (text MLP + ID embedding) and a position-weighted history tower."""

    def __init__(self, text: torch.Tensor, dim: int, max_len: int, dropout: float) -> None:
        super().__init__()
        n_items, width = text.shape
        self.n_items = n_items  # index n_items is the padding item
        self.register_buffer("text", torch.cat([text, torch.zeros(1, width)]))
        self.item = nn.Sequential(nn.Linear(width, dim), nn.GELU(), nn.Linear(dim, dim))
        self.ids = nn.Embedding(n_items + 1, dim, padding_idx=n_items)
        nn.init.normal_(self.ids.weight, std=0.02)
        self.position = nn.Parameter(torch.zeros(max_len))  # newest item last
        self.mix = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.out = nn.Linear(dim, dim)
        self.drop = nn.Dropout(dropout)

    def item_vectors(self) -> torch.Tensor:
        """(n_items, dim) item vectors (padding row excluded)."""
        vectors: torch.Tensor = self.item(self.text) + self.ids.weight
        return vectors[: self.n_items]

    def query(self, x: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """(batch, dim) queries for left-padded histories `x` (batch, max_len)."""
        padded = torch.cat([items, torch.zeros(1, items.shape[1])])
        h = self.drop(padded[x])
        logits = self.position[-x.shape[1] :].expand_as(x).masked_fill(x == self.n_items, -1e9)
        q = (torch.softmax(logits, -1)[..., None] * h).sum(1)
        q = q + self.mix(q)
        out: torch.Tensor = q + self.out(self.drop(q))
        return out


def prefixes(seqs: list[np.ndarray], max_len: int, pad: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (history of the last `max_len` items, next item) pair of every sequence."""
    xs, ys = [], []
    for s in seqs:
        for t in range(1, len(s)):
            h = s[max(0, t - max_len) : t]
            xs.append(np.concatenate([np.full(max_len - len(h), pad, np.int64), h]))
            ys.append(s[t])
    if not xs:
        return np.zeros((0, max_len), np.int64), np.zeros(0, np.int64)
    return np.stack(xs), np.asarray(ys, np.int64)


class TwoTower(NetRecommender):
    """Text-aware two-tower model trained in-house on next-item prediction."""

    name = "two-tower"
    kind = "in-house"
    param_grid: ClassVar[list[dict[str, Any]]] = [{}]

    def __init__(
        self,
        dim: int = 128,
        max_len: int = 10,
        dropout: float = 0.3,
        lr: float = 3e-3,
        epochs: int = 10,
        batch_size: int = 1024,
        embedder: str | None = None,
        seed: int = 0,
        threads: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(
            dim=dim,
            max_len=max_len,
            dropout=dropout,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            embedder=embedder,
            seed=seed,
            threads=threads,
            **params,
        )
        self.net: TwoTowerNet | None = None
        self.train_log = []

    def _build(self, text: np.ndarray) -> TwoTowerNet:
        p = self.params
        tensor = torch.from_numpy(np.ascontiguousarray(text, dtype=np.float32))
        return TwoTowerNet(tensor, int(p["dim"]), int(p["max_len"]), float(p["dropout"]))

    def _fit(self, data: Interactions) -> None:
        p = self.params
        self._setup_torch()
        text = TextRecommender(embedder=p["embedder"]).embed_items(data.catalog)
        net = self._build(text)
        self.net = net
        xs, ys = prefixes(data.sequences(), int(p["max_len"]), len(data.items))
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        opt = torch.optim.AdamW(net.parameters(), lr=float(p["lr"]), weight_decay=0.0)
        size = int(p["batch_size"])

        def epoch() -> float:
            total = 0.0
            for idx in torch.randperm(len(x)).split(size):
                items = net.item_vectors()
                loss = F.cross_entropy(net.query(x[idx], items) @ items.T, y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(idx)
            return total / len(x)

        self._epochs(int(p["epochs"]) if len(x) else 0, epoch)
        self._refresh_vectors()

    def _refresh_vectors(self) -> None:
        assert self.net is not None, "two-tower: no network; fit or load first"
        with torch.no_grad():
            self.set_item_vectors(self.net.item_vectors().numpy())

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        assert self.net is not None, "two-tower: not fitted; call fit() or load()"
        net, max_len = self.net, int(self.params["max_len"])
        x = np.full((len(histories), max_len), net.n_items, np.int64)
        for row, h in enumerate(histories):
            h = h[-max_len:]
            x[row, max_len - len(h) :] = h
        net.eval()
        with torch.no_grad():
            items = torch.from_numpy(self.item_vectors)
            q = torch.cat([net.query(b, items) for b in torch.from_numpy(x).split(2048)])
        out: np.ndarray = q.numpy()
        return out
