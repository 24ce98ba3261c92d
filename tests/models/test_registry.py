"""Registry: add, list, verify, remove; formats; the auto-registered default embedder."""

from __future__ import annotations

import json
import os
import struct
from pathlib import Path

import pytest

from inhouse.errors import ModelError
from inhouse.models import registry as reg
from inhouse.models.registry import (
    DEFAULT_EMBEDDER,
    add_model,
    ensure_verified,
    read_registry,
    remove_model,
    verify_model,
)

from ._util import write_hf_folder

DESIGN_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def _safetensors(path: Path) -> Path:
    """A valid one-tensor safetensors file, written by hand (8-byte header length + JSON)."""
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + struct.pack("<2f", 1.0, 2.0))
    return path


def test_default_embedder_is_registered_and_verified_on_first_read(registry: Path) -> None:
    assert not registry.exists()
    models = read_registry()
    e = models[DEFAULT_EMBEDDER]
    assert e.source == "builtin" and e.task == "embedding" and e.format == "hf-folder"
    assert [(w.path, w.sha256) for w in e.weights] == [("model.safetensors", DESIGN_SHA256)]
    assert e.status() == "verified" and e.verified_at
    assert DEFAULT_EMBEDDER in json.loads(registry.read_text())["models"]


def test_add_list_verify_remove_an_hf_folder(tmp_path: Path) -> None:
    folder = write_hf_folder(tmp_path / "Qwen3-0.6B")
    (folder / "tokenizer.json").write_text("{}")
    e = add_model(folder)
    assert (e.name, e.format, e.catalogue_id, e.task) == (
        "Qwen3-0.6B",
        "hf-folder",
        "Qwen3-0.6B",
        "chat",
    )
    assert [w.path for w in e.weights] == ["pytorch_model.bin"]
    assert e.total_size == sum(p.stat().st_size for p in folder.iterdir())
    assert e.added_at.endswith("+00:00")

    assert set(read_registry()) == {DEFAULT_EMBEDDER, "Qwen3-0.6B"}
    [checked] = verify_model("Qwen3-0.6B")
    assert checked.verified_at is not None and checked.status() == "verified"

    removed = remove_model("Qwen3-0.6B")
    assert removed.path == folder.resolve()
    assert "Qwen3-0.6B" not in read_registry()
    assert (folder / "pytorch_model.bin").read_bytes() == b"\x01" * 64  # files untouched


def test_tampered_weight_fails_verify_naming_file_and_both_hashes(tmp_path: Path) -> None:
    folder = write_hf_folder(tmp_path / "m", weights=b"original")
    e = add_model(folder, name="m")
    recorded = e.weights[0].sha256
    (folder / "pytorch_model.bin").write_bytes(b"tampered")
    assert read_registry()["m"].status() == "changed"
    with pytest.raises(ModelError) as err:
        verify_model("m")
    msg = str(err.value)
    assert str(folder / "pytorch_model.bin") in msg
    assert recorded in msg
    import hashlib

    assert hashlib.sha256(b"tampered").hexdigest() in msg
    assert read_registry()["m"].verified_at is None  # the failed check is recorded


def test_verify_all_reports_a_missing_file(tmp_path: Path) -> None:
    f = tmp_path / "qwen3-1.7b-q8_0.gguf"
    f.write_bytes(b"GGUF" + b"\x00" * 16)
    add_model(f)
    f.unlink()
    with pytest.raises(ModelError, match=r"qwen3-1.7b-q8_0.gguf: weight file .* is missing"):
        verify_model()


def test_gguf_is_recognised_by_its_magic_bytes(tmp_path: Path) -> None:
    good = tmp_path / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf"
    good.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\x00" * 32)
    e = add_model(good)
    assert (e.format, e.catalogue_id, e.name) == (
        "gguf",
        "Qwen2.5-0.5B-Instruct",
        "Qwen2.5-0.5B-Instruct-Q4_K_M",
    )
    renamed = tmp_path / "weights.bin.part"
    renamed.write_bytes(b"GGUF\x03\x00\x00\x00")
    assert add_model(renamed, name="no-suffix").format == "gguf"
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"<html>404</html>")
    with pytest.raises(
        ModelError, match=r"fake.gguf: not a GGUF file: it starts with bytes b'<htm'"
    ):
        add_model(fake)


def test_single_safetensors_file_and_a_broken_one(tmp_path: Path) -> None:
    e = add_model(_safetensors(tmp_path / "adapter.safetensors"))
    assert (e.format, e.name, e.total_size) == (
        "safetensors",
        "adapter",
        (tmp_path / "adapter.safetensors").stat().st_size,
    )
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"\xff" * 20)
    with pytest.raises(ModelError, match="broken.safetensors: not a valid safetensors file"):
        add_model(broken)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "nope", "no such file or folder"),
        (lambda p: (p / "notes.txt").write_text("hi") and p / "notes.txt", "unknown model format"),
        (
            lambda p: (p / "empty").mkdir() or p / "empty",
            "not a model folder: it has no config.json",
        ),
        (
            lambda p: (
                write_hf_folder(p / "nowt").joinpath("pytorch_model.bin").unlink() or p / "nowt"
            ),
            "model folder without weights",
        ),
    ],
)
def test_bad_paths_are_clear_model_errors_and_write_nothing(
    tmp_path: Path, registry: Path, make, message: str
) -> None:
    with pytest.raises(ModelError, match=message):
        add_model(make(tmp_path))
    assert set(read_registry()) == {DEFAULT_EMBEDDER}


def test_names_are_unique_and_the_default_is_reserved(tmp_path: Path) -> None:
    add_model(write_hf_folder(tmp_path / "a"), name="mine")
    with pytest.raises(ModelError, match="'mine' is already registered"):
        add_model(write_hf_folder(tmp_path / "b"), name="mine")
    with pytest.raises(ModelError, match="already registered as 'mine'"):
        add_model(tmp_path / "a", name="other")
    with pytest.raises(ModelError, match="already registered"):
        add_model(write_hf_folder(tmp_path / "c"), name=DEFAULT_EMBEDDER)
    with pytest.raises(ModelError, match="invalid model name"):
        add_model(write_hf_folder(tmp_path / "d"), name="has space")
    with pytest.raises(ModelError, match="cannot be removed"):
        remove_model(DEFAULT_EMBEDDER)
    with pytest.raises(
        ModelError, match="no model called 'ghost'.*Registered: all-MiniLM-L6-v2, mine"
    ):
        remove_model("ghost")


def test_sentence_transformers_folder_is_an_embedder(tmp_path: Path) -> None:
    folder = tmp_path / "st"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    _safetensors(folder / "model.safetensors")
    (folder / ".cache").mkdir()
    (folder / ".cache" / "junk.bin").write_bytes(b"ignored")  # hidden folders are skipped
    e = add_model(folder)
    assert e.task == "embedding" and [w.path for w in e.weights] == ["model.safetensors"]


def test_ensure_verified_hashes_only_when_size_or_mtime_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weight = write_hf_folder(tmp_path / "m", weights=b"abc") / "pytorch_model.bin"
    add_model(weight.parent, name="m")
    calls = []
    real = reg.sha256_files
    monkeypatch.setattr(reg, "sha256_files", lambda paths: calls.append(1) or real(paths))
    ensure_verified("m")
    assert calls == []  # verified when added, unchanged since
    st = weight.stat()
    os.utime(weight, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same bytes, newer mtime
    ensure_verified("m")
    assert calls == [1]
    ensure_verified("m")
    assert calls == [1]  # the new mtime was cached
    weight.write_bytes(b"abd")
    with pytest.raises(ModelError, match="sha256 mismatch"):
        ensure_verified("m")


def test_damaged_registry_file_is_a_clear_error(registry: Path) -> None:
    registry.parent.mkdir(parents=True)
    registry.write_text('{\n  "version": 1,\n  "models": {\n')
    with pytest.raises(ModelError, match=r"models.json:4: the model registry is damaged"):
        read_registry()


def test_hashing_with_a_progress_bar_gives_the_same_digest(tmp_path: Path) -> None:
    import hashlib

    from inhouse.models.weights import CHUNK, sha256_files

    data = os.urandom(CHUNK + 123)  # more than one chunk
    f = tmp_path / "w.bin"
    f.write_bytes(data)
    expected = hashlib.sha256(data).hexdigest()
    assert sha256_files([f], progress=True) == sha256_files([f], progress=False) == [expected]


def test_unwritable_registry_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("INHOUSE_REGISTRY", str(blocker / "models.json"))  # parent is a file
    with pytest.raises(ModelError, match="cannot write the model registry.*INHOUSE_REGISTRY"):
        read_registry()
