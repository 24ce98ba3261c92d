"""One shared behavioural test suite for every recommender, over the checkerboard data.

A new system needs about three lines:

    class TestCooc(RecommenderTests):
        system = "cooc"
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl
import pytest

from inhouse.errors import InhouseError
from inhouse.recommend.base import BaseRecommender, Recommender
from inhouse.recommend.registry import load_recommender, make

from . import checkerboard as cb


class RecommenderTests:
    """Subclass and set `system` (a registry name) and optionally `params`."""

    system: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}
    personalised: ClassVar[bool] = True  # False: popularity-like, same list for everyone
    explains: ClassVar[bool] = True  # explain() names history items

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls) -> BaseRecommender:
        m = make(cls.system, **cls.params)
        m.fit(cb.events(), cb.catalog())
        return m

    # ---- shape of the interface
    def test_satisfies_protocol(self, model: BaseRecommender) -> None:
        assert isinstance(model, Recommender)
        assert model.name == self.system
        assert model.kind in ("baseline", "off-the-shelf", "in-house")

    def test_scores_shape_and_order(self, model: BaseRecommender) -> None:
        scores = model.score([["a0", "a1"], ["b0"], []])
        assert scores.shape == (3, 12) and scores.dtype == np.float32
        assert np.isfinite(scores).all()
        assert model.items.ids == cb.A + cb.B  # columns follow catalog order

    def test_recommend_agrees_with_score(self, model: BaseRecommender) -> None:
        history = ["a0", "a1"]
        ids, vals = model.recommend([history], k=5)
        scores = model.score([history])[0]
        expected = {model.items.ids[i]: scores[i] for i in range(12)}
        assert np.allclose(vals[0], [expected[i] for i in ids[0]], atol=1e-4)
        assert list(vals[0]) == sorted(vals[0], reverse=True)

    def test_candidates_agree_with_the_dense_top_n(self, model: BaseRecommender) -> None:
        """`candidates` (sparse rows, a ranking, an index search or a union of those) gives the
        dense top-n's scores, and each id carries its dense score; -inf pads what is left."""
        histories: list[list[str]] = [["a0", "a1"], ["b3"], [], ["a5", "b0", "a5"]]
        dense = model.score(histories)
        for n in (3, 12):
            ids, vals = model.candidates(histories, n)
            assert ids.shape == vals.shape == (len(histories), n)
            for row, history in enumerate(histories):
                s = dense[row].copy()
                s[model.items.encode(history)[0]] = -np.inf
                assert np.allclose(vals[row], np.sort(s)[::-1][:n], atol=1e-4)
                finite = np.isfinite(vals[row])
                assert np.allclose(s[ids[row][finite]], vals[row][finite], atol=1e-4)
                assert len(set(ids[row][finite].tolist())) == finite.sum()
        kept, _ = model.candidates([["a0"]], 12, exclude_seen=False)
        assert sorted(kept[0].tolist()) == list(range(12))

    def test_score_items_are_the_dense_scores_of_those_items(self, model: BaseRecommender) -> None:
        histories: list[list[str]] = [["a0", "a1"], ["b3"], [], ["a5", "b0"]]
        items = np.array([[0, 5, 7, 11], [11, 2, 3, 3], [1, 0, 6, 2], [4, 9, 10, 0]])
        want = np.take_along_axis(model.score(histories), items, axis=1)
        assert np.allclose(model.score_items(histories, items), want, atol=1e-4)

    def test_catalog_moments_match_the_dense_scores(self, model: BaseRecommender) -> None:
        """What a blend standardises by, computed without a dense row where a system can."""
        encoded = [model.items.encode(h)[0] for h in (["a0", "a1"], ["b3"], ["a5", "b0"])]
        dense = model._score(encoded).astype(np.float64)
        mean, std = model._moments(encoded)
        assert np.allclose(mean, dense.mean(axis=1), atol=1e-5)
        assert np.allclose(std, dense.std(axis=1), atol=1e-4)

    # ---- known answers
    def test_group_a_history_gets_group_a_items(self, model: BaseRecommender) -> None:
        if not self.personalised:
            pytest.skip("not personalised")
        ids, _ = model.recommend([["a0", "a1"]], k=4)
        assert set(ids[0]) == {"a2", "a3", "a4", "a5"}

    def test_group_b_history_gets_group_b_items(self, model: BaseRecommender) -> None:
        if not self.personalised:
            pytest.skip("not personalised")
        ids, _ = model.recommend([["b3"]], k=5)
        assert set(ids[0]) <= set(cb.B) and len(ids[0]) == 5

    def test_batch_rows_are_independent(self, model: BaseRecommender) -> None:
        histories: list[list[str]] = [["a0"], ["b0"], []]
        batch, values = model.recommend(histories, k=3)
        for row, vals, history in zip(batch, values, histories, strict=True):
            ids, alone = model.recommend([history], k=3)
            assert np.allclose(vals, alone[0], atol=1e-4)  # equal scores (ties may swap ids)
            assert len(row) == len(ids[0]) == 3

    def test_exclude_seen(self, model: BaseRecommender) -> None:
        history = ["a0", "a1", "a2"]
        ids, _ = model.recommend([history], k=9)
        assert not set(ids[0]) & set(history) and len(ids[0]) == 9
        kept, _ = model.recommend([history], k=12, exclude_seen=False)
        assert set(kept[0]) == set(cb.A + cb.B)

    def test_a_category_filter_keeps_only_its_items(self, model: BaseRecommender) -> None:
        # a group-A history asks for sea items: every answer is a sea item, best sea first
        sea = model.allowed(category="sea")
        ids, vals = model.recommend([["a0", "a1"]], k=4, allowed=sea)
        assert len(ids[0]) == 4 and set(ids[0]) <= set(cb.B)
        scores = model.score([["a0", "a1"]])[0]
        best_sea = sorted((scores[model.items.index[b]] for b in cb.B), reverse=True)[:4]
        assert np.allclose(vals[0], best_sea, atol=1e-4)
        for history in ([], ["b0"]):  # the popularity fallback is filtered too
            assert set(model.recommend_one(history, k=3, allowed=sea).items) <= set(cb.B)

    def test_excluded_items_never_come_back_and_bad_categories_are_clear_errors(
        self, model: BaseRecommender
    ) -> None:
        allowed = model.allowed(exclude=["a2", "a3", "no-such-item"])
        rec = model.recommend_one(["a0", "a1"], k=4, allowed=allowed)
        assert not {"a2", "a3"} & set(rec.items) and len(rec.items) == 4
        assert model.allowed() is None
        with pytest.raises(InhouseError, match="no item of the catalog has it"):
            model.allowed(category="Sea")
        few = model.recommend_one(["a0"], k=10, allowed=model.allowed(category="fruit"))
        assert sorted(few.items) == ["a1", "a2", "a3", "a4", "a5"]
        assert any("after the filters" in n for n in few.notes)

    def test_k_larger_than_catalog(self, model: BaseRecommender) -> None:
        rec = model.recommend_one(["a0"], k=50)
        assert sorted(rec.items) == sorted(set(cb.A + cb.B) - {"a0"})
        assert any("k=50" in n for n in rec.notes)

    def test_k_below_one_is_a_clear_error(self, model: BaseRecommender) -> None:
        with pytest.raises(InhouseError, match="k=0"):
            model.recommend([["a0"]], k=0)

    def test_unknown_history_items_are_ignored_with_a_note(self, model: BaseRecommender) -> None:
        rec = model.recommend_one(["a0", "no-such-item"], k=5)
        assert rec.items == model.recommend([["a0"]], k=5)[0][0]
        assert rec.unknown == ["no-such-item"] and not rec.fallback
        assert any("no-such-item" in n for n in rec.notes)

    def test_empty_history_falls_back_to_popularity(self, model: BaseRecommender) -> None:
        for history in ([], ["no-such-item"]):
            rec = model.recommend_one(history, k=6)
            assert rec.fallback and any("popular" in n for n in rec.notes)
            assert set(rec.items) == set(cb.A)  # group A is the more popular group

    # ---- neighbours and explanations
    def test_similar_items(self, model: BaseRecommender) -> None:
        ids, scores = model.similar_items("a0", k=3)
        assert "a0" not in ids and len(ids) == len(scores) == 3
        if self.personalised:
            assert set(ids) <= set(cb.A)
        with pytest.raises(InhouseError, match="not in the catalog"):
            model.similar_items("no-such-item")

    def test_explain_names_history_items(self, model: BaseRecommender) -> None:
        history = ["b0", "a0", "a1"]
        contrib = model.explain(history, "a2")
        if not self.explains:
            assert contrib == []
            return
        assert contrib and {h for h, _ in contrib} <= set(history)
        values = [c for _, c in contrib]
        assert values == sorted(values, reverse=True)
        assert contrib[0][0] in ("a0", "a1")  # the group-A items explain a group-A item

    # ---- persistence
    def test_save_load_identical(self, model: BaseRecommender, tmp_path: Path) -> None:
        model.save(tmp_path / "m")
        loaded = load_recommender(tmp_path / "m")
        assert type(loaded) is type(model) and loaded.params == model.params
        histories = [["a0", "a1"], ["b2"], [], ["a5", "zzz"]]
        assert loaded.recommend(histories, k=5)[0] == model.recommend(histories, k=5)[0]
        assert np.allclose(loaded.score(histories), model.score(histories), atol=1e-5)

    def test_save_versions(self, model: BaseRecommender, tmp_path: Path) -> None:
        first = model.save(tmp_path / "m")  # type: ignore[func-returns-value]
        second = model.save(tmp_path / "m")  # type: ignore[func-returns-value]
        assert (first.name, second.name) == ("v0001", "v0002")
        assert (tmp_path / "m" / "current").read_text().strip() == "v0002"
        assert (second / "manifest.json").is_file()

    # ---- bad input
    def test_fit_drops_unknown_and_duplicate_events(self) -> None:
        ev = cb.events()
        bad = pl.concat([ev, ev.head(5), ev.head(3).with_columns(pl.lit("ghost").alias("item_id"))])
        m = make(self.system, **self.params)
        m.fit(bad, cb.catalog())
        assert m.fit_report["dropped_unknown_items"] == 3
        assert m.fit_report["dropped_duplicates"] == 5
        assert m.fit_report["events_used"] == ev.height

    def test_fit_is_independent_of_row_order(self, model: BaseRecommender) -> None:
        m = make(self.system, **self.params)
        m.fit(cb.events().reverse(), cb.catalog())  # time going backwards in the file
        histories = [["a0", "a1"], ["b1"]]
        assert np.allclose(m.score(histories), model.score(histories), atol=1e-3)


class ColdStartTests:
    """Text systems: an item added after training, with text and no events, can be recommended."""

    system: ClassVar[str]
    params: ClassVar[dict[str, Any]] = {}

    def test_cold_item_is_recommended_through_text(self) -> None:
        model = make(self.system, **self.params)
        model.fit(cb.events(), cb.catalog())
        new = pl.DataFrame(
            {"item_id": ["a-new"], "title": ["sweet red apple fruit from the orchard"]}
        )
        added = model.add_items(new)  # type: ignore[attr-defined]
        assert added == ["a-new"] and "a-new" in model.items
        ids, _ = model.similar_items("a0", k=6)
        assert "a-new" in ids
        ranked = model.recommend([["a0", "a1", "a2"]], k=13)[0][0]
        assert ranked.index("a-new") < min(ranked.index(b) for b in cb.B)
        assert model.add_items(new) == []  # type: ignore[attr-defined]
