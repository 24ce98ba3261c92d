"""The shared router contract, run for every system over a tiny synthetic set with known answers."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch

from inhouse.errors import InhouseError, ModelError
from inhouse.models.load import load_embedder
from inhouse.models.onnx import OnnxViews
from inhouse.support.route.base import OUT_OF_SCOPE, Router, choose_threshold, decide, read_router
from inhouse.support.route.registry import load_router, make_router

TRAIN = {
    "card_arrival": [
        "my card has not arrived yet",
        "when will my new card arrive",
        "still waiting for my card in the mail",
        "the card you sent never came",
        "how long does card delivery take",
        "I ordered a card two weeks ago and nothing",
        "where is my bank card",
        "card still not delivered",
    ],
    "exchange_rate": [
        "what is the exchange rate for euros",
        "how much is one dollar in pounds",
        "currency conversion rate today",
        "which rate do you use to convert currencies",
        "exchange rate for yen",
        "how do you calculate the foreign exchange rate",
        "what rate will I get changing money",
        "is the exchange rate fixed",
    ],
    "reset_password": [
        "I forgot my password",
        "how do I reset my password",
        "cannot log in, password wrong",
        "change my login password",
        "password reset link not working",
        "I need a new password",
        "locked out because of my password",
        "how to recover my password",
    ],
    "cancel_subscription": [
        "cancel my subscription",
        "I want to stop my monthly plan",
        "how do I end my membership",
        "unsubscribe me from the premium plan",
        "stop charging me for the subscription",
        "terminate my subscription please",
        "I no longer want the paid plan",
        "how to cancel premium",
    ],
}
QUERIES = [
    ("my card hasn't shown up in the post", "card_arrival"),
    ("what's the rate to convert dollars to euros", "exchange_rate"),
    ("please help me reset my password", "reset_password"),
    ("I want to cancel my subscription", "cancel_subscription"),
]
OOS_VAL = [
    "what is the weather tomorrow",
    "tell me a joke about cats",
    "how tall is mount everest",
    "recommend a good pizza recipe",
]

TEXTS = [t for ts in TRAIN.values() for t in ts]
INTENTS = [i for i, ts in TRAIN.items() for _ in ts]


@pytest.fixture(scope="session")
def embedder():
    return load_embedder()


class HashEmbedder:
    """A different (non-transformer) embedder, to check that routers refuse it."""

    name = "hash-bow"
    dim = 64

    def embed(self, texts, batch_size=64):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, hash(word) % self.dim] += 1.0
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)
        return out


def count_onnx_runs(router, monkeypatch) -> list[int] | None:
    """Texts per ONNX Runtime call of a router served from its export, or None (torch)."""
    serving = getattr(router, "serving", None)
    if not isinstance(serving, OnnxViews):
        return None
    runs: list[int] = []
    session = serving.session

    class Counting:
        def run(self, names, feeds):
            runs.append(len(feeds["input_ids"]))
            return session.run(names, feeds)

    monkeypatch.setattr(serving, "session", Counting())
    return runs


class RouterContract:
    """Behaviour every router system must have; a system's test class sets `system`/`config`."""

    system: str = ""
    config: dict = {}
    min_correct = len(QUERIES)

    @pytest.fixture(scope="class")
    @classmethod
    def router(cls, embedder) -> Router:
        return make_router(cls.system, embedder, **cls.config).fit(TEXTS, INTENTS)

    def test_is_a_router(self, router):
        assert isinstance(router, Router)
        assert router.name == self.system
        assert router.kind in {"off-the-shelf", "baseline", "in-house"}

    def test_known_answers(self, router):
        labels, conf = router.predict([q for q, _ in QUERIES])
        correct = sum(label == gold for label, (_, gold) in zip(labels, QUERIES, strict=True))
        assert correct >= self.min_correct, labels

    def test_confidences_are_fractions(self, router):
        labels, conf = router.predict([q for q, _ in QUERIES])
        assert len(labels) == len(conf) == len(QUERIES)
        assert conf.dtype == np.float32
        assert np.all((conf >= 0) & (conf <= 1))

    @staticmethod
    def float32(router, monkeypatch) -> None:
        """Save in float32 (int8 is tested in tests/models/test_encoder.py, and slow to make)."""
        if "serve_precision" in getattr(router, "config", {}):
            monkeypatch.setitem(router.config, "serve_precision", "float32")

    def test_save_load_same_predictions(self, router, embedder, tmp_path: Path, monkeypatch):
        self.float32(router, monkeypatch)
        router.save(tmp_path / "r")
        own = getattr(router, "stores_embedder", False)  # a tuned router loads its own weights
        again = load_router(tmp_path / "r", None if own else embedder)
        texts = [q for q, _ in QUERIES] + OOS_VAL
        runs = count_onnx_runs(again, monkeypatch)
        a, ca = router.predict(texts)
        b, cb = again.predict(texts)
        assert a == b
        np.testing.assert_allclose(ca, cb, rtol=1e-5, atol=1e-6)
        assert again.threshold == router.threshold
        if runs is not None:  # served from its float32 graph: the texts in one run, not many
            assert runs == [len(texts)], runs

    def test_other_embedder_is_refused(self, router, tmp_path: Path, monkeypatch):
        self.float32(router, monkeypatch)
        router.save(tmp_path / "r")
        with pytest.raises(ModelError) as e:
            load_router(tmp_path / "r", HashEmbedder())
        assert "hash-bow" in str(e.value) and "all-MiniLM-L6-v2" in str(e.value)

    def test_threshold_makes_out_of_scope(self, router):
        texts = [q for q, _ in QUERIES]
        saved = router.threshold
        try:
            router.threshold = 1.01
            assert router.predict(texts)[0] == [OUT_OF_SCOPE] * len(texts)
            router.threshold = 0.0
            assert OUT_OF_SCOPE not in router.predict(texts)[0]
        finally:
            router.threshold = saved

    def test_calibrate_on_out_of_scope_examples(self, router):
        saved = router.threshold
        try:
            texts = [q for q, _ in QUERIES] + OOS_VAL
            gold = [g for _, g in QUERIES] + [OUT_OF_SCOPE] * len(OOS_VAL)
            result = router.calibrate(texts, gold)
            assert result["threshold"] > 0.0
            assert result["val_oos_recall"] > 0.0
            labels, _ = router.predict(texts)
            in_scope = sum(lab == g for lab, g in zip(labels[:4], gold[:4], strict=True))
            assert in_scope / 4 >= result["val_in_scope_accuracy"] - 1e-9
        finally:
            router.threshold = saved

    def test_bad_messages(self, router, caplog):
        with pytest.raises(InhouseError, match="empty"):
            router.predict(["   "])
        with pytest.raises(InhouseError, match="not text"):
            router.predict([b"bytes"])
        with caplog.at_level(logging.WARNING, logger="inhouse"):
            labels, _ = router.predict(["where is my card " * 6000])
        assert len(labels) == 1
        assert "routed on its first" in caplog.text


class TestZeroShot(RouterContract):
    system = "zero-shot-labels"


class TestKnn(RouterContract):
    system = "knn"
    config = {"k": 3}


class TestLogistic(RouterContract):
    system = "logistic"
    config = {"c": 10.0}


class TestFinetuned(RouterContract):
    system = "finetuned"
    config = {"max_steps": 2, "batch_size": 4, "c": 10.0, "progress": False}

    def test_records_base_embedder_and_training(self, router, tmp_path: Path, monkeypatch):
        monkeypatch.setitem(router.config, "serve_precision", "float32")
        folder, manifest = read_router(router.save(tmp_path / "r"))
        assert manifest.base_model is not None and manifest.base_model.name == "all-MiniLM-L6-v2"
        assert manifest.state["tuned"]["name"] == "all-MiniLM-L6-v2+finetuned"
        assert (folder / "embedder" / "config.json").is_file()  # the tuned weights travel inside
        assert router.training["steps"] == 2
        assert router.training["tune_cpu_seconds"] > 0
        assert router.embedder.name == "all-MiniLM-L6-v2+finetuned"

    def test_a_loaded_router_saved_again_loads(self, router, tmp_path: Path, monkeypatch):
        """What `fit-router` does: save, load, calibrate, save; the last version must load."""
        self.float32(router, monkeypatch)
        router.save(tmp_path / "r")
        again = load_router(tmp_path / "r")
        again.calibrate(OOS_VAL, ["oos"] * len(OOS_VAL))
        self.float32(again, monkeypatch)
        monkeypatch.setattr(torch.onnx, "export", None)  # the same weights: exported once
        again.save(tmp_path / "r")
        third = load_router(tmp_path / "r")
        assert third.threshold == again.threshold
        assert third.predict(OOS_VAL)[0] == again.predict(OOS_VAL)[0]

    def test_tuning_moves_only_the_unfrozen_layers(self, router, embedder):
        base = dict(embedder.model.named_parameters())
        tuned = dict(router.embedder.model.named_parameters())
        changed = {n for n, p in tuned.items() if not np.array_equal(p.detach(), base[n].detach())}
        assert changed and all("encoder.layer." in n for n in changed)
        assert not any(f"encoder.layer.{i}." in n for n in changed for i in range(3))
        # the frozen view is the base encoder, untouched
        assert router.base_embedder is embedder

    def test_ensemble_averages_the_two_views(self, router):
        texts = [q for q, _ in QUERIES]
        tuned = router.head.proba(router.features(texts))
        frozen = router.frozen_head.proba(router.frozen_features(texts))
        np.testing.assert_allclose(router.proba(texts), (tuned + frozen) / 2, rtol=1e-5)


class TestDistilled(RouterContract):
    system = "distilled"
    # a teacher that is not a transformer keeps the test fast; the default is mpnet int8
    config = {
        "max_steps": 2,
        "batch_size": 4,
        "c": 10.0,
        "progress": False,
        "teacher_embedder": HashEmbedder(),
        "teacher_folds": 2,
    }

    def test_records_its_teacher(self, router, tmp_path: Path, monkeypatch):
        self.float32(router, monkeypatch)
        folder, manifest = read_router(router.save(tmp_path / "r"))
        assert manifest.state["teacher"]["name"] == "hash-bow"
        assert manifest.parameters["teacher"] == "all-mpnet-base-v2-onnx-int8"  # the default name
        assert 0.0 <= router.training["teacher_train_accuracy"] <= 1.0
        assert router.soft_targets is None  # fit-time only
        again = load_router(tmp_path / "r")
        assert again.name == "distilled" and again.teacher_record == manifest.state["teacher"]
        again.save(tmp_path / "r")  # a loaded router keeps its teacher's record when saved again
        assert read_router(tmp_path / "r")[1].state["teacher"]["name"] == "hash-bow"

    def test_teacher_targets_are_cross_fitted(self, router):
        soft = router.teacher_probabilities(TEXTS, INTENTS)
        assert soft.shape == (len(TEXTS), len(TRAIN))
        np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-5)
        # a head fitted on the ticket itself would put ~all of its mass on the ticket's intent
        # (its kNN half finds the ticket at similarity 1); held out, the teacher is less sure
        full = make_router("logistic", HashEmbedder(), c=10.0).fit(TEXTS, INTENTS)
        seen = full.head.proba(HashEmbedder().embed(TEXTS))
        gold = [sorted(TRAIN).index(i) for i in INTENTS]
        rows = np.arange(len(TEXTS))
        assert soft[rows, gold].mean() < seen[rows, gold].mean()


def test_distilled_settings_are_checked(embedder):
    with pytest.raises(ModelError, match="distill_weight"):
        make_router("distilled", embedder, distill_weight=1.5)
    with pytest.raises(ModelError, match="teacher_folds"):
        make_router("distilled", embedder, teacher_folds=1)


def test_a_missing_teacher_says_how_to_install_it(embedder):
    router = make_router("distilled", embedder, teacher="no-such-encoder", progress=False)
    with pytest.raises(ModelError, match="teacher 'no-such-encoder' cannot be loaded"):
        router.fit(TEXTS, INTENTS)


def test_distillation_targets_must_fit_the_texts(embedder):
    from inhouse.tune.classify import classify_tune

    with pytest.raises(ValueError, match="soft_targets has shape"):
        classify_tune(embedder.model, TEXTS, INTENTS, soft_targets=np.ones((3, 4)), max_steps=1)


def test_finetuned_tunes_only_by_classification(embedder):
    # configs saved while `objective` existed say "classify"; they still make a router
    assert make_router("finetuned", embedder, objective="classify").name == "finetuned"
    with pytest.raises(ModelError, match="only tunes with 'classify'"):
        make_router("finetuned", embedder, objective="contrastive")


def test_choose_threshold_keeps_in_scope_accuracy():
    best = ["a", "b", "a", "b", "a", "a"]
    conf = np.array([0.9, 0.8, 0.3, 0.2, 0.25, 0.7])
    gold = ["a", "b", "a", OUT_OF_SCOPE, OUT_OF_SCOPE, "a"]
    # no drop allowed: 0.3 flags both out-of-scope rows; 0.7 would also flag the right 0.3
    out = choose_threshold(best, conf, gold, max_in_scope_drop=0.0)
    assert out["threshold"] == pytest.approx(0.3)
    assert out["val_oos_recall"] == 1.0
    assert out["val_in_scope_accuracy"] == 1.0
    # allowing a 25 % drop buys nothing more here, but moves the threshold up to 0.7
    assert choose_threshold(best, conf, gold, max_in_scope_drop=0.25)["threshold"] == 0.7


def test_choose_threshold_with_an_absolute_in_scope_floor():
    best = ["a", "b", "a", "b", "a", "a"]
    conf = np.array([0.9, 0.8, 0.3, 0.2, 0.25, 0.7])
    gold = ["a", "b", "a", OUT_OF_SCOPE, OUT_OF_SCOPE, "a"]
    # a floor of 0.75 allows losing one of the four in-scope rows: 0.7 is the highest threshold
    out = choose_threshold(best, conf, gold, min_in_scope_accuracy=0.75)
    assert out["threshold"] == pytest.approx(0.7) and out["val_in_scope_accuracy"] == 0.75
    # a floor above the accuracy without a threshold buys nothing: threshold 0
    assert choose_threshold(best, conf, gold, min_in_scope_accuracy=1.01)["threshold"] == 0.0


def test_no_out_of_scope_rows_means_no_threshold():
    out = choose_threshold(["a", "b"], np.array([0.2, 0.9]), ["a", "a"])
    assert out["threshold"] == 0.0 and out["val_in_scope_accuracy"] == 0.5


def test_unknown_system_and_bad_labels(embedder):
    with pytest.raises(InhouseError, match="unknown router system"):
        make_router("gpt", embedder)
    with pytest.raises(InhouseError, match="one per text"):
        make_router("logistic", embedder).fit(["a", "b"], ["x"])
    with pytest.raises(InhouseError, match="two intents"):
        make_router("logistic", embedder).fit(["a", "b"], ["x", "x"])


def test_load_from_a_folder_that_is_not_a_router(tmp_path: Path):
    with pytest.raises(ModelError, match="no saved router here.*inhouse support fit-router"):
        load_router(tmp_path)


def test_decide_max_and_margin_by_hand():
    classes = ["a", "b", OUT_OF_SCOPE]
    p = np.array([[0.6, 0.1, 0.3], [0.5, 0.45, 0.05], [0.2, 0.1, 0.7]], dtype=np.float32)
    labels, conf = decide(p, classes, "max")
    assert labels == ["a", "a", OUT_OF_SCOPE]
    np.testing.assert_allclose(conf, [0.6, 0.5, 0.7], rtol=1e-6)
    labels, conf = decide(p, classes, "margin")
    assert labels == ["a", "a", OUT_OF_SCOPE]
    # (best in-scope - out of scope + 1) / 2: row 0 has more out-of-scope evidence than row 1,
    # so it ranks below row 1 although its best probability is higher
    np.testing.assert_allclose(conf, [0.65, 0.725, 0.25], rtol=1e-6)
    assert conf.dtype == np.float32
    # without an out-of-scope class, margin is the max probability
    two = p[:, :2] / p[:, :2].sum(axis=1, keepdims=True)
    np.testing.assert_array_equal(decide(two, ["a", "b"], "margin")[1], two.max(axis=1))


OOS_TRAIN = [
    "what time is it in tokyo",
    "play some jazz music",
    "who won the football game",
    "translate hello into french",
    "set an alarm for seven",
    "how many calories in an apple",
    "book a table for two tonight",
    "what is the capital of peru",
]


def test_margin_confidence_with_a_learnt_out_of_scope_class(embedder):
    texts, intents = TEXTS + OOS_TRAIN, INTENTS + [OUT_OF_SCOPE] * len(OOS_TRAIN)
    margin = make_router("logistic", embedder, c=10.0).fit(texts, intents)
    plain = make_router("logistic", embedder, c=10.0, confidence="max").fit(texts, intents)
    queries = [q for q, _ in QUERIES]
    m_labels, m_conf = margin.predict(queries + OOS_VAL)
    p_labels, p_conf = plain.predict(queries + OOS_VAL)
    assert m_labels == p_labels  # the same argmax; only the confidence differs
    p = margin.head.proba(margin.features(queries + OOS_VAL))
    oos = margin.head.classes.index(OUT_OF_SCOPE)
    in_scope = np.delete(p, oos, axis=1).max(axis=1)
    np.testing.assert_allclose(m_conf, (in_scope - p[:, oos] + 1) / 2, rtol=1e-5)
    np.testing.assert_allclose(p_conf, p.max(axis=1), rtol=1e-5)
    # messages routed out of scope by the class itself score below 0.5
    assert all(c < 0.5 for lab, c in zip(m_labels, m_conf, strict=True) if lab == OUT_OF_SCOPE)


def test_unknown_confidence_is_refused(embedder):
    with pytest.raises(InhouseError, match="confidence 'min' is not known"):
        make_router("logistic", embedder, confidence="min")
    with pytest.raises(InhouseError, match="margin, max"):
        make_router("finetuned", embedder, confidence="min")
    with pytest.raises(ModelError, match="float32, int8"):
        make_router("finetuned", embedder, serve_precision="int4")
