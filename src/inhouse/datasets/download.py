"""Finding a dataset's folder, and downloading the public originals when none is given.

Order (design.md): an explicit `data_dir` (CLI `--data-dir`), then `INHOUSE_DATA_DIR`, then
`<cache_dir>/datasets/<name>`, downloaded with sha256 checks when not yet complete.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import httpx
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from inhouse.datasets.catalogue import CATALOGUE, Catalogue, DatasetFile, DatasetRecord
from inhouse.errors import DatasetError
from inhouse.settings import get_settings

TIMEOUT = httpx.Timeout(30.0, connect=10.0)
HINT = "Set INHOUSE_DATA_DIR to a folder holding the datasets or pass --data-dir"


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
    settings = get_settings(data_dir=data_dir)
    if settings.data_dir is not None:
        folder = Path(settings.data_dir).expanduser() / name
        missing = [p for p in record.required_paths() if not (folder / p).is_file()]
        if missing:
            where = "--data-dir" if data_dir is not None else "INHOUSE_DATA_DIR"
            raise DatasetError(
                f"{folder}: dataset {name!r} is incomplete, missing {', '.join(missing[:3])}"
                f"{' …' if len(missing) > 3 else ''}. Point {where} at the folder that holds "
                f"{name}/, or unset it to download the public files into the cache."
            )
        return folder
    folder = Path(settings.cache_dir).expanduser() / "datasets" / name
    if download:
        fetch(record, folder)
    return folder


def is_present(record: DatasetRecord, folder: Path) -> bool:
    """Whether every file the loader reads is in `folder`."""
    return all((folder / p).is_file() for p in record.required_paths())


def fetch(record: DatasetRecord, folder: Path, client: httpx.Client | None = None) -> None:
    """Download the record's missing original files into `folder`, each checked by sha256."""
    todo = [(f, url) for f, url in record.download_files() if not _verified(folder / f.path, f)]
    if todo:
        with (
            httpx.Client(timeout=TIMEOUT, follow_redirects=True) as own,
            _progress() as progress,
        ):
            total = progress.add_task(
                f"{record.name}: {len(todo)} files", total=sum(f.size for f, _ in todo)
            )
            for f, url in todo:
                _download(client or own, url, folder / f.path, f, progress, total)
    if record.converter and not is_present(record, folder):
        from inhouse.datasets.catalogue import _function

        _function(record.converter)(folder)


def _verified(path: Path, f: DatasetFile) -> bool:
    """Present with the right size (a full sha256 is checked when the file is downloaded)."""
    return path.is_file() and path.stat().st_size == f.size


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        transient=True,
    )


def _download(
    client: httpx.Client,
    url: str,
    dest: Path,
    expected: DatasetFile,
    progress: Progress,
    task: object,
) -> None:
    """Stream `url` to a temporary file beside `dest`, check its sha256, then rename it."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with client.stream("GET", url) as response:
                    response.raise_for_status()
                    for chunk in response.iter_bytes():
                        out.write(chunk)
                        digest.update(chunk)
                        progress.advance(task, len(chunk))  # type: ignore[arg-type]
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
