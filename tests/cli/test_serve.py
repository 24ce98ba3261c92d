"""`inhouse serve`, `inhouse keys`, `inhouse usage` and `inhouse audit` through the entry point."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from inhouse.serve.audit import AuditLog
from inhouse.serve.state import SqliteState, UsageRow


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """`inhouse ARGS...` in this process: (exit code, stdout, stderr)."""
    import typer

    import inhouse.cli as cli

    monkeypatch.setattr(cli, "app", typer.Typer(name="inhouse", pretty_exceptions_enable=False))
    monkeypatch.setenv("COLUMNS", "200")
    capsys.readouterr()
    try:
        cli.main(list(args))
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "serve.toml"
    path.write_text('embedders = []\nstate = "state.sqlite3"\n')
    return path


def test_keys_create_list_rotate_revoke(monkeypatch, capsys, config: Path) -> None:
    c = ["--config", str(config)]
    code, _, err = run(monkeypatch, capsys, "keys", "list", *c)
    assert code == 2 and "no state database yet" in err
    assert not (config.parent / "state.sqlite3").exists()
    code, out, err = run(
        monkeypatch, capsys, "keys", "create", "--name", "web", "--scopes", "chat,embeddings",
        "--rpm", "60", "--budget-usd", "50", *c,
    )  # fmt: skip
    assert code == 0, err
    token = out.strip().splitlines()[-1]
    state = SqliteState(config.parent / "state.sqlite3")
    assert state.authenticate(token).scopes == ("embeddings", "chat")  # type: ignore[union-attr]
    code, out, _ = run(monkeypatch, capsys, "keys", "list", *c)
    assert code == 0 and "web" in out and "embeddings,chat" in out and token not in out
    code, out, _ = run(monkeypatch, capsys, "keys", "rotate", "web", *c)
    new = out.strip().splitlines()[-1]
    assert code == 0 and state.authenticate(token) is None and state.authenticate(new)
    assert run(monkeypatch, capsys, "keys", "revoke", "web", *c)[0] == 0
    assert "revoked" in run(monkeypatch, capsys, "keys", "list", *c)[1]
    code, _, err = run(monkeypatch, capsys, "keys", "create", "--name", "x", "--scopes", "root", *c)
    assert code == 2 and "unknown scope root" in err


def test_usage_prints_tsv_when_not_a_terminal(monkeypatch, capsys, config: Path) -> None:
    state = SqliteState(config.parent / "state.sqlite3")
    now = time.time()
    state.record(UsageRow(now, "web", "/v1/embeddings", "minilm", 200, 12, 0, 0.25, 0.001))
    state.record(UsageRow(now, "web", "/v1/embeddings", "minilm", 400))
    code, out, err = run(monkeypatch, capsys, "usage", "--config", str(config), "--by", "model")
    assert code == 0, err
    header, row = out.strip().splitlines()
    assert header.split("\t")[:3] == ["model", "requests", "errors"]
    assert row.split("\t") == ["minilm", "2", "1", "12", "0", "0.250", "0.001000"]
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # Rich takes stdout for a terminal: a table
    code, out, _ = run(monkeypatch, capsys, "usage", "--config", str(config), "--by", "model")
    assert code == 0 and "Usage since 7d, by model" in out and "│ minilm" in out
    code, _, err = run(monkeypatch, capsys, "usage", "--config", str(config), "--since", "soon")
    assert code == 2 and "--since 'soon'" in err
    code, out, _ = run(monkeypatch, capsys, "usage", "--config", str(config), "--json")
    assert code == 0 and json.loads(out)[0] == {
        "key": "web", "requests": 2, "errors": 1, "tokens_in": 12, "tokens_out": 0,
        "cpu_seconds": 0.25, "usd": 0.001,
    }  # fmt: skip


def test_audit_verify_passes_then_names_the_broken_line(monkeypatch, capsys, tmp_path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(4):
        log.append({"endpoint": "/v1/models", "status": 200, "n": i})
    code, out, _ = run(monkeypatch, capsys, "audit", "verify", str(path))
    assert code == 0 and "4 lines, chain intact" in out
    code, out, _ = run(monkeypatch, capsys, "audit", "verify", str(path), "--json")
    assert code == 0 and json.loads(out) == {"file": str(path), "lines": 4, "intact": True}
    lines = path.read_text().splitlines()
    record = json.loads(lines[1])
    record["status"] = 401
    lines[1] = json.dumps(record, separators=(",", ":"))
    path.write_text("\n".join(lines) + "\n")
    code, _, err = run(monkeypatch, capsys, "audit", "verify", str(path))
    assert code == 2 and f"{path}:2: audit chain broken" in " ".join(err.split())


@contextmanager
def serving(config: Path, *flags: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`inhouse serve --config CONFIG FLAGS` in a subprocess on a free port, until healthy."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "INHOUSE_CACHE_DIR": str(config.parent / "cache")}
    command = [sys.executable, "-m", "inhouse", "serve", "--config", str(config)]
    proc = subprocess.Popen(
        [*command, "--port", str(port), *flags],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group: workers included, all are stopped
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read()  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/health").status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.terminate()  # uvicorn stops its worker processes on SIGTERM
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        with contextlib.suppress(ProcessLookupError):  # a worker left behind by a crash
            os.killpg(proc.pid, signal.SIGKILL)


def test_sigterm_lets_the_request_in_flight_finish(config: Path) -> None:
    _, token = SqliteState(config.parent / "state.sqlite3").create_key("web", ["embeddings"])
    sent, go_on = threading.Event(), threading.Event()

    def body() -> Iterator[bytes]:  # the request is in flight until its body has all arrived
        yield b'{"model": "no-such-model", '
        sent.set()
        go_on.wait(30)
        yield b'"input": ["where is my card?"]}'

    with serving(config) as (proc, url), ThreadPoolExecutor(1) as pool:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        url_ = f"{url}/v1/embeddings"
        pending = pool.submit(httpx.post, url_, content=body(), headers=headers, timeout=60)
        assert sent.wait(30)
        time.sleep(0.3)  # the server has the headers and is reading the body
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        assert proc.poll() is None, "the server left before the request in flight finished"
        go_on.set()
        response = pending.result(timeout=60)
        # uvicorn shuts down gracefully, then re-raises the signal it caught
        assert proc.wait(timeout=30) in (0, -signal.SIGTERM)
        err = proc.stderr.read()  # type: ignore[union-attr]
    # the whole answer, from the app: this server serves no such model
    assert response.status_code == 404 and "no-such-model" in response.json()["error"]["message"]
    assert "Shutting down" in err and "Finished server process" in err
    with pytest.raises(httpx.TransportError):  # and it is gone
        httpx.get(f"{url}/health")


def test_workers_share_rate_limits_and_metrics(config: Path) -> None:
    state = SqliteState(config.parent / "state.sqlite3")
    _, token = state.create_key("web", ["admin"], rpm=6)
    _, admin = state.create_key("ops", ["admin"])
    with serving(config, "--workers", "2") as (_, url):
        if time.time() % 60 > 55:  # keep the requests in one minute window
            time.sleep(60.5 - time.time() % 60)
        headers = {"Authorization": f"Bearer {token}"}
        # a new connection per request, so that both workers take some
        codes = [httpx.get(f"{url}/v1/models", headers=headers).status_code for _ in range(12)]
        metrics = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {admin}"})
    assert codes.count(200) == 6 and codes.count(429) == 6
    assert sum(t.requests for t in state.usage(0, "key")) == 12  # /metrics is not metered
    # one scrape sums every worker (prometheus-client's multiprocess mode)
    assert 'inhouse_requests_total{endpoint="/v1/models",status="200"} 6.0' in metrics.text
    assert 'inhouse_requests_total{endpoint="/v1/models",status="429"} 6.0' in metrics.text


def test_workers_share_a_burst_of_connections(config: Path) -> None:
    import psutil

    with serving(config, "--workers", "2") as (proc, url):
        port = int(url.rsplit(":", 1)[1])
        deadline = time.monotonic() + 60
        while True:  # until both workers listen (the first answered /health already)
            workers = psutil.Process(proc.pid).children(recursive=True)
            listening = [
                w
                for w in workers
                if any(c.status == "LISTEN" and c.laddr.port == port for c in w.net_connections())
            ]
            if len(listening) == 2:
                break
            assert time.monotonic() < deadline, "the second worker did not start"
            time.sleep(0.1)
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        try:
            for c in clients:  # one request on each, so that every connection is accepted
                c.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            for c in clients:
                assert c.recv(4096).startswith(b"HTTP/1.1 200")
            held = []
            for worker in listening:
                conns = worker.net_connections(kind="tcp")
                held.append(sum(c.laddr.port == port and c.status == "ESTABLISHED" for c in conns))
        finally:
            for c in clients:
                c.close()
    held = sorted(h for h in held if h)
    assert sum(held) == 16 and len(held) == 2, held  # both workers took some


def test_bad_config_is_one_message(monkeypatch, capsys, tmp_path: Path) -> None:
    (tmp_path / "serve.toml").write_text("workers = 2\n")
    code, _, err = run(monkeypatch, capsys, "serve", "--config", str(tmp_path / "serve.toml"))
    assert code == 2 and "workers: unknown field" in err and "Traceback" not in err
