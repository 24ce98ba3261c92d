"""`inhouse serve`: uvicorn in front of the app, one or several worker processes.

Uvicorn drains on SIGTERM: it stops accepting, lets in-flight requests finish (up to
`graceful_seconds`), then exits.
Several workers run under `serve.workers.Workers`: one listening socket each, on one port.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from inhouse.errors import ConfigError
from inhouse.serve.app import CONFIG_ENV
from inhouse.serve.config import load_config
from inhouse.serve.metrics import MULTIPROC_ENV
from inhouse.serve.state_registry import open_state

APP = "inhouse.serve.app:app_from_env"  # uvicorn's factory, imported in each worker


def serve(
    config_path: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    graceful_seconds: int = 30,
    ssl_keyfile: Path | None = None,
    ssl_certfile: Path | None = None,
) -> None:
    """Check the config, then serve it until SIGINT or SIGTERM."""
    import uvicorn

    if workers < 1:
        raise ConfigError(f"--workers {workers}: give 1 or more worker processes")
    if (ssl_keyfile is None) != (ssl_certfile is None):
        raise ConfigError("TLS needs both --ssl-keyfile and --ssl-certfile; give both or neither")
    config_path = Path(config_path).resolve()
    # a bad file, or a state it cannot open (a database down, a wrong secret), fails here,
    # once, not in every worker
    config = load_config(config_path)
    open_state(config).close()
    os.environ[CONFIG_ENV] = str(config_path)
    if workers > 1 and "OMP_NUM_THREADS" not in os.environ:
        # each worker's torch and FAISS threads share the cores with the other workers:
        # oversubscribed OpenMP threads spin against each other
        os.environ["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    made = None
    if workers > 1 and not os.environ.get(MULTIPROC_ENV):
        made = os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="inhouse-metrics-")
    options: dict[str, Any] = {
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "timeout_graceful_shutdown": graceful_seconds,
        "ssl_keyfile": str(ssl_keyfile) if ssl_keyfile else None,
        "ssl_certfile": str(ssl_certfile) if ssl_certfile else None,
        "log_level": "info",
        "access_log": config.access_log,
    }
    try:
        if workers == 1:
            uvicorn.run(APP, **options)
        else:
            from inhouse.serve.workers import Workers

            Workers(uvicorn.Config(APP, **options), workers).run()
    finally:
        if made is not None:  # the workers' metric files live as long as the server
            shutil.rmtree(made, ignore_errors=True)
