"""One manifest for every saved artifact: written and read one way, other embedders refused,
folders of inhouse 0.1.0 refused with the command that rebuilds them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import inhouse
from inhouse import artifacts
from inhouse.artifacts import FORMAT, MANIFEST, Manifest, ModelRecord
from inhouse.errors import InhouseError, ModelError
from inhouse.models.embedder import DEFAULT_EMBEDDER, default_embedder_path, fingerprint
from inhouse.models.registry import add_model
from inhouse.recommend.registry import load_recommender
from inhouse.support.answer import registry as answers
from inhouse.support.answer.suggest import Suggester
from inhouse.support.retrieve.registry import load_retriever, make_retriever
from inhouse.support.route.registry import load_router, make_router
from tests.support.retrieve.test_retrieve import articles_frame, shared_embedder
from tests.support.route.test_router import INTENTS, TEXTS


class Fake:
    """An embedder without weights: its fingerprint comes from its name and dimension."""

    def __init__(self, name: str = "fake", dim: int = 8) -> None:
        self.name, self.dim = name, dim

    def embed(self, texts, batch_size: int = 64) -> np.ndarray:
        rng = np.random.default_rng([len(t) for t in texts] or [0])
        v = rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_current_artifact_round_trips(tmp_path: Path) -> None:
    base = ModelRecord(name="m", sha256="ab" * 32, dim=8)
    manifest = Manifest(
        workload="recommend", system="cooc", kind="baseline", base_model=base, parameters={"k": 3}
    )
    folder = artifacts.save(tmp_path / "a", manifest, lambda f: (f / "w.bin").write_bytes(b"w"))
    assert folder == tmp_path / "a" / "v0001" and (folder / "w.bin").read_bytes() == b"w"
    raw = json.loads((folder / MANIFEST).read_text())
    assert raw["format"] == FORMAT and raw["inhouse"] == inhouse.__version__ and raw["created"]
    for path in (tmp_path / "a", folder):  # the root (its live version) or the version itself
        got_folder, got = artifacts.read(path, "recommend")
        assert got_folder == folder and got == manifest
    with pytest.raises(ModelError, match="holds a recommend artifact.*inhouse support index"):
        artifacts.read(tmp_path / "a", "support-retrieval")


def test_save_refuses_a_folder_that_is_not_an_artifact(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    manifest = Manifest(workload="recommend", system="cooc", kind="baseline")
    with pytest.raises(InhouseError, match="not an inhouse artifact folder"):
        artifacts.save(tmp_path, manifest, lambda f: None)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_fingerprint_of_an_embedder_without_weights_is_stable_and_by_name() -> None:
    a, b = fingerprint(Fake()), fingerprint(Fake())
    assert a == b and (a.name, a.dim) == ("fake", 8)
    assert fingerprint(Fake("other")).sha256 != a.sha256
    from inhouse.models.embedder import MemoEmbedder

    assert fingerprint(MemoEmbedder(Fake())) == a  # a wrapper is its inner embedder


def _old_manifest(folder: Path, record: dict) -> None:
    """A versioned folder as inhouse 0.1.0 wrote it: manifest.json without a format field."""
    version = folder / "v0001"
    version.mkdir(parents=True)
    (version / MANIFEST).write_text(json.dumps(record))
    (folder / "current").write_text("v0001\n")


def test_router_of_0_1_0_is_refused_with_the_command_to_rebuild(tmp_path: Path) -> None:
    old = tmp_path / "router"
    old.mkdir()
    meta = {"format": 1, "system": "knn", "kind": "baseline", "config": {"k": 10}}
    meta["embedder"] = {"name": DEFAULT_EMBEDDER, "fingerprint": "0" * 16, "path": "/abs/p"}
    (old / "router.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match=r"inhouse 0\.1\.0.*`inhouse support fit-router "):
        load_router(old)


@pytest.mark.parametrize(
    ("load", "record", "command"),
    [
        (load_retriever, {"system": "bm25", "name": "bm25", "embedder": None}, "support index"),
        (
            load_recommender,
            {"system": "cooc", "parameters": {}, "inhouse_version": "0.1.0"},
            "recommend fit",
        ),
        (answers.load, {"system": "suggest", "embedder": DEFAULT_EMBEDDER}, "Suggester"),
    ],
)
def test_manifest_of_0_1_0_is_refused_with_the_command_to_rebuild(
    tmp_path: Path, load, record: dict, command: str
) -> None:
    _old_manifest(tmp_path / "old", record)
    with pytest.raises(
        ModelError, match=rf"written by inhouse 0\.1\.0.*rebuild it with `?.*{command}"
    ):
        load(tmp_path / "old")


def test_router_stores_the_registry_name_and_loads_by_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "models.json"))
    copy = shutil.copytree(default_embedder_path(), tmp_path / "weights" / "my-minilm")
    add_model(copy)
    from inhouse.models.load import load_embedder_by_name

    embedder = load_embedder_by_name("my-minilm")
    router = make_router("knn", embedder, k=3).fit(TEXTS, INTENTS)
    folder = router.save(tmp_path / "r")
    text = (folder / MANIFEST).read_text()
    assert str(tmp_path) not in text  # no absolute path: the embedder is found by name
    assert json.loads(text)["base_model"] == fingerprint(embedder).model_dump()
    assert load_router(tmp_path / "r").embedder.name == "my-minilm"  # type: ignore[attr-defined]
    shutil.rmtree(tmp_path / "weights")  # the registry now points nowhere: a clear refusal
    with pytest.raises(ModelError, match="the router at .* built with embedder my-minilm"):
        load_router(tmp_path / "r")


def test_router_loads_its_default_embedder_by_name(tmp_path: Path) -> None:
    router = make_router("knn", shared_embedder(), k=3).fit(TEXTS, INTENTS)
    router.save(tmp_path / "r")
    again = load_router(tmp_path / "r")
    assert again.embedder.name == DEFAULT_EMBEDDER  # type: ignore[attr-defined]
    assert again.predict(TEXTS[:4])[0] == router.predict(TEXTS[:4])[0]
    with pytest.raises(ModelError, match="made with embedder all-MiniLM-L6-v2.*given is fake"):
        load_router(tmp_path / "r", Fake(dim=384))


def test_index_and_suggester_refuse_another_embedder(tmp_path: Path) -> None:
    index = make_retriever("hybrid", shared_embedder())
    index.index(articles_frame())
    index.save(tmp_path / "index")
    with pytest.raises(ModelError, match="the index at .*part1 was made with embedder all-Mini"):
        load_retriever(tmp_path / "index", Fake(dim=384))
    tickets = pl.DataFrame(
        {
            "ticket_id": ["1", "2"],
            "text": ["where is my card", "refund please"],
            "intent": ["card", "refund"],
            "resolution": ["It is on its way.", "Refunded."],
        }
    )
    s = Suggester(shared_embedder(), neighbours=1)
    s.fit(tickets)
    s.save(tmp_path / "sugg")
    assert answers.load(tmp_path / "sugg").suggest(["my card"])[0][0].intent == "card"
    with pytest.raises(ModelError, match="the suggester at .* given is fake"):
        answers.load(tmp_path / "sugg", Fake(dim=384))


def test_text_recommender_records_its_embedder_and_refuses_another(tmp_path: Path) -> None:
    from inhouse.recommend.registry import make as make_recommender

    catalog = pl.DataFrame(
        {"item_id": [f"i{n}" for n in range(6)], "title": [f"book {n}" for n in range(6)]}
    )
    events = pl.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2"],
            "item_id": ["i0", "i1", "i2", "i3"],
            "timestamp": [1, 2, 1, 2],
        }
    )
    model = make_recommender("offshelf-text")
    model.fit(events, catalog)
    folder = model.save(tmp_path / "rec")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["base_model"] == fingerprint(shared_embedder()).model_dump()
    loaded = load_recommender(tmp_path / "rec").base_model
    assert loaded is not None and loaded.model_dump() == manifest["base_model"]
    # the same folder, as if built with other weights: embedding a new item is refused
    manifest["base_model"]["sha256"] = "0" * 64
    (folder / MANIFEST).write_text(json.dumps(manifest))
    other = load_recommender(tmp_path / "rec")
    new_item = pl.DataFrame({"item_id": ["i9"], "title": ["a new book"]})
    with pytest.raises(ModelError, match="offshelf-text recommender was made with embedder .*"):
        other.add_items(new_item)


def test_recommender_without_text_records_no_embedder(tmp_path: Path) -> None:
    from inhouse.recommend.registry import make as make_recommender

    model = make_recommender("cooc")
    model.fit(
        pl.DataFrame({"user_id": ["u", "u"], "item_id": ["a", "b"], "timestamp": [1, 2]}),
        pl.DataFrame({"item_id": ["a", "b"], "title": ["A", "B"]}),
    )
    folder = model.save(tmp_path / "rec")
    assert json.loads((folder / MANIFEST).read_text())["base_model"] is None


def _versions(root: Path, n: int) -> None:
    for i in range(n):
        manifest = Manifest(workload="recommend", system=f"s{i + 1}", kind="baseline")
        artifacts.save(root, manifest, lambda f, i=i: (f / "w.bin").write_bytes(b"w" * (i + 1)))


def test_versions_list_created_system_size_and_current(tmp_path: Path) -> None:
    _versions(tmp_path / "a", 3)
    found = artifacts.versions(tmp_path / "a")
    assert [(v.name, v.system, v.current) for v in found] == [
        ("v0001", "s1", False),
        ("v0002", "s2", False),
        ("v0003", "s3", True),
    ]
    manifest_size = len((tmp_path / "a" / "v0001" / MANIFEST).read_bytes())
    assert found[0].size_bytes == manifest_size + 1 and found[0].created
    with pytest.raises(InhouseError, match="not an artifact folder"):
        artifacts.versions(tmp_path)


def test_rollback_switches_current_and_prune_never_deletes_it(tmp_path: Path) -> None:
    root = tmp_path / "a"
    _versions(root, 4)
    assert artifacts.rollback(root) == ("v0004", "v0003")
    assert artifacts.rollback(root, to="v0001") == ("v0003", "v0001")
    _, manifest = artifacts.read(root, "recommend")
    assert manifest.system == "s1"  # the live version is now the first
    assert artifacts.prune(root, keep=1) == ["v0002", "v0003"]  # v0004 newest, v0001 current
    assert sorted(p.name for p in root.iterdir()) == ["current", "v0001", "v0004"]
    with pytest.raises(InhouseError, match="none to roll back to"):
        artifacts.rollback(root)
    with pytest.raises(InhouseError, match="no version 'v0009'; choose one of v0001, v0004"):
        artifacts.rollback(root, to="v0009")
    with pytest.raises(InhouseError, match="keep at least 1"):
        artifacts.prune(root, keep=0)


def test_a_router_served_by_its_graph_checks_but_does_not_load_the_weights(tmp_path: Path) -> None:
    from inhouse.models.load import LazyEmbedder

    router = make_router("logistic", shared_embedder(), c=10.0).fit(TEXTS, INTENTS)
    router.save(tmp_path / "r")
    served = load_router(tmp_path / "r")
    lazy = served.embedder  # type: ignore[attr-defined]
    assert isinstance(lazy, LazyEmbedder) and lazy._loaded is None
    assert fingerprint(lazy) == fingerprint(shared_embedder())
    a, ca = router.predict(TEXTS[:6])
    b, cb = served.predict(TEXTS[:6])
    assert a == b and np.allclose(ca, cb, atol=1e-5)
    assert lazy._loaded is None  # served without the torch model
    # the model loads when something needs it
    np.testing.assert_allclose(lazy.embed(TEXTS[:2]), shared_embedder().embed(TEXTS[:2]), atol=1e-6)
