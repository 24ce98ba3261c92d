"""Model files on disk: recognise the format (HF folder, safetensors, GGUF) and hash weights.

>>> fmt, weights = inspect_path(Path("./Qwen3-0.6B"))
>>> fmt, [w.name for w in weights]
('hf-folder', ['model.safetensors'])
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from inhouse.errors import ModelError
from inhouse.files import byte_progress

Format = Literal["hf-folder", "safetensors", "gguf", "onnx-folder"]
FOLDER_FORMATS = ("hf-folder", "onnx-folder")  # a weight file's path is relative to the folder
ONNX_CONFIG = "onnx-embedder.json"  # marks an embedder exported to ONNX (`models export`)
ONNX_MODEL = "model.onnx"
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
GGUF_MAGIC = b"GGUF"
CHUNK = 8 * 1024 * 1024  # hash in 8 MiB chunks: constant memory for any file size
PROGRESS_MIN_BYTES = 256 * 1024 * 1024  # show a progress bar when hashing at least this much
FOLDER_MARKERS = ("config.json", "modules.json")  # HF transformers / sentence-transformers

_HOW = (
    "`inhouse models add` takes a Hugging Face model folder (with config.json), a "
    "sentence-transformers folder (with modules.json), a single .safetensors file or a .gguf file"
)


def inspect_path(path: Path) -> tuple[Format, list[Path]]:
    """The format of a model at `path` and its weight files; a clear ModelError otherwise."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelError(f"{path}: no such file or folder. {_HOW}.")
    if path.is_dir():
        if (path / ONNX_CONFIG).is_file():
            if not (path / ONNX_MODEL).is_file():
                raise ModelError(
                    f"{path}: ONNX embedder folder without {ONNX_MODEL}; export it again with "
                    "`inhouse models export NAME`."
                )
            return "onnx-folder", [path / ONNX_MODEL]
        if not any((path / marker).is_file() for marker in FOLDER_MARKERS):
            raise ModelError(
                f"{path}: not a model folder: it has no config.json or modules.json. {_HOW}."
            )
        weights = weight_files(path)
        if not weights:
            raise ModelError(
                f"{path}: model folder without weights: no {', '.join(WEIGHT_SUFFIXES)} files "
                "found. Download the weight files into it, then add it again."
            )
        return "hf-folder", weights
    magic = read_magic(path)
    if magic == GGUF_MAGIC:
        return "gguf", [path]
    if path.suffix.lower() == ".gguf":
        raise ModelError(
            f"{path}: not a GGUF file: it starts with bytes {magic!r}, a GGUF file starts with "
            f"{GGUF_MAGIC!r}. The download may be incomplete or an HTML error page; fetch it again."
        )
    if path.suffix.lower() == ".safetensors":
        check_safetensors(path)
        return "safetensors", [path]
    raise ModelError(f"{path}: unknown model format (suffix {path.suffix or 'none'!r}). {_HOW}.")


def weight_files(folder: Path) -> list[Path]:
    """Weight files under `folder`, sorted, skipping hidden folders such as .cache and .git."""
    found = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file() and p.suffix.lower() in WEIGHT_SUFFIXES:
            found.append(p)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def read_magic(path: Path, n: int = 4) -> bytes:
    """The first `n` bytes of a file."""
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise ModelError(f"{path}: cannot read: {e.strerror}") from None


def check_safetensors(path: Path) -> None:
    """Raise a ModelError when `path` is not a readable safetensors file (reads the header only)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            f.keys()
    except Exception as e:  # safetensors raises its own error types for a bad header
        raise ModelError(
            f"{path}: not a valid safetensors file ({e}). The download may be incomplete; "
            "fetch it again."
        ) from None


def sha256_file(path: Path, progress: bool | None = None) -> str:
    """sha256 of a file, read in chunks; a Rich progress bar shows for big files."""
    return sha256_files([path], progress=progress)[0]


def sha256_files(paths: Iterable[Path], progress: bool | None = None) -> list[str]:
    """sha256 of each file, in order. `progress=None` shows a bar when the total is large."""
    paths = list(paths)
    sizes = [p.stat().st_size for p in paths]
    if progress is None:
        progress = sum(sizes) >= PROGRESS_MIN_BYTES
    if not progress:
        return [_hash(p) for p in paths]
    digests = []
    with byte_progress("sha256 {task.description}", stderr=True) as bar:
        for p, size in zip(paths, sizes, strict=True):
            task = bar.add_task(p.name, total=size)
            digests.append(_hash(p, lambda n, t=task: bar.advance(t, n)))
            bar.remove_task(task)
    return digests


def _hash(path: Path, advance=None) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
            if advance is not None:
                advance(len(chunk))
    return h.hexdigest()


def combined_sha256(digests: dict[str, str]) -> str:
    """One sha256 for a set of files (relative path -> sha256): the file's own hash when there
    is one file, else the sha256 of the sorted `path sha256` lines."""
    if len(digests) == 1:
        return next(iter(digests.values()))
    lines = "".join(f"{path} {sha}\n" for path, sha in sorted(digests.items()))
    return hashlib.sha256(lines.encode()).hexdigest()


def folder_size(path: Path) -> int:
    """Total bytes of a file, or of every file under a folder (hidden folders skipped)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not any(s.startswith(".") for s in p.relative_to(path).parts):
            total += p.stat().st_size
    return total
