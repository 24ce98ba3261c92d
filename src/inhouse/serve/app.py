"""The FastAPI application: routers, OpenAI-shaped errors, metering, CORS when configured.

    >>> app = create_app(load_config(Path("serve.toml")))
    >>> uvicorn.run(app)                       # or `inhouse serve --config serve.toml`

`app_from_env` is the factory each uvicorn worker calls (`--workers N`): it reads the config
file named by `INHOUSE_SERVE_CONFIG`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from inhouse import __version__
from inhouse.errors import ConfigError
from inhouse.redact import Redactor
from inhouse.serve import errors
from inhouse.serve.audit import AuditLog
from inhouse.serve.batching import Arrivals, Batchers
from inhouse.serve.config import ServeConfig, load_config
from inhouse.serve.context import Context
from inhouse.serve.egress import Egress, guarded
from inhouse.serve.loaded import Models
from inhouse.serve.metering import tokens
from inhouse.serve.metrics import Metrics
from inhouse.serve.middleware import Metering
from inhouse.serve.routers import chat, embeddings, models, recommend, support
from inhouse.serve.state import State
from inhouse.serve.state_registry import open_state

CONFIG_ENV = "INHOUSE_SERVE_CONFIG"


def create_app(
    config: ServeConfig,
    loaded: Models | None = None,
    state: State | None = None,
    guard_egress: bool = True,
) -> FastAPI:
    """The server for `config`; `loaded` and `state` may be given (tests share them).

    While it runs, outbound connections are guarded process-wide (`serve.egress`): only the
    configured backends can be reached. `guard_egress=False` is for a test that runs the
    server and its own HTTP client in one process."""
    from inhouse.settings import get_settings

    tokens(["warm up"], config.tokenizer)  # load the tokenizer now, not on the first request
    loaded = loaded if loaded is not None else Models.load(config)
    arrivals = Arrivals()
    ctx = Context(
        config=config,
        state=state if state is not None else open_state(config),
        models=loaded,
        audit=AuditLog(config.audit_log, config.audit_fsync_ms),
        redactor=Redactor(get_settings().pii_patterns),
        metrics=Metrics(),
        usd_per_cpu_second=config.usd_per_cpu_second(),
        batchers=Batchers.of(loaded, config.batch_window_ms, config.max_batch, arrivals),
        arrivals=arrivals,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        allowed = Egress(config.backend_urls()) if guard_egress else None
        with guarded(allowed) if allowed is not None else contextlib.nullcontext():
            yield
        ctx.audit.sync()
        if state is None:  # we opened it
            ctx.state.close()

    app = FastAPI(
        title="inhouse",
        version=__version__,
        description="OpenAI-compatible embeddings and chat, recommendations and support.",
        lifespan=lifespan,
        openapi_url=None,  # served below, behind a key: only /health answers without one
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    errors.install(app)
    routers = [m.router for m in (models, embeddings, chat, recommend, support)]
    for router in routers:
        app.include_router(router, responses=errors.RESPONSES)
    models.add_metrics(app.router, public=config.metrics_public)
    ctx.metrics.paths = {"/metrics", *(r.path for router in routers for r in router.routes)}
    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=config.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(Metering, ctx=ctx)  # outermost of ours: it times everything inside
    return app


def app_from_env() -> FastAPI:
    """The app of the config file named by `INHOUSE_SERVE_CONFIG` (uvicorn's factory)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise ConfigError(f"{CONFIG_ENV} is not set; start the server with `inhouse serve`")
    return create_app(load_config(Path(path)))
