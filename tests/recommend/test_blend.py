"""The blend: shared suite over a cooc + text blend, weight search and the hold-out split."""

import numpy as np
import polars as pl
import pytest

from inhouse.errors import InhouseError
from inhouse.recommend.base import BaseRecommender
from inhouse.recommend.blend import Blend, holdout_last, learn_weights, standardise
from inhouse.recommend.registry import make

from . import checkerboard as cb
from .mixin import RecommenderTests

SYSTEMS = [{"name": "cooc", "params": {}}, {"name": "offshelf-text", "params": {"mode": "last"}}]


class TestBlend(RecommenderTests):
    system = "blend"
    params = {"systems": SYSTEMS}


def test_standardise_rows() -> None:
    z = standardise(np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]]))
    assert np.allclose(z.mean(1), 0) and np.allclose(z.std(1), 1)


def test_learn_weights_finds_the_informative_system() -> None:
    """System 0 is noise; system 1 ranks the target first: its weight must dominate."""
    rng = np.random.default_rng(0)
    n, items = 200, 30
    targets = rng.integers(0, items, n)
    noise = rng.random((n, items))
    good = rng.random((n, items)) * 0.5
    good[np.arange(n), targets] = 1.0
    seen = [np.zeros(0, np.int64)] * n
    weights, best = learn_weights([noise, good], seen, targets)
    assert weights[1] > weights[0] and best > 0.95
    assert learn_weights([noise], seen, targets)[1] < 0.5  # noise alone ranks badly


def test_holdout_last_takes_each_users_newest_event() -> None:
    ev = cb.events().reverse()
    rest, held = holdout_last(ev)
    assert held.height == 20 and rest.height == ev.height - 20
    newest = ev.group_by("user_id").agg(pl.col("timestamp").max())
    joined = held.join(newest, on="user_id")
    assert (joined["timestamp"] == joined["timestamp_right"]).all()


def test_blend_weights_come_from_held_out_items_and_skip_with_given_weights() -> None:
    tuned = make("blend", systems=SYSTEMS)
    tuned.fit(cb.events(), cb.catalog())
    assert len(tuned.weights) == 2 and tuned.metrics["tune_ndcg@10"] > 0  # type: ignore[attr-defined]
    fixed = make("blend", systems=SYSTEMS, weights=[1.0, 0.0])
    fixed.fit(cb.events(), cb.catalog())
    cooc = make("cooc")
    cooc.fit(cb.events(), cb.catalog())
    h = [["a0", "a1"], ["b3"]]
    assert np.allclose(fixed.score(h), standardise(cooc.score(h)), atol=1e-5)


def test_from_fitted_reuses_components() -> None:
    parts = [make("cooc"), make("offshelf-text")]
    for p in parts:
        p.fit(cb.events(), cb.catalog())
    blend = Blend.from_fitted(parts, [1.0, 0.5])
    assert blend.history_of("A0") == parts[0].history_of("A0") and blend.history_of("A0")
    h = [["a2"], ["b0", "b1"]]
    expected = standardise(parts[0].score(h)) + 0.5 * standardise(parts[1].score(h))
    assert np.allclose(blend.score(h), expected, atol=1e-5)


def test_learn_weights_refines_past_the_grid_edge() -> None:
    """With a grid topping out at 1, refinement must push the informative weight above 1."""
    rng = np.random.default_rng(1)
    n, items = 300, 40
    targets = rng.integers(0, items, n)
    noise = rng.random((n, items))
    good = rng.random((n, items))
    good[np.arange(n), targets] += 0.6
    seen = [np.zeros(0, np.int64)] * n
    coarse, coarse_best = learn_weights(
        [noise, good], seen, targets, grid=(0.0, 1.0), refine_rounds=0
    )
    fine, fine_best = learn_weights([noise, good], seen, targets, grid=(0.0, 1.0))
    assert coarse == [1.0, 1.0] and fine[1] > 1.0 and fine_best > coarse_best


def test_validation_ndcg_matches_the_reported_metric_for_baskets() -> None:
    """The blend's objective is the bench's NDCG@10, for one target or a basket per row."""
    from inhouse.eval.ranking import case_metrics
    from inhouse.recommend.blend import ndcg_at_10

    rng = np.random.default_rng(2)
    scores = rng.random((50, 30)).astype(np.float32)
    seen = [rng.choice(30, 3, replace=False) for _ in range(50)]
    baskets = [np.setdiff1d(rng.choice(30, rng.integers(1, 6), replace=False), s) for s in seen]
    rows = [(i, b) for i, b in enumerate(baskets) if len(b)]
    expected = []
    for i, b in rows:
        s = scores[i].copy()
        s[seen[i]] = -np.inf
        expected.append(case_metrics(np.argsort(-s)[:20].tolist(), set(b.tolist()))["ndcg@10"])
    got = ndcg_at_10(scores[[i for i, _ in rows]], [seen[i] for i, _ in rows], [b for _, b in rows])
    assert np.isclose(got, np.mean(expected))
    single = ndcg_at_10(scores[:2], [seen[0][:0]] * 2, np.array([int(np.argmax(scores[0])), 0]))
    assert single >= 0.5  # row 0 ranks its target first (gain 1), row 1 adds 0 or more


def test_explanations_add_up_to_the_blend_score() -> None:
    """Cooc and text split their scores exactly, so the blend's explanation of two items
    differs by exactly their blend-score difference (the per-row mean cancels)."""
    parts = [make("cooc"), make("offshelf-text")]
    for p in parts:
        p.fit(cb.events(), cb.catalog())
    blend = Blend.from_fitted(parts, [1.0, 0.5])
    history = ["a0", "a1", "b2"]
    row = blend.score([history])[0]
    first, second = blend.explain_many(history, ["a2", "b3"])
    got = sum(v for _, v in first) - sum(v for _, v in second)
    want = row[blend.items.index["a2"]] - row[blend.items.index["b3"]]
    assert np.isclose(got, want, atol=1e-4)
    assert first[0][0] in {"a0", "a1"}  # a2 is explained by the group-A items


def test_components_on_different_catalogs_are_refused() -> None:
    cooc, text = make("cooc"), make("offshelf-text")
    cooc.fit(cb.events(), cb.catalog())
    text.fit(cb.events(), cb.catalog().reverse())  # same items, another order
    with pytest.raises(InhouseError, match="different catalog"):
        Blend.from_fitted([cooc, text], [1.0, 1.0])


def test_explanations_leave_out_components_that_rerun_a_model() -> None:
    sasrec = make("sasrec", dim=8, layers=1, heads=1, epochs=1, use_text=False)
    parts = [make("cooc"), sasrec]
    for p in parts:
        p.fit(cb.events(), cb.catalog())
    both = Blend.from_fitted(parts, [1.0, 1.0]).explain_many(["a0", "a1"], ["a2", "a3"])
    cooc_only = Blend.from_fitted(parts, [1.0, 0.0]).explain_many(["a0", "a1"], ["a2", "a3"])
    assert both == cooc_only and both[0]


def _parts() -> list[BaseRecommender]:
    parts = [make("cooc"), make("offshelf-text", mode="history"), make("popularity")]
    for p in parts:
        p.fit(cb.events(), cb.catalog())
    return parts


def test_union_blend_equals_the_dense_blend_when_candidates_cover_the_catalog() -> None:
    parts = _parts()
    dense = Blend.from_fitted(parts, [1.0, 0.5, 0.3], candidates=None)
    union = Blend.from_fitted(parts, [1.0, 0.5, 0.3], candidates=12)
    histories = [["a0", "a1"], ["b3", "a2"], [], ["b0"]]
    for k in (3, 10):
        want_ids, want = dense.recommend(histories, k=k)
        got_ids, got = union.recommend(histories, k=k)
        assert np.allclose(got, want, atol=1e-4)
        assert [set(r) for r in got_ids] == [set(r) for r in want_ids]


def test_union_blend_scores_are_the_dense_blend_scores_of_its_items() -> None:
    """With few candidates the union may miss items, but every item it returns carries the
    dense blend's score (members standardise by their catalog-wide moments)."""
    parts = _parts()
    union = Blend.from_fitted(parts, [1.0, 0.5, 0.3], candidates=2)
    history = ["a0", "b1"]
    dense = union.score([history])[0]
    ids, vals = union.recommend([history], k=4)
    assert len(ids[0]) == 4
    assert np.allclose(vals[0], [dense[union.items.index[i]] for i in ids[0]], atol=1e-4)
    assert np.allclose(
        union.score_items([history], np.array([[0, 3, 11]])), dense[[0, 3, 11]][None], atol=1e-4
    )


def test_candidates_must_be_positive() -> None:
    with pytest.raises(InhouseError, match="candidates=0"):
        Blend(SYSTEMS, candidates=0)


def test_served_evaluation_ranks_through_candidates() -> None:
    """`evaluate(served=True)` ranks as serving does; a union covering the catalog scores as
    the dense blend, a union of 1 candidate per member can only do worse or the same."""
    from inhouse.datasets.types import RecCase
    from inhouse.recommend.metrics import evaluate

    parts = _parts()
    cases = [RecCase("A0", ["a0", "a1"], ["a2"]), RecCase("B1", ["b1"], ["b2"])]
    dense = evaluate(Blend.from_fitted(parts, [1.0, 0.5, 0.3], candidates=None), cases)
    union = Blend.from_fitted(parts, [1.0, 0.5, 0.3], candidates=12)
    assert evaluate(union, cases, served=True) == dense
    union.params["candidates"] = 1
    assert evaluate(union, cases, served=True)["ndcg@10"] <= dense["ndcg@10"]  # type: ignore[operator]
