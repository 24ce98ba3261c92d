"""`inhouse serve --workers N`: N uvicorn workers, each with its own listening socket.

Uvicorn's own supervisor gives every worker one shared socket. libuv (under uvloop) accepts
every waiting connection at each wake-up, so a burst of new keep-alive connections (a load
balancer's pool, a load generator) lands on whichever worker woke first while the others idle:
16 connections of 16 on one of two workers, seen with `ss` while wrk drove the server as
`benchmarks/serve_load.py` does (`tests/cli/test_serve.py` checks the spread now).

Here the supervisor binds one socket per worker, all on the same port with `SO_REUSEPORT`, and
the kernel spreads new connections over them. It keeps each socket open for its slot, so when a
worker dies (a `kill -9`) the connections that arrive for it wait in its socket's queue until
its replacement takes them, instead of being refused. Each worker is uvicorn's own `Process`:
its server, its health pings, its graceful drain on SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from typing import Any

logger = logging.getLogger("uvicorn.error")
CHECK_SECONDS = 0.5


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host:port` that other sockets may bind too (`SO_REUSEPORT`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


class Workers:
    """Run `count` workers of the uvicorn `config` until SIGINT or SIGTERM, replacing any that
    dies or stops answering its health pings."""

    def __init__(self, config: Any, count: int) -> None:
        self.config, self.count = config, count
        first = reuse_port_socket(config.host, config.port)
        port = first.getsockname()[1]  # the port the kernel chose when asked for port 0
        self.sockets = [first, *(reuse_port_socket(config.host, port) for _ in range(count - 1))]
        self.should_exit = threading.Event()

    def _start(self, slot: int) -> Any:
        from uvicorn.supervisors.multiprocess import Process

        process = Process(self.config, [self.sockets[slot]])
        process.start()
        return process

    def run(self) -> None:
        from uvicorn.config import STARTUP_FAILURE

        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.should_exit.set())
        processes = [self._start(slot) for slot in range(self.count)]
        try:
            while not self.should_exit.wait(CHECK_SECONDS):
                for slot, process in enumerate(processes):
                    if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                        continue
                    process.kill()  # gone, or hung
                    process.join()
                    if process.exitcode == STARTUP_FAILURE:
                        logger.error("Worker [%s] failed to start; stopping", process.pid)
                        self.should_exit.set()
                        break
                    if self.should_exit.is_set():
                        break
                    logger.info("Worker [%s] died; starting another", process.pid)
                    processes[slot] = self._start(slot)
        finally:
            for process in processes:
                process.terminate()  # SIGTERM: each drains its in-flight requests
            for process in processes:
                process.join()
            for sock in self.sockets:
                sock.close()
