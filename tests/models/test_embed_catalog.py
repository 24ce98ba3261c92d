"""`inhouse embed`: a catalog into Parquet shards and a vector index, in-process and on a local
Ray (`ray.init(num_cpus=2)`), which must give the same vectors and the same answers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inhouse.models.embed_catalog import embed_catalog, load_catalog_index, read_shards

from ._util import REPO

CATALOG = REPO / "examples" / "catalog.csv"  # 36 real-looking items


def run_embed(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    """`inhouse embed ARGS...` through the real entry point, in this process."""
    import typer

    import inhouse.cli as cli
    from inhouse.cli import groups

    app = typer.Typer(name="inhouse", pretty_exceptions_enable=False)
    app.callback()(lambda: None)  # a group, as the real app is, not its one command
    monkeypatch.setattr(cli, "app", app)
    monkeypatch.setattr(groups, "GROUPS", {})
    monkeypatch.setattr(groups, "COMMANDS", {"embed": ("embed",)})
    capsys.readouterr()
    try:
        cli.main(["embed", *args])
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def catalog_texts() -> tuple[list[str], list[str]]:
    from inhouse.data.read import read_catalog
    from inhouse.recommend.text import item_texts

    rows = read_catalog(CATALOG)
    return rows["item_id"].to_list(), item_texts(rows)


def by_id(folder: Path) -> tuple[list[str], np.ndarray]:
    ids, vectors = read_shards(folder / "shards")
    order = np.argsort(ids)
    return [ids[i] for i in order], vectors[order]


def top_ids(folder: Path, queries: np.ndarray, k: int = 5) -> list[list[str]]:
    ids, index = load_catalog_index(folder)
    return [[ids[j] for j in row] for row in index.search(queries, k)[1]]


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory):
    """The embedded default, loaded once for the in-process tests (a load is most of their
    time); the Ray test's actors load their own."""
    from inhouse.models.load import load_embedder

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("INHOUSE_REGISTRY", str(tmp_path_factory.mktemp("reg") / "models.json"))
        return load_embedder()


def test_local_engine_shards_equal_the_embedder_and_the_index_finds_each_item(
    tmp_path: Path, monkeypatch, minilm
) -> None:
    import inhouse.models.embed_catalog as engine

    monkeypatch.setattr(engine, "load_named_embedder", lambda name: minilm)
    ids, texts = catalog_texts()
    s = embed_catalog(ids, texts, tmp_path / "out", shard_rows=16)
    assert (s.engine, s.items, s.dim, s.shards) == ("local", 36, 384, 3)
    shards = sorted((tmp_path / "out" / "shards").iterdir())
    assert [p.name for p in shards] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    schema = pq.read_schema(shards[0])
    assert schema.field("item_id").type == pa.string()
    assert schema.field("vector").type == pa.list_(pa.float32(), 384)
    assert [pq.read_metadata(p).num_rows for p in shards] == [16, 16, 4]

    got_ids, vectors = read_shards(tmp_path / "out" / "shards")
    assert got_ids == ids  # the local engine keeps catalog order
    np.testing.assert_allclose(vectors, minilm.embed(texts), atol=1e-5)
    assert top_ids(tmp_path / "out", vectors, 1) == [[i] for i in ids]

    manifest = json.loads((tmp_path / "out" / "embed.json").read_text())
    assert manifest["embedder_fingerprint"]["sha256"].startswith("53aa51172d14")
    assert manifest["shard_files"] == [p.name for p in shards]
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temps


def test_unknown_engine_index_param_and_missing_ray_exit_2_with_the_fix(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    out = str(tmp_path / "out")
    code, _, err = run_embed(
        monkeypatch, capsys, "--catalog", str(CATALOG), "--out", out, "--engine", "spark"
    )
    assert code == 2 and "--engine 'spark': choose one of local, ray" in err, err
    code, _, err = run_embed(
        monkeypatch,
        capsys,
        "--catalog",
        str(CATALOG),
        "--out",
        out,
        "--index-kind",
        "hnsw",
        "--index-param",
        "nprobe=4",
    )
    assert code == 2 and "nprobe: not a parameter of a 'hnsw' index" in err, err
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` raises ImportError
    code, _, err = run_embed(
        monkeypatch, capsys, "--catalog", str(CATALOG), "--out", out, "--engine", "ray"
    )
    flat = " ".join(err.split())
    assert code == 2 and "pip install 'inhouse[ray]'" in flat and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()  # nothing written before the error


def test_a_bad_catalog_is_refused_before_any_work(tmp_path: Path, monkeypatch, capsys) -> None:
    bad = tmp_path / "catalog.csv"
    bad.write_text("item_id,title\nsku-1,Shirt\nsku-1,Hat\n")
    code, _, err = run_embed(
        monkeypatch, capsys, "--catalog", str(bad), "--out", str(tmp_path / "out")
    )
    assert code == 2 and f"{bad}:3" in err, err
    assert not (tmp_path / "out").exists()


def test_num_cpus_is_refused_for_a_cluster(tmp_path: Path, monkeypatch, capsys) -> None:
    pytest.importorskip("ray", reason="ray is not installed: pip install 'inhouse[ray]'")
    monkeypatch.setenv("RAY_ADDRESS", "head.internal:6379")  # refused before any connection
    code, _, err = run_embed(
        monkeypatch,
        capsys,
        "--catalog",
        str(CATALOG),
        "--out",
        str(tmp_path / "out"),
        "--engine",
        "ray",
        "--num-cpus",
        "2",
    )
    flat = " ".join(err.split())
    assert code == 2 and "--num-cpus applies to a local Ray only" in flat, err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow  # 45-59 s on a 2-core box at load 4-12: Ray start-up, three model loads
def test_ray_on_two_local_cpus_equals_the_in_process_result(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    ray = pytest.importorskip("ray", reason="ray is not installed: pip install 'inhouse[ray]'")
    pytest.importorskip("ray.data")
    base = ["--catalog", str(CATALOG), "--index-kind", "hnsw"]
    code, out, err = run_embed(monkeypatch, capsys, *base, "--out", str(tmp_path / "local"))
    assert code == 0, err
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        code, out, err = run_embed(
            monkeypatch, capsys, *base, "--engine", "ray", "--out", str(tmp_path / "ray")
        )
    finally:
        ray.shutdown()
    assert code == 0 and "on ray (2 worker(s))" in out, err
    local_ids, local = by_id(tmp_path / "local")
    ray_ids, on_ray = by_id(tmp_path / "ray")
    assert ray_ids == local_ids and len(ray_ids) == 36
    np.testing.assert_allclose(on_ray, local, atol=1e-5)
    # both indexes hold the catalog in catalog order and answer the same
    assert load_catalog_index(tmp_path / "ray")[0] == load_catalog_index(tmp_path / "local")[0]
    assert top_ids(tmp_path / "ray", local) == top_ids(tmp_path / "local", local)
    schema = pq.read_schema(next((tmp_path / "ray" / "shards").glob("part-*.parquet")))
    assert schema.field("vector").type == pa.list_(pa.float32(), 384)
