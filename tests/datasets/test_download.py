"""Downloads against a local HTTP server on 127.0.0.1: success, sha256 mismatch, refused, 404."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from inhouse.datasets import CATALOGUE, DatasetFile, DatasetRecord, resolve_dir, split_sizes
from inhouse.datasets.catalogue import Catalogue
from inhouse.datasets.checksums import mismatches
from inhouse.errors import DatasetError

DATA_DIR = os.environ.get("INHOUSE_DATA_DIR")  # read before fixtures unset it
FILES = {"ratings.csv": b"user_id,item_id\n1,2\n" * 50, "docs/a b (1).json": b'{"id": "a"}'}


class _Handler(SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        _Handler.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args: object) -> None:  # keep pytest output quiet
        pass


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[str]:
    """A local HTTP server serving FILES; yields its base URL."""
    root = tmp_path / "upstream"
    for rel, data in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    _Handler.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("INHOUSE_DATA_DIR", raising=False)
    monkeypatch.setenv("INHOUSE_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("INHOUSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _record(base: str, corrupt: str | None = None) -> Catalogue:
    files = []
    for rel, data in FILES.items():
        sha = hashlib.sha256(data).hexdigest()
        if rel == corrupt:
            sha = hashlib.sha256(b"something else").hexdigest()
        files.append(DatasetFile(path=rel, size=len(data), sha256=sha))
    record = DatasetRecord(
        name="tiny",
        workload="recommend",
        summary="a fake dataset for tests",
        licence="CC0-1.0",
        attribution="the tests",
        source=base,
        loader="recommend:load_goodbooks_sample",
        protocol="none",
        urls={"ratings.csv": base + "ratings.csv", "docs/": base + "docs/"},
        files=tuple(files),
    )
    return Catalogue([record])


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_download_fetches_verifies_and_is_not_repeated(server: str, cache: Path) -> None:
    catalogue = _record(server)
    folder = resolve_dir("tiny", catalogue=catalogue)
    assert folder == cache / "datasets" / "tiny"
    assert _leftovers(folder) == sorted(FILES)  # no .part files left behind
    for rel, data in FILES.items():
        assert (folder / rel).read_bytes() == data
    # the folder's file name is URL-quoted on the wire
    assert "/docs/a%20b%20%281%29.json" in _Handler.requests
    before = len(_Handler.requests)
    assert resolve_dir("tiny", catalogue=catalogue) == folder
    assert len(_Handler.requests) == before  # already complete: nothing fetched again


def test_sha256_mismatch_raises_and_keeps_nothing(server: str, cache: Path) -> None:
    catalogue = _record(server, corrupt="ratings.csv")
    with pytest.raises(DatasetError, match="sha256") as e:
        resolve_dir("tiny", catalogue=catalogue)
    assert "was not kept" in str(e.value) and "INHOUSE_DATA_DIR" in str(e.value)
    folder = cache / "datasets" / "tiny"
    assert "ratings.csv" not in _leftovers(folder)
    assert not [p for p in _leftovers(folder) if p.endswith(".part")]


def test_connection_refused_says_how_to_work_offline(cache: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    with pytest.raises(DatasetError) as e:
        resolve_dir("tiny", catalogue=_record(base))
    message = str(e.value)
    assert message.startswith(f"could not download ratings.csv from {base}ratings.csv (")
    assert "Set INHOUSE_DATA_DIR to a folder holding the datasets or pass --data-dir" in message
    assert _leftovers(cache / "datasets" / "tiny") == []


def test_http_error_status_is_a_dataset_error(server: str, cache: Path) -> None:
    catalogue = _record(server + "missing/")
    with pytest.raises(DatasetError, match="404"):
        resolve_dir("tiny", catalogue=catalogue)
    assert _leftovers(cache / "datasets" / "tiny") == []


@pytest.mark.slow
@pytest.mark.skipif(not DATA_DIR, reason="INHOUSE_DATA_DIR is not set")
def test_every_dataset_downloads_from_a_local_mirror(cache: Path) -> None:
    """The real files, served under their catalogue paths: all pass sha256 and load."""
    handler = partial(_Handler, directory=DATA_DIR)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}/"
    try:
        records = [
            r.model_copy(update={"urls": {k: f"{base}{r.name}/{k}" for k in r.urls}})
            for r in CATALOGUE
        ]
        for record in records:
            folder = resolve_dir(record.name, catalogue=Catalogue(records))
            assert mismatches(record, folder) == []
            assert split_sizes(record.loader_function()(folder, record.name, record.protocol))
    finally:
        httpd.shutdown()
        httpd.server_close()
