"""Outbound calls from the server go only to the backends `serve.toml` names.

While the app runs, each worker guards `socket.socket.connect` and `connect_ex`: a TCP
connection to any address that is not one of the configured backends (the generators'
URLs) is refused with `EgressRefused` and logged, whichever library makes it: the `openai`
client following a redirect, a model hub download, telemetry. It fails closed: the request
that needed the call gets an error, and nothing leaves the box. Unix sockets are local and
pass.

    >>> with guarded(Egress(["http://gpu-box:8000/v1"])):
    ...     ...                                   # only gpu-box:8000 can be reached
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("inhouse.serve.egress")

PORTS = {"http": 80, "https": 443}
INET = (socket.AF_INET, socket.AF_INET6)


class EgressRefused(ConnectionRefusedError):
    """A connection to an address no configured backend has."""


def _ip(host: str) -> str:
    return ipaddress.ip_address(host.split("%")[0]).compressed


def resolve(host: str, port: int) -> set[tuple[str, int]]:
    """Every (ip, port) that `host` resolves to; empty when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {(_ip(str(info[4][0])), port) for info in infos}


class Egress:
    """The addresses the server may connect to: those of `urls`, resolved once."""

    def __init__(self, urls: Iterable[str]) -> None:
        self.allowed: set[tuple[str, int]] = set()
        for url in urls:
            parts = urlsplit(url)
            host, port = parts.hostname or "", parts.port or PORTS.get(parts.scheme, 80)
            found = resolve(host, port)
            if not found:
                log.warning("egress: %s does not resolve now; calls to it will fail", url)
            self.allowed |= found

    def check(self, address: Any) -> None:
        """Refuse (and log) a connection to `address` unless a backend has it."""
        host, port = str(address[0]), int(address[1])
        try:
            targets = {(_ip(host), port)}
        except ValueError:  # a host name: where connect would go
            targets = resolve(host, port)
        if targets and targets <= self.allowed:
            return
        log.warning("egress refused: %s:%s is not a backend named in serve.toml", host, port)
        raise EgressRefused(
            errno.ECONNREFUSED,
            f"egress refused: {host}:{port} is not a backend named in serve.toml",
        )


_stack: list[Egress] = []  # the innermost guard decides
_lock = threading.Lock()
_original = {"connect": socket.socket.connect, "connect_ex": socket.socket.connect_ex}


def _guard(name: str) -> Any:
    original = _original[name]

    def guarded_call(self: socket.socket, address: Any) -> Any:
        if _stack and self.family in INET:
            _stack[-1].check(address)
        return original(self, address)

    return guarded_call


@contextmanager
def guarded(egress: Egress) -> Iterator[Egress]:
    """Only `egress`'s addresses can be connected to inside the block (process-wide)."""
    with _lock:
        if not _stack:
            for name in _original:
                setattr(socket.socket, name, _guard(name))
        _stack.append(egress)
    try:
        yield egress
    finally:
        with _lock:
            _stack.remove(egress)
            if not _stack:
                for name, original in _original.items():
                    setattr(socket.socket, name, original)
