"""Lexical text similarity: items whose catalog text shares rare words (brand, model, material).

Items are scikit-learn TF-IDF vectors of their catalog text; M[i, j] is the cosine of items i
and j, kept for each item's `top_k` nearest. A history scores items like `cooc` does (recency-
weighted rows, exact explanations). It sees what a sentence embedder blurs: the same brand or
part number.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from inhouse.errors import ConfigError
from inhouse.recommend.base import Interactions
from inhouse.recommend.item_graph import ItemGraph
from inhouse.recommend.text import item_texts

ROW_BLOCK = 1024


def top_k_cosines(vectors: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Each row's `k` largest cosines with the other rows (L2-normalised `vectors`), computed in
    row blocks so the dense similarity matrix is never held whole."""
    n = vectors.shape[0]
    k = min(k, n - 1)
    rows, cols, vals = [], [], []
    for start in range(0, n, ROW_BLOCK):
        block = (vectors[start : start + ROW_BLOCK] @ vectors.T).toarray()
        block[np.arange(len(block)), np.arange(start, start + len(block))] = 0.0
        top = np.argpartition(-block, k - 1, axis=1)[:, :k] if k > 0 else block[:, :0]
        rows.append(np.repeat(np.arange(start, start + len(block)), top.shape[1]))
        cols.append(top.ravel())
        vals.append(np.take_along_axis(block, top, axis=1).ravel())
    m = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n, n),
        dtype=np.float32,
    )
    m.eliminate_zeros()
    return m


class Tfidf(ItemGraph):
    """TF-IDF cosine between catalog texts, pruned to `top_k` neighbours per item."""

    name = "tfidf"
    kind = "baseline"
    param_grid = [{"history_decay": h} for h in (0.5, 0.7, 0.9)]

    def __init__(
        self,
        history_decay: float = 0.7,
        top_k: int = 100,
        min_df: int = 2,
        max_history: int = 50,
        **params: Any,
    ) -> None:
        if top_k < 1 or min_df < 1:
            raise ConfigError(f"tfidf: top_k={top_k}, min_df={min_df}; use values >= 1")
        super().__init__(
            history_decay=history_decay,
            top_k=top_k,
            min_df=min_df,
            max_history=max_history,
            **params,
        )

    def _fit(self, data: Interactions) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = item_texts(data.catalog)
        # a catalog too small or too uniform for min_df leaves no vocabulary: keep every word
        min_df = int(self.params["min_df"]) if len(texts) > 2 * int(self.params["min_df"]) else 1
        try:
            vectors = TfidfVectorizer(sublinear_tf=True, min_df=min_df).fit_transform(texts)
        except ValueError:  # no words at all (empty texts): no similarities
            self.matrix = sp.csr_matrix((len(texts), len(texts)), dtype=np.float32)
            return
        self.matrix = top_k_cosines(vectors.astype(np.float32).tocsr(), int(self.params["top_k"]))
