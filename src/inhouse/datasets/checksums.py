"""sha256 of dataset files, and the generator of files.json from a folder of the datasets.

python -m inhouse.datasets.checksums ../shared/datasets   # rewrites files.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from inhouse.datasets.catalogue import FILES_FILE, DatasetRecord, load_catalogue
from inhouse.files import atomic_write_text

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def listed_paths(record: DatasetRecord, folder: Path) -> list[str]:
    """The files of `record` in `folder`: URL keys (folders expanded), then converted files."""
    paths: list[str] = []
    for key in record.urls:
        if key.endswith("/"):
            paths += sorted(p.relative_to(folder).as_posix() for p in (folder / key).glob("*"))
        else:
            paths.append(key)
    return paths + list(record.converted)


def mismatches(record: DatasetRecord, folder: Path) -> list[str]:
    """Files of `record` that are missing in `folder` or differ from their pinned sha256."""
    out = []
    for f in record.files:
        path = folder / f.path
        if not path.is_file():
            out.append(f"{path}: missing")
        elif path.stat().st_size != f.size or sha256_file(path) != f.sha256:
            out.append(f"{path}: sha256 differs from the catalogue's {f.sha256[:12]}…")
    return out


def build(data_dir: Path) -> dict[str, dict[str, dict[str, int | str]]]:
    """Size and sha256 of every catalogue file under `data_dir/<name>/`."""
    out: dict[str, dict[str, dict[str, int | str]]] = {}
    for record in load_catalogue(files=Path("/nonexistent")):
        folder = data_dir / record.name
        out[record.name] = {
            p: {"size": (folder / p).stat().st_size, "sha256": sha256_file(folder / p)}
            for p in listed_paths(record, folder)
        }
    return out


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m inhouse.datasets.checksums DATA_DIR")
    table = build(Path(argv[0]))
    atomic_write_text(FILES_FILE, json.dumps(table, indent=1, sort_keys=False) + "\n")
    print(f"wrote {FILES_FILE}: {sum(len(v) for v in table.values())} files")


if __name__ == "__main__":
    main(sys.argv[1:])
