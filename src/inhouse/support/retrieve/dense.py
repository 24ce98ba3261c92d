"""Dense retrieval: article passages embedded into a FAISS inner-product index.

An article scores as its best passage. A message is read whole, as the mean of its sentence
vectors, or need by need (`query_mode`). With `tune`, `index()` first fine-tunes a copy of the
embedder on pseudo-queries from the articles (`retrieve_tune`) and the index keeps that model.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from inhouse.artifacts import Manifest
from inhouse.errors import ModelError
from inhouse.models.embedder import Embedder, Fingerprint, fingerprint
from inhouse.models.load import load_embedder, load_embedder_for
from inhouse.support.retrieve.base import (
    ARTICLE_COLUMNS,
    Hits,
    check_articles,
    check_queries,
    retriever_manifest,
    save_retriever,
)
from inhouse.support.retrieve.text import Passage, chunk_article, split_needs
from inhouse.support.retrieve.tune import TuneConfig, fine_tune

QueryMode = Literal["whole", "mean", "needs"]
QUERY_MODES: tuple[QueryMode, ...] = ("whole", "mean", "needs")
SYSTEM = "dense"  # the registry record that reads a saved dense index (tuned or not) back
TUNED_DIR = "embedder"  # a tuned index's embedder, saved inside it


class DenseRetriever:
    """Cosine similarity between a message and article passages (whole articles if not chunked).

    `query_mode` says how a message is read:
    - `whole`: one vector for the message (the embedder reads only its first 256 word pieces);
    - `mean`: the normalised mean of its sentence vectors;
    - `needs`: each sentence is a need; an article scores the soft maximum over sentences of
      their similarities, `log(sum(exp(temperature * cos))) / temperature`, so an article that
      answers one need of a long message ranks high, and one close to several ranks higher.

    `query_words` reads only a message's first that many (whitespace-separated) words; None
    reads what the embedder's window holds. A query's cost grows with its tokens: for mpnet
    int8 at one thread, a message filling its 384-token window is about 0.3 s of CPU.
    """

    def __init__(
        self,
        embedder: Embedder | None = None,
        chunk: bool = True,
        max_words: int = 150,
        stride: int = 100,
        tune: TuneConfig | None = None,
        name: str | None = None,
        kind: str | None = None,
        query_mode: QueryMode = "whole",
        temperature: float = 10.0,
        query_words: int | None = None,
    ) -> None:
        assert query_mode in QUERY_MODES, f"query_mode is one of {QUERY_MODES}"
        assert temperature > 0, "temperature must be positive"
        assert query_words is None or query_words > 0, "query_words must be positive or None"
        self.query_words = query_words
        self.embedder = embedder
        self.query_mode, self.temperature = query_mode, temperature
        self.chunk, self.max_words, self.stride, self.tune = chunk, max_words, stride, tune
        self.name = name or ("dense-tuned" if tune else "dense")
        self.kind = kind or ("in-house" if tune else "off-the-shelf")
        self.articles = pl.DataFrame(schema=dict.fromkeys(ARTICLE_COLUMNS, pl.String))
        self.passages: list[Passage] = []
        self._owner = np.zeros(0, dtype=np.int64)  # passage -> article row
        self._index: Any = None
        self._tuned: tempfile.TemporaryDirectory[str] | None = None  # removed with the object
        self.base: Fingerprint | None = None  # the embedder `tune` started from

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
            self.base = fingerprint(base)
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
        if self.query_words is not None:
            queries = [" ".join(q.split()[: self.query_words]) for q in queries]
        if self.query_mode == "needs":
            return [self._top(self._needs_scores(q), k) for q in queries]
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

    def _top(self, scores: np.ndarray, k: int) -> Hits:
        top = np.argsort(-scores, kind="stable")[:k]
        ids = self.articles["article_id"]
        return [(ids[int(a)], float(scores[a])) for a in top]

    def _needs_scores(self, query: str) -> np.ndarray:
        """Soft maximum over the message's sentences of each article's best-passage cosine.

        Exact: every passage is compared with every sentence (a flat index does this anyway);
        a help center of thousands of articles is a few milliseconds of matrix product.
        """
        assert self.embedder is not None and self._index is not None
        sentences = self.embedder.embed(split_needs(query))
        passages = self._index.reconstruct_n(0, self._index.ntotal)
        per_passage = passages @ sentences.T  # passages x sentences
        per_article = np.full((self.articles.height, len(sentences)), -np.inf, dtype=np.float64)
        np.maximum.at(per_article, self._owner, per_passage)
        t = self.temperature
        top = per_article.max(axis=1, keepdims=True)
        soft = top[:, 0] + np.log(np.exp(t * (per_article - top)).sum(axis=1)) / t
        return np.asarray(soft)

    def passages_of(self, article_ids: Sequence[str]) -> list[tuple[list[Passage], np.ndarray]]:
        """Each article's indexed passages and their unit vectors, read back from the index.

        Nothing is embedded: these are the passages `search` scores, chunked as the index was.
        """
        assert self._index is not None, "index() or load() first"
        row = {a: i for i, a in enumerate(self.articles["article_id"].to_list())}
        out = []
        for aid in article_ids:
            idx = np.flatnonzero(self._owner == row[aid])
            vectors = np.stack([self._index.reconstruct(int(i)) for i in idx])
            out.append(([self.passages[i] for i in idx], vectors))
        return out

    def reading(
        self,
        query_mode: QueryMode,
        temperature: float | None = None,
        query_words: int | None = None,
    ) -> DenseRetriever:
        """This index (shared, not copied) reading messages another way (`query_words`: None
        reads them whole); for bake-offs."""
        view = copy.copy(self)
        view.query_mode = query_mode
        view.temperature = temperature or self.temperature
        view.query_words = query_words
        return view

    def _query_vectors(self, queries: Sequence[str]) -> np.ndarray:
        """One unit vector per query; in `mean` mode, the mean of its sentences' vectors.

        The embedder reads only its first `max_seq_length` word pieces, so a long message
        embedded whole is represented by its opening; averaging sentences keeps every need.
        """
        assert self.embedder is not None
        if self.query_mode == "whole":
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

    def manifest(self) -> Manifest:
        """Built on `base_model`; a tuned index also records (and holds) its tuned embedder."""
        assert self.embedder is not None, "index() before save()"
        parameters = {
            "name": self.name,
            "kind": self.kind,
            "chunk": self.chunk,
            "max_words": self.max_words,
            "stride": self.stride,
            "query_mode": self.query_mode,
            "temperature": self.temperature,
            "query_words": self.query_words,
        }
        if self.base is None:
            return retriever_manifest(self, parameters, self.embedder, system=SYSTEM)
        tuned = {"tuned": fingerprint(self.embedder).model_dump()}
        return retriever_manifest(self, parameters, self.base, tuned, system=SYSTEM)

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
        if self._tuned is not None:
            shutil.copytree(self._tuned.name, folder / TUNED_DIR)

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> DenseRetriever:
        """Read a saved index; `embedder` must be the one it was built with (the tuned one saved
        inside it, for a tuned index); without one, that one is loaded."""
        import faiss

        what = f"the index at {folder}"
        tuned = manifest.state.get("tuned")
        built = Fingerprint.model_validate(tuned) if tuned else manifest.base_model
        if built is not None and tuned and embedder is None:
            embedder = load_embedder(folder / TUNED_DIR, name=built.name)
        embedder = load_embedder_for(built, what, embedder)
        r = cls(embedder, **manifest.parameters)
        if tuned and manifest.base_model is not None:
            r.base = Fingerprint.model_validate(manifest.base_model.model_dump())
        r.articles = pl.read_parquet(folder / "articles.parquet")
        passages = pl.read_parquet(folder / "passages.parquet")
        r.passages = [Passage(*row) for row in passages.iter_rows()]
        ids = {a: i for i, a in enumerate(r.articles["article_id"])}
        r._owner = np.array([ids[p.article_id] for p in r.passages], dtype=np.int64)
        r._index = faiss.read_index(str(folder / "passages.faiss"))
        return r
