"""The server connects only to the generator backends serve.toml names; anything else fails
closed, and the refusal is logged."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from inhouse.serve.config import SUPPORT_MODEL, load_config
from inhouse.serve.egress import Egress, EgressRefused, guarded
from inhouse.serve.loaded import Models
from tests.serve.conftest import in_process, write_config

CARD_STOLEN = "my card was stolen, write to me at jane.doe@example.com"


class Upstream:
    """A stand-in OpenAI-compatible backend on 127.0.0.1: it answers chat completions, or
    redirects them to `redirect_to`; it keeps every body it received."""

    def __init__(self, redirect_to: str | None = None) -> None:
        self.bodies: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                if redirect_to is not None:
                    self.send_response(307)
                    self.send_header("Location", f"{redirect_to}/chat/completions")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                reply = {
                    "id": "c1", "object": "chat.completion", "created": 0, "model": "m",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": "Freeze it [1]."}}],
                }  # fmt: skip
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstreams() -> Iterator[tuple[Upstream, Upstream]]:
    """A backend that answers, and one (named in no config) that answers too if reached."""
    listed, elsewhere = Upstream(), Upstream()
    yield listed, elsewhere
    listed.close()
    elsewhere.close()


def test_only_the_named_backends_can_be_reached_inside_the_guard(upstreams, caplog) -> None:
    listed, elsewhere = upstreams
    port = lambda u: int(u.url.split(":")[-1].split("/")[0])  # noqa: E731
    with guarded(Egress([listed.url])):
        socket.create_connection(("127.0.0.1", port(listed)), timeout=5).close()
        with caplog.at_level(logging.WARNING), pytest.raises(EgressRefused):
            socket.create_connection(("127.0.0.1", port(elsewhere)), timeout=5)
        with pytest.raises(EgressRefused):
            socket.create_connection(("localhost", port(elsewhere)), timeout=5)  # by name too
    assert f"egress refused: 127.0.0.1:{port(elsewhere)}" in caplog.text
    socket.create_connection(("127.0.0.1", port(elsewhere)), timeout=5).close()  # lifted


def _server(tmp_path: Path, artifacts: Path, backend: str) -> Iterator:
    extra = f"""
[generators.qwen]
base_url = "{backend}"
model = "qwen2.5"
retries = 0
timeout_s = 5

[support]
generator = "qwen"
"""
    config = load_config(write_config(tmp_path, artifacts, extra))
    yield from in_process(config, Models.load(config))


def test_the_support_assistant_writes_with_the_named_generator(
    tmp_path, artifacts, upstreams
) -> None:
    listed, _ = upstreams
    for http in _server(tmp_path, artifacts, listed.url):
        body = {"model": SUPPORT_MODEL, "messages": [{"role": "user", "content": CARD_STOLEN}]}
        done = http.post("/v1/chat/completions", body).json()
        assert done["choices"][0]["message"]["content"] == "Freeze it [1]."
        assert done["inhouse"]["citations"][0]["article_id"] == "card-lost"
    (sent,) = listed.bodies
    assert sent["model"] == "qwen2.5" and sent["temperature"] == 0.0
    assert "jane.doe@example.com" not in json.dumps(sent)  # redacted before it leaves


def test_a_call_to_a_host_not_named_fails_closed(tmp_path, artifacts, upstreams, caplog) -> None:
    listed, elsewhere = upstreams
    redirecting = Upstream(redirect_to=elsewhere.url)  # the named backend sends us elsewhere
    try:
        for http in _server(tmp_path, artifacts, redirecting.url):
            body = {"model": SUPPORT_MODEL, "messages": [{"role": "user", "content": CARD_STOLEN}]}
            with caplog.at_level(logging.WARNING):
                response = http.post("/v1/chat/completions", body)
            assert response.status_code == 502, response.text
            error = response.json()["error"]
            assert error["type"] == "upstream_error" and "cannot be reached" in error["message"]
    finally:
        redirecting.close()
    assert len(redirecting.bodies) == 1 and elsewhere.bodies == []  # nothing reached it
    assert "egress refused" in caplog.text
