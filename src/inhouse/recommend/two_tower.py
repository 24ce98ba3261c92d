"""Two-tower text adapter: a small model trained on frozen catalog-text embeddings.

Item tower: MLP(text embedding) + learned ID embedding. User tower: learned position weights over
the last `max_len` item vectors, plus a residual MLP. Trained with softmax cross-entropy on every
prefix of the training sequences, over every catalog item, or for catalogs over
`FULL_SOFTMAX_MAX` items over the batch's targets and sampled negatives (the batch then computes
only the item vectors it uses); scores are dot products (FAISS).
With `seeds` > 1, that many nets are trained from different seeds and their vectors concatenated,
so one dot product sums their scores (a seed ensemble: +5 % NDCG@10 on amazon-scientific valid).

Serving computes the user tower in numpy (`TowerWeights`) from the trained weights: for one user
it is a few 128-wide matrix-vector products, which torch's per-call overhead outweighed. A test
checks it against the torch tower.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inhouse.errors import ConfigError
from inhouse.recommend.base import Interactions
from inhouse.recommend.neural import (
    NetRecommender,
    adam,
    batch_rows,
    gelu,
    negatives_for,
    sampled_classes,
)
from inhouse.recommend.text import TextRecommender
from inhouse.tune.batching import shuffled_batches


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

    def item_vectors(self, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(n_items, dim) item vectors (padding row excluded); with `rows`, those items'."""
        if rows is not None:
            # sparse gradients: the optimiser touches only these rows (`neural.adam`)
            ids = F.embedding(rows, self.ids.weight, padding_idx=self.n_items, sparse=True)
            picked: torch.Tensor = self.item(self.get_buffer("text")[rows]) + ids
            return picked
        vectors: torch.Tensor = self.item(self.text) + self.ids.weight
        return vectors[: self.n_items]

    def query(
        self, x: torch.Tensor, items: torch.Tensor, pad: torch.Tensor | None = None
    ) -> torch.Tensor:
        """(batch, dim) queries for left-padded histories `x` (batch, max_len) of rows of
        `items`; `pad` marks the padding positions (default: where `x` is `n_items`)."""
        pad = x == self.n_items if pad is None else pad  # padding looks up a zero vector
        h = self.drop(items[x.clamp(max=len(items) - 1)] * (~pad)[..., None])
        logits = self.position[-x.shape[1] :].expand_as(x).masked_fill(pad, -1e9)
        q = (torch.softmax(logits, -1)[..., None] * h).sum(1)
        q = q + self.mix(q)
        out: torch.Tensor = q + self.out(self.drop(q))
        return out


@dataclass
class TowerWeights:
    """One trained user tower as numpy arrays (eval mode: no dropout), for serving."""

    position: np.ndarray
    mix: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # W1ᵀ, b1, W2ᵀ, b2
    out: tuple[np.ndarray, np.ndarray]  # Wᵀ, b

    @classmethod
    def of(cls, net: TwoTowerNet) -> TowerWeights:
        def lin(layer: nn.Module) -> tuple[np.ndarray, np.ndarray]:
            assert isinstance(layer, nn.Linear)
            return layer.weight.detach().numpy().T.copy(), layer.bias.detach().numpy().copy()

        w1, b1 = lin(net.mix[0])
        w2, b2 = lin(net.mix[2])
        return cls(net.position.detach().numpy().copy(), (w1, b1, w2, b2), lin(net.out))

    def query(self, x: np.ndarray, items: np.ndarray, n_items: int) -> np.ndarray:
        """`TwoTowerNet.query` in eval mode: (batch, dim) for left-padded `x` (batch, max_len)."""
        pad = x == n_items
        logits = np.where(pad, -1e9, self.position[-x.shape[1] :]).astype(np.float32)
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        weights /= weights.sum(axis=1, keepdims=True)
        q = np.einsum("bl,bld->bd", weights, items[np.minimum(x, n_items - 1)])
        w1, b1, w2, b2 = self.mix
        q = q + gelu(q @ w1 + b1) @ w2 + b2
        out: np.ndarray = q + q @ self.out[0] + self.out[1]
        return out.astype(np.float32, copy=False)


class TowerEnsemble(nn.Module):
    """Independently trained `TwoTowerNet`s over one catalog-text matrix."""

    def __init__(self, text: torch.Tensor, dim: int, max_len: int, dropout: float, n: int) -> None:
        super().__init__()
        self.towers = nn.ModuleList(TwoTowerNet(text, dim, max_len, dropout) for _ in range(n))
        self.n_items = int(text.shape[0])

    def nets(self) -> list[TwoTowerNet]:
        return [t for t in self.towers if isinstance(t, TwoTowerNet)]


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
        negatives: int | None = None,
        embedder: str | None = None,
        seed: int = 0,
        seeds: int = 1,
        threads: int | None = None,
        **params: Any,
    ) -> None:
        if seeds < 1:
            raise ConfigError(f"two-tower: seeds={seeds}; train at least one net (seeds >= 1)")
        super().__init__(
            seeds=seeds,
            dim=dim,
            max_len=max_len,
            dropout=dropout,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            negatives=negatives,
            embedder=embedder,
            seed=seed,
            threads=threads,
            **params,
        )
        self.net: TowerEnsemble | None = None
        self.towers: list[TowerWeights] = []
        self.train_log = []

    def _build(self, text: np.ndarray) -> TowerEnsemble:
        p = self.params
        tensor = torch.from_numpy(np.ascontiguousarray(text, dtype=np.float32))
        dim, max_len, dropout = int(p["dim"]), int(p["max_len"]), float(p["dropout"])
        return TowerEnsemble(tensor, dim, max_len, dropout, int(p["seeds"]))

    def _fit(self, data: Interactions) -> None:
        p = self.params
        self._setup_torch()
        reader = TextRecommender(embedder=p["embedder"])
        text = reader.embed_items(data.catalog)
        self.base_model = reader.base_model  # the item texts' embedder
        self.net = self._build(text)
        xs, ys = prefixes(data.sequences(), int(p["max_len"]), len(data.items))
        x, y = torch.from_numpy(xs), torch.from_numpy(ys)
        size, n = int(p["batch_size"]), len(self.net.towers)
        negatives = negatives_for(len(data.items), p["negatives"])
        draws = torch.Generator().manual_seed(int(p["seed"]))
        self.train_log = []
        for i, net in enumerate(self.net.nets()):
            if i:  # tower 0 continues the stream seeded in _setup_torch
                torch.manual_seed(int(p["seed"]) + i)
            opts = adam(net, float(p["lr"]), sparse_ids=negatives > 0)

            def epoch(net: TwoTowerNet = net, opts: list[torch.optim.Optimizer] = opts) -> float:
                total = 0.0
                for idx in shuffled_batches(len(x), size):
                    if negatives:  # only the vectors of the items this batch sees or scores
                        classes, labels = sampled_classes(y[idx], net.n_items, negatives, draws)
                        xb = x[idx]
                        rows, at, local = batch_rows(classes, xb.clamp(max=net.n_items - 1))
                        items = net.item_vectors(rows)
                        queries = net.query(local, items, pad=xb == net.n_items)
                        logits = queries @ items[at].T
                    else:
                        items = net.item_vectors()
                        logits, labels = net.query(x[idx], items) @ items.T, y[idx]
                    loss = F.cross_entropy(logits, labels)
                    for opt in opts:
                        opt.zero_grad()
                    loss.backward()
                    for opt in opts:
                        opt.step()
                    total += loss.item() * len(idx)
                return total / len(x)

            label = f" ({i + 1}/{n})" if n > 1 else ""
            self._epochs(int(p["epochs"]) if len(x) else 0, epoch, label)
        self._refresh_vectors()

    def _refresh_vectors(self) -> None:
        assert self.net is not None, "two-tower: no network; fit or load first"
        with torch.no_grad():
            vectors = [t.item_vectors() for t in self.net.nets()]
        self.set_item_vectors(torch.cat(vectors, dim=1).numpy())
        self.towers = [TowerWeights.of(t) for t in self.net.nets()]

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        assert self.towers, "two-tower: not fitted; call fit() or load()"
        max_len, dim = int(self.params["max_len"]), int(self.params["dim"])
        n = len(self.item_vectors)  # also the padding index
        x = np.full((len(histories), max_len), n, np.int64)
        for row, h in enumerate(histories):
            h = h[-max_len:]
            x[row, max_len - len(h) :] = h
        parts = [
            tower.query(x, self.item_vectors[:, i * dim : (i + 1) * dim], n)
            for i, tower in enumerate(self.towers)
        ]
        return np.concatenate(parts, axis=1)
