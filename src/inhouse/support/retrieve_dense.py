"""Dense retrieval: article passages embedded into a FAISS inner-product index.

An article scores as its best passage. With `tune`, `index()` first fine-tunes a copy of the
embedder on pseudo-queries from the articles (`retrieve_tune`) and the index keeps that model.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inhouse.errors import ModelError
from inhouse.models.embedder import DEFAULT_EMBEDDER, Embedder, load_embedder
from inhouse.support.retrieve import (
    ARTICLE_COLUMNS,
    Hits,
    _write_manifest,
    check_articles,
    check_queries,
    read_manifest,
    save_retriever,
)
from inhouse.support.retrieve_text import Passage, chunk_article, split_needs
from inhouse.support.retrieve_tune import TuneConfig, fine_tune


class DenseRetriever:
    """Cosine similarity between a message and article passages (whole articles if not chunked)."""

    def __init__(
        self,
        embedder: Embedder | None = None,
        chunk: bool = True,
        max_words: int = 150,
        stride: int = 100,
        tune: TuneConfig | None = None,
        name: str | None = None,
        kind: str | None = None,
        sentence_mean: bool = False,
    ) -> None:
        self.embedder = embedder
        self.sentence_mean = sentence_mean
        self.chunk, self.max_words, self.stride, self.tune = chunk, max_words, stride, tune
        self.name = name or ("dense-tuned" if tune else "dense")
        self.kind = kind or ("in-house" if tune else "off-the-shelf")
        self.articles = pl.DataFrame(schema=dict.fromkeys(ARTICLE_COLUMNS, pl.String))
        self.passages: list[Passage] = []
        self._owner = np.zeros(0, dtype=np.int64)  # passage -> article row
        self._index: Any = None
        self._tuned: tempfile.TemporaryDirectory[str] | None = None  # removed with the object

    def _passages(self) -> list[Passage]:
        rows = self.articles.iter_rows()
        if not self.chunk:
            return [Passage(a, t, f"{t}\n{b}".strip()) for a, t, b in rows]
        return [p for a, t, b in rows for p in chunk_article(a, t, b, self.max_words, self.stride)]

    def index(self, articles: pl.DataFrame) -> None:
        self.articles = check_articles(articles)
        self.passages = self._passages()
        if self.embedder is None:
            self.embedder = load_embedder()
        if self.tune is not None:
            from inhouse.models.embedder import SentenceTransformerEmbedder

            base = self.embedder
            if not isinstance(base, SentenceTransformerEmbedder):
                raise ModelError(f"embedder {base.name!r} cannot be fine-tuned here")
            self._tuned = tempfile.TemporaryDirectory(prefix="inhouse-tuned-")
            base = SentenceTransformerEmbedder(base.path, name=base.name)  # tune a fresh copy
            self.embedder = fine_tune(base, self.passages, Path(self._tuned.name), self.tune)
        ids = {a: i for i, a in enumerate(self.articles["article_id"])}
        self._owner = np.array([ids[p.article_id] for p in self.passages], dtype=np.int64)
        self._build(self.embedder.embed([p.text for p in self.passages]))

    def _build(self, vectors: np.ndarray) -> None:
        import faiss

        self._index = faiss.IndexFlatIP(vectors.shape[1])
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]:
        assert self._index is not None and self.embedder is not None, "index() or load() first"
        queries = check_queries(queries)
        n_articles, n_passages = self.articles.height, len(self.passages)
        k = min(k, n_articles)
        vecs = self._query_vectors(queries)
        depth = min(n_passages, max(10 * k, 200))
        out: list[Hits] = []
        for qv in vecs:
            while True:
                sims, rows = self._index.search(qv[None, :], depth)
                best: dict[int, float] = {}
                for s, r in zip(sims[0], rows[0], strict=True):
                    if r >= 0 and (a := int(self._owner[r])) not in best:
                        best[a] = float(s)
                if len(best) >= k or depth >= n_passages:
                    break
                depth = min(n_passages, depth * 4)
            ranked = sorted(best.items(), key=lambda kv: -kv[1])[:k]
            ids = self.articles["article_id"]
            out.append([(ids[a], s) for a, s in ranked])
        return out

    def _query_vectors(self, queries: Sequence[str]) -> np.ndarray:
        """One unit vector per query; with `sentence_mean`, the mean of its sentences' vectors.

        The embedder reads only its first `max_seq_length` word pieces, so a long message
        embedded whole is represented by its opening; averaging sentences keeps every need.
        """
        assert self.embedder is not None
        if not self.sentence_mean:
            return self.embedder.embed(queries)
        parts = [split_needs(q) for q in queries]
        flat = self.embedder.embed([s for p in parts for s in p])
        out, at = [], 0
        for p in parts:
            mean = flat[at : at + len(p)].mean(axis=0)
            at += len(p)
            out.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        return np.asarray(out, dtype=np.float32)

    def save(self, path: Path) -> None:
        save_retriever(self, path)

    def write(self, folder: Path) -> None:
        import faiss

        assert self.embedder is not None and self._index is not None, "index() before save()"
        faiss.write_index(self._index, str(folder / "passages.faiss"))
        pl.DataFrame(
            {
                "article_id": [p.article_id for p in self.passages],
                "title": [p.title for p in self.passages],
                "text": [p.text for p in self.passages],
            }
        ).write_parquet(folder / "passages.parquet")
        self.articles.write_parquet(folder / "articles.parquet")
        stored = None
        if self._tuned is not None:
            shutil.copytree(self._tuned.name, folder / "embedder")
            stored = "embedder"
        _write_manifest(
            folder,
            "dense",
            name=self.name,
            kind=self.kind,
            embedder=self.embedder.name,
            embedder_dir=stored,
            dim=self.embedder.dim,
            chunk=self.chunk,
            max_words=self.max_words,
            stride=self.stride,
            sentence_mean=self.sentence_mean,
        )

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None = None) -> DenseRetriever:
        import faiss

        m = read_manifest(folder)
        if embedder is None:
            if m.get("embedder_dir"):
                embedder = load_embedder(folder / m["embedder_dir"], name=m["embedder"])
            elif m["embedder"] == DEFAULT_EMBEDDER:
                embedder = load_embedder()
            else:
                raise ModelError(
                    f"{folder}: index was built with embedder {m['embedder']!r}; "
                    "pass that embedder to load it"
                )
        r = cls(
            embedder,
            m["chunk"],
            m["max_words"],
            m["stride"],
            name=m["name"],
            kind=m["kind"],
            sentence_mean=m.get("sentence_mean", False),
        )
        r.articles = pl.read_parquet(folder / "articles.parquet")
        passages = pl.read_parquet(folder / "passages.parquet")
        r.passages = [Passage(*row) for row in passages.iter_rows()]
        ids = {a: i for i, a in enumerate(r.articles["article_id"])}
        r._owner = np.array([ids[p.article_id] for p in r.passages], dtype=np.int64)
        r._index = faiss.read_index(str(folder / "passages.faiss"))
        return r
