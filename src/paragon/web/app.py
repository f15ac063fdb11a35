"""The web application factory: ``create_app(settings)``.

The app renders in-process too (``fastapi.testclient.TestClient(create_app(settings))``), so tests
and reports use the same code path as the server.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import paragon
from paragon.settings import Settings
from paragon.warehouse import Warehouse
from paragon.web.context import WebContext
from paragon.web.errors import install_error_handlers
from paragon.web.http_cache import GZIP_LEVEL, GZIP_MINIMUM, HttpCacheMiddleware
from paragon.web.routes import admin, analyst, areas, jobs, login, policeuk, public, tasking
from paragon.web.security import SecurityMiddleware

log = logging.getLogger("paragon.web")
STATIC_DIR = Path(str(resources.files("paragon.web").joinpath("static")))
DEMO_ENV = "_PARAGON_SERVE_DEMO"  # set by `paragon demo` for its worker processes


SHUTDOWN_WAIT_SECONDS = 60
FIRST_ANSWER_WAIT_SECONDS = 5.0  # warming waits this long for the first answer to be sent


def warm(ctx: WebContext, stop: threading.Event | None = None,
         answered: threading.Event | None = None) -> None:
    """Compute the figures the busiest pages need, so the first visitor does not wait: the
    overview's first (a visitor asking for it meanwhile waits for the same computation, not a
    second one beside it). ``stop`` set (the server is shutting down) ends it between figures.
    With ``answered`` it starts once that is set (the first answer has been sent) or after
    FIRST_ANSWER_WAIT_SECONDS: a server just started answers its first visitor first (the
    figures' modules, numpy and scipy among them, are imported after the wait too)."""
    if answered is not None:
        waited_until = time.monotonic() + FIRST_ANSWER_WAIT_SECONDS
        while not answered.wait(0.05) and time.monotonic() < waited_until:
            if stop is not None and stop.is_set():
                return
    from paragon.web.data.adapters import display_year
    from paragon.web.data.analysis import dashboard_rows
    from paragon.web.data.areas import area_index
    from paragon.web.data.local import crime_summary
    from paragon.web.routes.public import overview_data

    try:
        plan = ctx.plan()
        overview_data(ctx, None)
        index = area_index(ctx)
        if stop is not None and stop.is_set():
            return
        dashboard_rows(ctx, display_year(ctx, plan), None)
        for area in [index.force, *index.lpus.values()]:
            if stop is not None and stop.is_set():
                return
            crime_summary(ctx, area)
    except Exception:  # warming is an optimisation: a failure here must not stop the server
        log.exception("could not pre-compute figures")


class FirstAnswerMiddleware:
    """Sets ``answered`` when the first answer has been sent (warming starts then)."""

    def __init__(self, app: ASGIApp, answered: threading.Event) -> None:
        self.app = app
        self.answered = answered

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.answered.is_set():
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.answered.set()


def follow(ctx: WebContext, stop: threading.Event) -> None:
    """Move to a newly published version (and load its stored figures) off the request path:
    the request that would have noticed the new pointer finds the move done."""
    from paragon.web.context import CHECK_SECONDS

    while not stop.wait(CHECK_SECONDS / 2):
        try:
            ctx.refresh()
        except Exception:  # a request's own check reports a lasting problem
            log.exception("could not move to the newest published version")


def create_app(settings: Settings, *, warehouse: Warehouse | None = None,
               demo: bool | None = None, warm_cache: bool = False) -> FastAPI:
    """The Paragon web app for ``settings`` (refuses a missing or placeholder secret key).

    ``warehouse`` reuses an open warehouse (tests); otherwise ``settings.db`` is opened on first
    use. ``demo`` forces the synthetic-data banner on or off (default: read from the warehouse).
    """
    settings.require_secret()
    ctx = WebContext(settings, warehouse=warehouse, demo=demo)
    answered = threading.Event()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ctx.ops  # noqa: B018  (opened, and copied from an older warehouse, before any request)
        stop = threading.Event()
        warmer = threading.Thread(target=warm, args=(ctx, stop, answered),
                                  name="paragon-warm", daemon=True)
        follower = threading.Thread(target=follow, args=(ctx, stop), name="paragon-follow",
                                    daemon=True)
        with contextlib.ExitStack() as serving:
            if warm_cache:  # a real server: what is published while it serves is warmed
                from paragon.web import figures

                figures.warm_after_publish()
                serving.enter_context(figures.serving(settings.db))
                warmer.start()
                follower.start()
            yield
        # the warehouse is not closed under a query still running: the warm-up finishes the
        # figure it is on first
        stop.set()
        for thread in (warmer, follower):
            if thread.is_alive():
                thread.join(timeout=SHUTDOWN_WAIT_SECONDS)
        ctx.close()

    app = FastAPI(
        title="Paragon",
        version=paragon.__version__,
        description="Public accountability and performance monitoring for a police force's "
        "strategic plan. Every page answers as JSON with `?format=json` or "
        "`Accept: application/json`; every JSON error is `{\"ok\": false, \"error\", \"status\"}`.",
        lifespan=lifespan,
        docs_url=None,  # Swagger UI would load scripts from a CDN: the OpenAPI JSON is enough
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.ctx = ctx
    app.state.proxy_networks = settings.proxy_networks()
    app.state.hash_slots = threading.BoundedSemaphore(settings.login_hash_concurrency)
    install_error_handlers(app)
    for module in (public, areas, login, analyst, policeuk, tasking, admin, jobs):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/health", tags=["public"], summary="Is the server up")
    def health() -> JSONResponse:
        return JSONResponse({"ok": True})

    app.add_middleware(HttpCacheMiddleware)
    # level 5: most of level 9's saving for a fraction of its time (a 500 kB map in ~10 ms)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    app.add_middleware(SecurityMiddleware)
    app.add_middleware(FirstAnswerMiddleware, answered=answered)
    app.add_middleware(ServerTimingMiddleware)
    return app


class ServerTimingMiddleware:
    """``Server-Timing: app;dur=MS`` on every answer: the milliseconds from the request reaching
    the app to its headers being sent (the web benchmark reads it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message["headers"] = [*message.get("headers", []),
                                      (b"server-timing", f"app;dur={took:.2f}".encode())]
            await send(message)

        await self.app(scope, receive, send_timed)


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``paragon serve --workers N``: the settings come from the
    ``PARAGON_*`` environment the command set before starting the workers."""
    import os

    demo = {"1": True, "0": False}.get(os.environ.get(DEMO_ENV, ""))
    return create_app(Settings(), demo=demo, warm_cache=True)
