"""`UpstreamGenerator` against a real third-party OpenAI-compatible server on 127.0.0.1:
llama-cpp-python's own server running the SmolLM2 GGUF (`-m real_weights`); and a server
that is down, which needs nothing."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from inhouse.errors import UpstreamError
from inhouse.generate.upstream import UpstreamGenerator
from tests.generate._real import SMOLLM2, installed_gguf

QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one sentence."}]
# the server's own default repeat penalty is 1.1; the in-process backend uses none
SAME_SAMPLING = {"extra_body": {"repeat_penalty": 1.0}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("llama_cpp")
    for extra in ("sse_starlette", "starlette_context"):
        pytest.importorskip(extra, reason="llama-cpp-python[server] is not installed")
    gguf, port = installed_gguf(SMOLLM2), free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf)]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_threads", "1"]
    command += ["--n_ctx", "2048", "--chat_format", "chat_template.default"]
    log = tmp_path_factory.mktemp("server") / "server.log"
    with open(log, "wb") as out:  # a file, not a pipe: its verbose log would fill a pipe
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "llama_cpp.server did not start in 90 s"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.real_weights
def test_chat_and_stream_through_a_real_server(server: str) -> None:
    smol = UpstreamGenerator("smol", server, "smollm2", max_tokens=24)
    reply = smol.chat(QUESTION, **SAME_SAMPLING)
    assert "Paris" in reply
    assert smol.chat(QUESTION, **SAME_SAMPLING) == reply
    pieces = list(smol.stream(QUESTION, **SAME_SAMPLING))
    assert len(pieces) > 3 and "".join(pieces) == reply
    short = smol.chat(QUESTION, max_tokens=3, **SAME_SAMPLING)
    assert reply.startswith(short) and len(short) < len(reply)
    word = reply.split()[2]
    assert smol.chat(QUESTION, stop=[word], **SAME_SAMPLING) == reply[: reply.find(word)]


@pytest.mark.real_weights
def test_the_server_answers_as_the_in_process_backend_does(server: str) -> None:
    from inhouse.generate.llama import LlamaCppGenerator

    local = LlamaCppGenerator("smol", installed_gguf(SMOLLM2), n_threads=1, n_ctx=2048)
    remote = UpstreamGenerator("smol", server, "smollm2", max_tokens=32)
    assert remote.chat(QUESTION, **SAME_SAMPLING) == local.chat(QUESTION, max_tokens=32)


@pytest.mark.real_weights
def test_a_bad_request_is_an_upstream_error_naming_the_status(server: str) -> None:
    smol = UpstreamGenerator("smol", server, "smollm2", retries=0)
    # llama-cpp-python's server answers a request that fails validation with 500
    with pytest.raises(
        UpstreamError,
        match=r"'smol' at http://127.0.0.1:\d+/v1 answered 500.*"
        r"validation errors",
    ):
        smol.chat([{"role": "wizard", "content": "hello"}])  # not an OpenAI role


def test_a_server_that_is_down_fails_quickly() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    down = UpstreamGenerator("down", url, "smollm2", timeout_s=5, retries=1)
    start = time.perf_counter()
    with pytest.raises(UpstreamError, match=r"'down' at .* cannot be reached"):
        down.chat(QUESTION)
    with pytest.raises(UpstreamError, match="cannot be reached"):
        list(down.stream(QUESTION))
    assert time.perf_counter() - start < 15
