"""sha256 of dataset files, and the generator of files.json from a folder of the datasets.

python -m inhouse.datasets.checksums ../shared/datasets   # rewrites files.json
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
from pathlib import Path

from inhouse.datasets.catalogue import FILES_FILE, DatasetFile, DatasetRecord, load_catalogue
from inhouse.files import atomic_write_text

CHUNK = 1 << 20


def sha256_file(path: Path, *, decompress: bool = False) -> str:
    """Hex sha256 of a file (of its gunzipped bytes with `decompress`), read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with gzip.open(path, "rb") if decompress else open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def matches(path: Path, f: DatasetFile) -> bool:
    """Whether `path` holds the pinned bytes (the pinned content, for a converted .gz file)."""
    if not path.is_file():
        return False
    if f.content_sha256 is not None:
        return sha256_file(path, decompress=True) == f.content_sha256
    return path.stat().st_size == f.size and sha256_file(path) == f.sha256


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
        elif not matches(path, f):
            out.append(f"{path}: sha256 differs from the catalogue's {f.sha256[:12]}…")
    return out


Table = dict[str, dict[str, dict[str, int | str]]]


def build(data_dir: Path) -> Table:
    """Size and sha256 of every catalogue file under `data_dir/<name>/`."""
    out: Table = {}
    for record in load_catalogue(files=Path("/nonexistent")):
        folder = data_dir / record.name
        out[record.name] = {}
        for p in listed_paths(record, folder):
            entry: dict[str, int | str] = {
                "size": (folder / p).stat().st_size,
                "sha256": sha256_file(folder / p),
            }
            if p in record.converted and p.endswith(".gz"):
                entry["content_sha256"] = sha256_file(folder / p, decompress=True)
            out[record.name][p] = entry
    return out


def dumps(table: Table) -> str:
    """JSON with one line per file, so diffs show which file changed."""
    blocks = []
    for name, files in table.items():
        lines = [f"    {json.dumps(p)}: {json.dumps(v)}" for p, v in files.items()]
        blocks.append(f"  {json.dumps(name)}: {{\n" + ",\n".join(lines) + "\n  }")
    return "{\n" + ",\n".join(blocks) + "\n}\n"


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python -m inhouse.datasets.checksums DATA_DIR")
    table = build(Path(argv[0]))
    assert json.loads(dumps(table)) == table
    atomic_write_text(FILES_FILE, dumps(table))
    print(f"wrote {FILES_FILE}: {sum(len(v) for v in table.values())} files")


if __name__ == "__main__":
    main(sys.argv[1:])
