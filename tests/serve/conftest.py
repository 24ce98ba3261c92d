"""Tiny served artifacts (a router, an index, a recommender), loaded once, and a live server.

The artifacts are the ones other tests build: a logistic router on the router contract's
tickets, a hybrid index on the retrieval contract's dozen articles, and cooc on the
checkerboard. `live` starts the real app under uvicorn on 127.0.0.1, on a free port.
`postgres_url` is a fresh database on a throwaway PostgreSQL server started once per session.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import uvicorn
from httpx import Response

from inhouse.recommend.registry import make

with warnings.catch_warnings():  # Starlette 1.x suggests httpx2 for its TestClient; httpx works
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient
from inhouse.serve.app import create_app
from inhouse.serve.config import ServeConfig, load_config
from inhouse.serve.keys import SCOPES
from inhouse.serve.loaded import Models
from inhouse.serve.state import State
from inhouse.serve.state_registry import open_state
from inhouse.support.retrieve.registry import make_retriever
from inhouse.support.route.registry import make_router
from tests.recommend import checkerboard as cb
from tests.serve import postgres
from tests.support.retrieve.test_retrieve import articles_frame, shared_embedder
from tests.support.route.test_router import INTENTS, TEXTS


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    mp = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("inhouse-cache")
    mp.setenv("INHOUSE_CACHE_DIR", str(folder))
    mp.setenv("INHOUSE_REGISTRY", str(folder / "models.json"))
    yield folder
    mp.undo()


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory: pytest.TempPathFactory, _private_cache: Path) -> Path:
    """A folder with router/, index/ and rec/ in it."""
    return build_artifacts(tmp_path_factory.mktemp("served"))


def build_artifacts(root: Path) -> Path:
    """Fit and save the tiny router, index and recommender into `root` (benchmarks use it)."""
    make_router("logistic", shared_embedder()).fit(TEXTS, INTENTS).save(root / "router")
    retriever = make_retriever("hybrid", shared_embedder())
    retriever.index(articles_frame())
    retriever.save(root / "index")
    rec = make("cooc")
    rec.fit(cb.events(), cb.catalog())
    rec.save(root / "rec")
    return root


def bench_artifacts(root: Path) -> Path:
    """For a benchmark: `root` as its private inhouse cache, and the artifacts in `root/art`."""
    os.environ["INHOUSE_CACHE_DIR"] = str(root / "cache")
    os.environ["INHOUSE_REGISTRY"] = str(root / "cache" / "models.json")
    (root / "art").mkdir()
    return build_artifacts(root / "art")


SQLITE = 'state = "state.sqlite3"'


def write_config(folder: Path, artifacts: Path, extra: str = "", state: str = SQLITE) -> Path:
    """A serve.toml in `folder` serving the test artifacts (state and audit log in `folder`);
    `state` is the line that names the state (a `state_url = ...` for PostgreSQL)."""
    path = folder / "serve.toml"
    path.write_text(
        f"""
{state}
audit_log = "audit.jsonl"
machine_usd_per_hour = 3.6
machine_cpus = 1
{extra}

[recommenders]
shop = "{artifacts / "rec"}"

[routers]
bank-router = "{artifacts / "router"}"

[indexes]
bank-help = "{artifacts / "index"}"
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def models(artifacts: Path, tmp_path_factory: pytest.TempPathFactory) -> Models:
    """Everything the test config names, loaded once for the session."""
    return Models.load(load_config(write_config(tmp_path_factory.mktemp("c"), artifacts)))


@pytest.fixture
def config(tmp_path: Path, artifacts: Path) -> ServeConfig:
    return load_config(write_config(tmp_path, artifacts))


@dataclass
class Live:
    """A running server: its base URL, its state and its config."""

    url: str
    state: State
    config: ServeConfig


def start(config: ServeConfig, models: Models) -> Iterator[Live]:
    """Serve `config` (with the already loaded `models`) until the generator is closed."""
    state = open_state(config)
    # the tests' client connects from this process: the egress guard would refuse it (it is
    # tested in-process, in test_egress.py, and in real server processes)
    app = create_app(config, loaded=models, state=state, guard_egress=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start in 20 s"
        time.sleep(0.01)
    try:
        yield Live(f"http://127.0.0.1:{port}", state, config)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        state.close()


@pytest.fixture
def live(config: ServeConfig, models: Models) -> Iterator[Live]:
    yield from start(config, models)


@dataclass
class Http:
    """The app in-process (Starlette's TestClient): `call` sends with a fresh key of `scopes`."""

    client: TestClient
    state: State
    config: ServeConfig
    naming: threading.Lock = field(default_factory=threading.Lock)

    def key(self, scopes: Sequence[str] = SCOPES, **limits: Any) -> str:
        with self.naming:  # requests sent from several threads each get their own key name
            name = f"key{len(self.state.list_keys())}"
            return self.state.create_key(name, list(scopes), **limits)[1]

    def post(self, path: str, body: Any, scopes: Sequence[str] = SCOPES, **kw: Any) -> Response:
        headers = {"Authorization": f"Bearer {self.key(scopes)}", **kw.pop("headers", {})}
        return self.client.post(path, json=body, headers=headers, **kw)


def in_process(config: ServeConfig, models: Models) -> Iterator[Http]:
    state = open_state(config)
    try:
        with TestClient(create_app(config, loaded=models, state=state)) as client:
            yield Http(client, state, config)
    finally:
        state.close()


@pytest.fixture
def http(config: ServeConfig, models: Models) -> Iterator[Http]:
    yield from in_process(config, models)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server of this session (per xdist worker), started in ~2 s."""
    bindir = postgres.binaries()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb on PATH or in /usr/lib/postgresql/*/bin); "
            "`apt-get install postgresql`, as .ci/run does"
        )
    with postgres.server(bindir) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    name = f"t{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        fast = " STRATEGY FILE_COPY" if db.info.server_version >= 150000 else ""
        db.execute(f"CREATE DATABASE {name}{fast}")  # type: ignore[arg-type]
    return f"{postgres_server.rsplit('/', 1)[0]}/{name}"
