"""Text-aware SASRec: a causal transformer over a user's item sequence, items = text + ID vectors.

Each item's vector is a learned projection of its frozen catalog-text embedding plus a learned ID
embedding (the "text + ID" item encoder of UniSRec-style models), so sparse items start from their
text. Trained with softmax cross-entropy at every sequence position, over every catalog item, or
for catalogs over `FULL_SOFTMAX_MAX` items over the batch's targets and sampled negatives (the
batch then computes only the item vectors it uses); scoring is cosine(final hidden state, item
vector) / temperature, served through FAISS.

Serving runs the trained transformer in numpy (`SASRecWeights`): for one user that is a few dozen
small matrix products, which torch's per-call overhead outweighed. A test checks it against
the torch network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

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
from inhouse.tune.batching import length_batches


class SASRecNet(nn.Module):
    """Item encoder (text projection + ID embedding) and a pre-norm causal transformer."""

    def __init__(
        self,
        text: torch.Tensor,
        dim: int,
        layers: int,
        heads: int,
        dropout: float,
        max_len: int,
        use_text: bool = True,
    ) -> None:
        super().__init__()
        n_items = text.shape[0]
        self.n_items = n_items  # index n_items is the padding item
        self.heads = heads
        self.register_buffer("text", torch.cat([text, torch.zeros(1, text.shape[1])]))
        self.proj = nn.Linear(text.shape[1], dim) if use_text else None
        self.ids = nn.Embedding(n_items + 1, dim, padding_idx=n_items)
        nn.init.normal_(self.ids.weight, std=0.02)
        self.pos = nn.Embedding(max_len, dim)  # position counted back from the newest item
        layer = nn.TransformerEncoderLayer(
            dim, heads, dim, dropout, batch_first=True, norm_first=True, activation="gelu"
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)

    def item_vectors(self, rows: torch.Tensor | None = None) -> torch.Tensor:
        """(n_items + 1, dim): text projection + ID embedding; the last row is padding. With
        `rows`, only those items' vectors, in that order."""
        text = self.get_buffer("text")
        if rows is None:
            w = self.ids.weight
        else:  # sparse gradients: the optimiser touches only these rows (`neural.adam`)
            w = F.embedding(rows, self.ids.weight, padding_idx=self.n_items, sparse=True)
        if self.proj is not None:
            w = w + self.proj(text if rows is None else text[rows])
        return w

    def forward(
        self, x: torch.Tensor, items: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden states (batch, T, dim) for left-padded sequences of rows of `items`, whose
        last row is the padding item, and `items` without it. `items` defaults to every item's
        vector; serving passes the trained ones, sampled training the rows a batch uses."""
        items = self.item_vectors() if items is None else items
        steps = x.shape[1]
        h = self.drop(items[x] + self.pos.weight[:steps].flip(0)[None])
        causal = torch.triu(torch.ones(steps, steps, dtype=torch.bool), 1)
        # padding keys are masked; a padding query still sees itself so no row is all -inf
        padding = x == items.shape[0] - 1
        pad = padding[:, None, :] & ~torch.eye(steps, dtype=torch.bool)[None]
        mask = (causal[None] | pad).repeat_interleave(self.heads, 0)
        return self.norm(self.encoder(h, mask=mask)), items[:-1]


def layer_norm(x: np.ndarray, w: dict[str, np.ndarray], name: str, eps: float) -> np.ndarray:
    """`nn.LayerNorm` over the last axis with the weights `name`.weight / `name`.bias of `w`."""
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    out: np.ndarray = (x - mean) / np.sqrt(var + np.float32(eps)) * w[f"{name}.weight"]
    return out + w[f"{name}.bias"]


@dataclass
class SASRecWeights:
    """The trained `SASRecNet` in eval mode, run in numpy for serving."""

    net: SASRecNet
    items: np.ndarray  # (n_items + 1, dim) item vectors, padding row last

    def __post_init__(self) -> None:
        # every weight as a numpy array once, by its state-dict name
        self.w = {k: v.detach().numpy() for k, v in self.net.state_dict().items()}
        # the matrices transposed once, contiguous: `h @ t[name]` is faster than `h @ w.T`
        matrices = ("in_proj_weight", "out_proj.weight", "linear1.weight", "linear2.weight")
        self.t = {k: np.ascontiguousarray(v.T) for k, v in self.w.items() if k.endswith(matrices)}
        self.eps = float(self.net.norm.eps)

    def hidden(self, x: np.ndarray) -> np.ndarray:
        """The final hidden state of each left-padded sequence `x` (batch, T): `forward`'s
        last position. The last layer computes only that position's query and feed-forward
        (the other positions feed it only as keys and values)."""
        w, t, heads, eps = self.w, self.t, self.net.heads, self.eps
        batch, steps = x.shape
        h = self.items[x] + w["pos.weight"][:steps][::-1][None]
        blocked = np.triu(np.ones((steps, steps), bool), 1)[None] | (
            (x == self.net.n_items)[:, None, :] & ~np.eye(steps, dtype=bool)[None]
        )
        mask = np.where(blocked, np.float32(-np.inf), np.float32(0))[:, None]  # added to scores
        layers = len(self.net.encoder.layers)
        for i in range(layers):
            at = f"encoder.layers.{i}."
            if i == layers - 1:  # from here on, only the last position
                mask = mask[:, :, -1:]
            a = layer_norm(h, w, at + "norm1", eps)
            qkv = a @ t[at + "self_attn.in_proj_weight"] + w[at + "self_attn.in_proj_bias"]
            q, k, v = (
                t.reshape(batch, steps, heads, -1).transpose(0, 2, 1, 3)
                for t in np.split(qkv, 3, axis=-1)
            )
            q = q[:, :, -mask.shape[2] :]
            scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(q.shape[-1]))
            scores += mask
            weights = np.exp(scores - scores.max(-1, keepdims=True))
            weights /= weights.sum(-1, keepdims=True)
            mixed = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, q.shape[2], -1)
            h = (
                h[:, -q.shape[2] :]
                + mixed @ t[at + "self_attn.out_proj.weight"]
                + w[at + "self_attn.out_proj.bias"]
            )
            f = layer_norm(h, w, at + "norm2", eps)
            f = gelu(f @ t[at + "linear1.weight"] + w[at + "linear1.bias"])
            h = h + f @ t[at + "linear2.weight"] + w[at + "linear2.bias"]
        out: np.ndarray = layer_norm(h[:, -1], w, "norm", eps).astype(np.float32)
        return out


def pad_left(seqs: list[np.ndarray], length: int, pad: int) -> np.ndarray:
    """Newest `length` items of each sequence, right-aligned, padded on the left with `pad`."""
    out = np.full((len(seqs), length), pad, np.int64)
    for row, s in enumerate(seqs):
        s = s[-length:]
        if len(s):
            out[row, length - len(s) :] = s
    return out


class SASRec(NetRecommender):
    """Text-aware SASRec trained with full softmax over all items."""

    name = "sasrec"
    kind = "in-house"
    cheap_explanations = False  # leave-one-out re-runs the transformer per history item
    # and so over its 8 newest distinct items (not 20): each is one more sequence through the
    # transformer per request, and in a sequence model the reasons shown are the newest items
    explain_recent = 8
    param_grid: ClassVar[list[dict[str, Any]]] = [{}]

    def __init__(
        self,
        dim: int = 64,
        layers: int = 2,
        heads: int = 2,
        dropout: float = 0.3,
        lr: float = 3e-3,
        epochs: int = 30,
        batch_size: int = 128,
        max_len: int = 50,
        temperature: float = 0.07,
        use_text: bool = True,
        negatives: int | None = None,
        embedder: str | None = None,
        seed: int = 0,
        threads: int | None = None,
        **params: Any,
    ) -> None:
        super().__init__(
            dim=dim,
            layers=layers,
            heads=heads,
            dropout=dropout,
            lr=lr,
            epochs=epochs,
            batch_size=batch_size,
            max_len=max_len,
            temperature=temperature,
            use_text=use_text,
            negatives=negatives,
            embedder=embedder,
            seed=seed,
            threads=threads,
            **params,
        )
        self.net: SASRecNet | None = None
        self.serving: SASRecWeights | None = None  # set with the net
        self.train_log = []

    # ---- model
    def _build(self, text: np.ndarray) -> SASRecNet:
        p = self.params
        return SASRecNet(
            torch.from_numpy(np.ascontiguousarray(text, dtype=np.float32)),
            int(p["dim"]),
            int(p["layers"]),
            int(p["heads"]),
            float(p["dropout"]),
            int(p["max_len"]),
            bool(p["use_text"]),
        )

    def _text_vectors(self, data: Interactions) -> np.ndarray:
        if not self.params["use_text"]:
            return np.zeros((len(data.items), 1), np.float32)
        return TextRecommender(embedder=self.params["embedder"]).embed_items(data.catalog)

    def _fit(self, data: Interactions) -> None:
        p = self.params
        self._setup_torch()
        rng = np.random.default_rng(int(p["seed"]))
        net = self._build(self._text_vectors(data))
        self.net = net
        n, max_len = len(data.items), int(p["max_len"])
        seqs = [s[-(max_len + 1) :] for s in data.sequences() if len(s) >= 2]
        self.train_log = []
        if seqs:
            x = torch.from_numpy(pad_left([s[:-1] for s in seqs], max_len, n))
            y = torch.from_numpy(pad_left([s[1:] for s in seqs], max_len, n))
            lengths = np.array([len(s) - 1 for s in seqs])
            temp = float(p["temperature"])
            negatives = negatives_for(n, p["negatives"])
            opts = adam(net, float(p["lr"]), sparse_ids=negatives > 0)
            draws = torch.Generator().manual_seed(int(p["seed"]))

            def epoch() -> float:
                total, count = 0.0, 0
                for idx in length_batches(lengths, int(p["batch_size"]), rng):
                    steps = int(lengths[idx].max())
                    xb, yb = x[idx, -steps:], y[idx, -steps:]
                    target = yb != net.n_items
                    if negatives:  # only the vectors of the items this batch sees or scores
                        classes, labels = sampled_classes(yb[target], n, negatives, draws)
                        rows, at, local = batch_rows(classes, xb, pad=n)  # padding: last row
                        hidden, items = net(local, net.item_vectors(rows))
                        items = items[at]
                    else:
                        hidden, items = net(xb)
                        labels = yb[target]
                    q = F.normalize(hidden[target], dim=-1)
                    logits = q @ F.normalize(items, dim=-1).T / temp
                    loss = F.cross_entropy(logits, labels)
                    for opt in opts:
                        opt.zero_grad()
                    loss.backward()
                    for opt in opts:
                        opt.step()
                    total += loss.item() * int(target.sum())
                    count += int(target.sum())
                return total / max(count, 1)

            self._epochs(int(p["epochs"]), epoch)
        self._refresh_vectors()

    def _refresh_vectors(self) -> None:
        assert self.net is not None, "sasrec: no network; fit or load first"
        with torch.no_grad():
            # with the padding row, for `_query`; detached (ID-only vectors are the parameter)
            items = self.net.item_vectors().detach()
        self.serving = SASRecWeights(self.net, items.numpy())
        self.set_item_vectors(F.normalize(items[: self.net.n_items], dim=-1).numpy())

    # ---- scoring
    def similar_items(self, item_id: str, k: int = 10) -> tuple[list[str], np.ndarray]:
        """Items nearest by cosine of their (text + ID) vectors; the item itself excluded.
        (Scoring a one-item history would rank likely *next* items instead.)"""
        if item_id not in self.items:
            from inhouse.errors import InhouseError

            raise InhouseError(
                f"item {item_id!r} is not in the catalog; check the id or refit with it"
            )
        i = self.items.index[item_id]
        sims = self.item_vectors @ self.item_vectors[i]
        sims[i] = -np.inf
        top = np.argsort(-sims, kind="stable")[: min(k, len(sims) - 1)]
        return self.items.decode(top), sims[top].astype(np.float32)

    def _query(self, histories: list[np.ndarray]) -> np.ndarray:
        assert self.serving is not None, "sasrec: not fitted; call fit() or load()"
        pad, max_len = self.serving.net.n_items, int(self.params["max_len"])
        out = np.zeros((len(histories), self.item_vectors.shape[1]), np.float32)
        order = np.argsort([len(h) for h in histories], kind="stable")
        for start in range(0, len(order), 512):
            idx = order[start : start + 512]
            steps = min(max_len, max(len(histories[i]) for i in idx))
            hidden = self.serving.hidden(pad_left([histories[i] for i in idx], steps, pad))
            norm = np.maximum(np.linalg.norm(hidden, axis=1, keepdims=True), 1e-12)
            out[idx] = hidden / norm / float(self.params["temperature"])
        return out
