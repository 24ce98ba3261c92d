"""Item co-occurrence through the shared suite, plus its exact explanations."""

import numpy as np

from inhouse.recommend.registry import make

from . import checkerboard as cb
from .mixin import RecommenderTests


class TestCooc(RecommenderTests):
    system = "cooc"


def test_cooc_counts_neighbours_with_decay() -> None:
    m = make("cooc", window=2, decay=0.5, backward=0.0, history_decay=1.0, alpha=0.0)
    m.fit(cb.events(), cb.catalog())
    a = m.items.index
    # user Au has a(u), a(u+1), a(u+2), a(u+3) (mod 6). a1 directly follows a0 for u in
    # {0, 4, 5, 6, 10, 11} (6 x 1.0); a2 two steps after a0 for u in {0, 5, 6, 11} (4 x 0.5)
    assert np.isclose(m.matrix[a["a0"], a["a1"]], 6.0)
    assert np.isclose(m.matrix[a["a0"], a["a2"]], 4 * 0.5)
    assert m.matrix[a["a1"], a["a0"]] == 0.0  # backward=0: order matters
    explained = dict(m.explain(["a0", "a1"], "a2"))
    assert np.isclose(explained["a0"], 2.0) and np.isclose(explained["a1"], 6.0)
