"""Finding a dataset's folder, and downloading the public originals when none is given.

Order (design.md): an explicit `data_dir` (CLI `--data-dir`), then `INHOUSE_DATA_DIR`, then
`<cache_dir>/datasets/<name>`, downloaded with sha256 checks when not yet complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from inhouse.datasets.catalogue import CATALOGUE, Catalogue, DatasetFile, DatasetRecord
from inhouse.datasets.checksums import matches
from inhouse.errors import DatasetError
from inhouse.files import byte_progress
from inhouse.settings import get_settings

if TYPE_CHECKING:  # httpx and rich load only when something is downloaded
    import httpx
    from rich.progress import Progress, TaskID

TIMEOUT_S = 30.0
CONNECT_TIMEOUT_S = 10.0
HINT = "Set INHOUSE_DATA_DIR to a folder holding the datasets or pass --data-dir"


def locate(name: str, data_dir: Path | str | None = None) -> tuple[Path, str]:
    """Where dataset `name` is looked for, and why: `--data-dir`, `INHOUSE_DATA_DIR` or `cache`.

    Nothing is checked or downloaded. `INHOUSE_DATA_DIR` also stands for `data_dir` in
    `inhouse.toml`.
    """
    settings = get_settings(data_dir=data_dir)
    if settings.data_dir is not None:
        origin = "--data-dir" if data_dir is not None else "INHOUSE_DATA_DIR"
        return Path(settings.data_dir).expanduser() / name, origin
    return cache_folder(name), "cache"


def cache_folder(name: str) -> Path:
    """`<cache_dir>/datasets/<name>`, where downloads go."""
    return Path(get_settings().cache_dir).expanduser() / "datasets" / name


def resolve_dir(
    name: str,
    data_dir: Path | str | None = None,
    *,
    download: bool = True,
    catalogue: Catalogue = CATALOGUE,
) -> Path:
    """The folder holding dataset `name`, downloading it into the cache when needed.

    `data_dir` (or `INHOUSE_DATA_DIR`) is a folder of datasets: the dataset is `<data_dir>/<name>`
    and must already be complete there; nothing is downloaded into it.
    """
    record = catalogue[name]
    folder, origin = locate(name, data_dir)
    if origin != "cache":
        missing = [p for p in record.required_paths() if not (folder / p).is_file()]
        if missing:
            raise DatasetError(
                f"{folder}: dataset {name!r} is incomplete, missing {', '.join(missing[:3])}"
                f"{' …' if len(missing) > 3 else ''}. Point {origin} at the folder that holds "
                f"{name}/, or unset it to download the public files into the cache."
            )
    elif download:
        fetch(record, folder)
    return folder


def is_present(record: DatasetRecord, folder: Path) -> bool:
    """Whether every file the loader reads is in `folder`."""
    return all((folder / p).is_file() for p in record.required_paths())


def fetch(record: DatasetRecord, folder: Path) -> None:
    """Download the record's missing original files into `folder`, each checked by sha256."""
    todo = [(f, url) for f, url in record.download_files() if not _verified(folder / f.path, f)]
    if todo:
        import httpx

        timeout = httpx.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
        with httpx.Client(timeout=timeout, follow_redirects=True) as client, byte_progress() as bar:
            total = bar.add_task(
                f"{record.name}: {len(todo)} files", total=sum(f.size for f, _ in todo)
            )
            for f, url in todo:
                _download(client, url, folder / f.path, f, bar, total)
    if record.converter and not is_present(record, folder):
        convert(record, folder)


def convert(record: DatasetRecord, folder: Path) -> None:
    """Run the record's converter on the downloaded originals and check what it wrote."""
    assert record.converter, f"{record.name} has no converter"
    record.function(record.converter)(folder)
    pinned = {f.path: f for f in record.files}
    wrong = [p for p in record.converted if p in pinned and not matches(folder / p, pinned[p])]
    if wrong:
        for p in record.converted:
            (folder / p).unlink(missing_ok=True)
        raise DatasetError(
            f"{folder}: converting {record.name} gave files that differ from the catalogue "
            f"({', '.join(wrong)}); they were removed. This is a bug in inhouse or a changed "
            f"converter library; please report it. {HINT}."
        )


def _verified(path: Path, f: DatasetFile) -> bool:
    """Present with the right size (a full sha256 is checked when the file is downloaded)."""
    return path.is_file() and path.stat().st_size == f.size


def _download(
    client: httpx.Client,
    url: str,
    dest: Path,
    expected: DatasetFile,
    progress: Progress,
    task: TaskID,
) -> None:
    """Stream `url` to a temporary file beside `dest`, check its sha256, then rename it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    import httpx

    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with client.stream("GET", url) as response:
                    response.raise_for_status()
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        digest.update(chunk)
                        progress.advance(task, len(chunk))
            except httpx.HTTPError as e:
                raise DatasetError(
                    f"could not download {dest.name} from {url} ({e}). {HINT}."
                ) from None
        if digest.hexdigest() != expected.sha256:
            raise DatasetError(
                f"{url}: sha256 {digest.hexdigest()} does not match the catalogue's "
                f"{expected.sha256}; the file was not kept. The upstream file changed or the "
                f"download was corrupted. {HINT}."
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
