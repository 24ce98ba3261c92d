"""`bm25`: Okapi BM25 over title + body, the lexical baseline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from inhouse.artifacts import Manifest
from inhouse.models.embedder import Embedder
from inhouse.support.retrieve.base import (
    ARTICLE_COLUMNS,
    Hits,
    check_articles,
    check_queries,
    retriever_manifest,
    save_retriever,
)
from inhouse.support.retrieve.text import terms

SYSTEM = "bm25"  # the registry record that reads a saved BM25 index (any `ngrams`) back


def _bm25s() -> Any:
    """The `bm25s` module, its logger at WARNING: it sets itself to DEBUG on import, so its
    "Building index from tokens" lines would reach the command line's output."""
    import logging

    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class BM25Retriever:
    """Okapi BM25 over title + body (`bm25s`, English stop words removed).

    With `ngrams=2` adjacent word pairs are terms too, so multi-word product names ("Silver
    Account", "Business Gold Rewards Card") match as phrases rather than as common words.
    """

    kind = "baseline"

    def __init__(self, ngrams: int = 1, name: str | None = None) -> None:
        assert ngrams in (1, 2), "ngrams is 1 (words) or 2 (words and word pairs)"
        self.ngrams = ngrams
        self.name = name or ("bm25" if ngrams == 1 else "bm25-bigram")
        self.articles = pl.DataFrame(schema=dict.fromkeys(ARTICLE_COLUMNS, pl.String))
        self._ids: list[str] = []
        self._model: Any = None

    def index(self, articles: pl.DataFrame) -> None:
        bm25s = _bm25s()
        self.articles = check_articles(articles)
        self._ids = self.articles["article_id"].to_list()
        texts = [
            f"{t}\n{b}" for t, b in zip(self.articles["title"], self.articles["body"], strict=True)
        ]
        self._model = bm25s.BM25()
        self._model.index([terms(t, self.ngrams) for t in texts], show_progress=False)

    def search(self, queries: Sequence[str], k: int = 10) -> list[Hits]:
        assert self._model is not None, "index() or load() the retriever before search()"
        vocab = self._model.vocab_dict
        out: list[Hits] = []
        for q in check_queries(queries):
            tokens = [t for t in terms(q, self.ngrams) if t in vocab]
            scores = self._model.get_scores(tokens) if tokens else np.zeros(len(self._ids))
            top = np.argsort(-scores, kind="stable")[:k]
            out.append([(self._ids[j], float(scores[j])) for j in top])
        return out

    def save(self, path: Path) -> None:
        save_retriever(self, path)

    def manifest(self) -> Manifest:
        return retriever_manifest(self, {"ngrams": self.ngrams, "name": self.name}, system=SYSTEM)

    def write(self, folder: Path) -> None:
        self._model.save(str(folder / "bm25"), show_progress=False)
        self.articles.write_parquet(folder / "articles.parquet")

    @classmethod
    def read(cls, folder: Path, embedder: Embedder | None, manifest: Manifest) -> BM25Retriever:
        bm25s = _bm25s()
        r = cls(**manifest.parameters)
        r.articles = pl.read_parquet(folder / "articles.parquet")
        r._ids = r.articles["article_id"].to_list()
        r._model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        return r
