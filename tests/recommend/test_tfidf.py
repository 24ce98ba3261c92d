"""TF-IDF item graph through the shared suite, plus its cosines against a dense computation."""

import numpy as np
import pytest
import scipy.sparse as sp

from inhouse.errors import ConfigError
from inhouse.recommend.registry import make
from inhouse.recommend.tfidf import top_k_cosines

from . import checkerboard as cb
from .mixin import RecommenderTests


class TestTfidf(RecommenderTests):
    system = "tfidf"
    params = {"min_df": 1}


def test_top_k_cosines_keep_each_rows_largest_other_items() -> None:
    rng = np.random.default_rng(0)
    dense = rng.random((7, 5)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    cos = dense @ dense.T
    np.fill_diagonal(cos, 0.0)
    kept = top_k_cosines(sp.csr_matrix(dense), k=3).toarray()
    for row in range(7):
        top = np.argsort(-cos[row])[:3]
        assert set(np.flatnonzero(kept[row])) == set(top)
        assert np.allclose(kept[row, top], cos[row, top], atol=1e-6)


def test_shared_rare_words_link_items() -> None:
    model = make("tfidf", min_df=1)
    model.fit(cb.events(), cb.catalog())
    ids, _ = model.similar_items("a0", k=3)  # "red apple fruit from the orchard"
    assert set(ids) <= set(cb.A)


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ConfigError, match="top_k=0"):
        make("tfidf", top_k=0)
