"""Versioned model folders: manifest contents, and a crash mid-save leaves the old version live."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import inhouse
from inhouse.artifacts import FORMAT
from inhouse.errors import ModelError
from inhouse.files import SAVE_SLEEP_ENV
from inhouse.recommend.registry import SYSTEMS, load_recommender, make, system_class

from . import checkerboard as cb

SAVE_SCRIPT = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from recommend import checkerboard as cb
    from inhouse.recommend.registry import make
    m = make("cooc", window=2)
    m.fit(cb.events(), cb.catalog())
    m.save({root!r})
    """
)


def test_manifest_records_system_data_and_parameters(tmp_path: Path) -> None:
    m = make("cooc", window=2)
    m.fit(cb.events(), cb.catalog())
    m.metrics = {"ndcg@10": 0.5}
    folder = m.save(tmp_path / "m")
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == FORMAT and manifest["workload"] == "recommend"
    assert manifest["system"] == "cooc" and manifest["parameters"]["window"] == 2
    assert len(manifest["state"]["data_sha256"]) == 64 and manifest["metrics"] == {"ndcg@10": 0.5}
    assert manifest["inhouse"] == inhouse.__version__ and manifest["base_model"] is None
    loaded = load_recommender(tmp_path / "m")
    assert loaded.metrics == {"ndcg@10": 0.5} and loaded.data_sha256 == m.data_sha256


def test_load_without_a_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no saved recommender here.*inhouse recommend fit"):
        load_recommender(tmp_path)


def test_records_match_their_classes() -> None:
    for name, record in SYSTEMS.items():
        cls = system_class(name)
        assert (cls.name, cls.kind) == (name, record.kind) and record.description


def test_crash_during_save_keeps_previous_version(tmp_path: Path) -> None:
    root = tmp_path / "m"
    first = make("popularity")
    first.fit(cb.events(), cb.catalog())
    first.save(root)
    script = SAVE_SCRIPT.format(tests=str(Path(__file__).parents[1]), root=str(root))
    env = {**os.environ, SAVE_SLEEP_ENV: "60"}
    proc = subprocess.Popen([sys.executable, "-c", script], env=env)
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".tmp") for p in root.iterdir()):  # save is under way
            assert proc.poll() is None, "the saving process ended before it could be killed"
            assert time.monotonic() < deadline, "the save never started"
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert (root / "current").read_text().strip() == "v0001"
    loaded = load_recommender(root)
    assert loaded.name == "popularity"
    assert loaded.recommend([[]], k=3)[0] == first.recommend([[]], k=3)[0]
    assert not (root / "v0002").exists()
    (orphan,) = [p for p in root.iterdir() if p.name.startswith(".v0002.")]  # the killed save's
    assert orphan.is_dir() and orphan.name.endswith(".tmp")
    # the next save still works, takes the next number and removes the orphan
    assert first.save(root).name == "v0002"  # type: ignore[union-attr]
    assert not orphan.exists()
    assert sorted(p.name for p in root.iterdir()) == ["current", "v0001", "v0002"]
