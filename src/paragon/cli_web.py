"""CLI commands for the web: ``paragon serve``, ``paragon users add`` and ``paragon demo``."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from paragon.cli_common import (
    DbOption,
    PlanOption,
    err_console,
    out_console,
    run,
    settings_for,
)
from paragon.errors import ParagonError

if TYPE_CHECKING:  # imported when a command runs, not when the command line starts
    from paragon.ops import OpsStore
    from paragon.settings import Settings

HostOption = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")]
PASSWORD_ENV = "PARAGON_NEW_USER_PASSWORD"

users_app = typer.Typer(help="Manage web accounts (analysts and admins).", no_args_is_help=True)


WorkersOption = Annotated[int, typer.Option(
    "--workers", min=1, max=64,
    help="Worker processes (each answers requests on its own; about one per CPU core).")]


def settings_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as ``PARAGON_*`` variables, for worker processes that build their own."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump(mode="json").items():
        if value is None:
            continue
        env[f"PARAGON_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def prepare_to_serve(settings: Settings) -> None:
    """Before any worker starts: publish the warehouse if it changed unpublished (or create an
    empty one) and open the operational store once, so the workers start on a published version."""
    from paragon.publish import ensure_published
    from paragon.warehouse import Warehouse

    db = Path(settings.db)
    if db.exists():
        ensure_published(db, on_wait=lambda message: err_console.print(f"note: {message}"))
    else:
        Warehouse.open(db).close()
    open_ops(settings).close()


def serve_app(settings: Settings, host: str, port: int, *, demo: bool | None = None,
              workers: int = 1) -> None:
    """Run the web server until interrupted: one process, or ``workers`` worker processes."""
    import uvicorn

    from paragon.web.app import create_app

    prepare_to_serve(settings)
    err_console.print(f"Paragon is serving {settings.db} (operational store "
                      f"{settings.ops_location()}) at http://{host}:{port}/ with {workers} "
                      f"worker{'s' if workers > 1 else ''} (Ctrl+C stops)")
    # X-Forwarded-* are read by the app itself, from PARAGON_TRUSTED_PROXIES only.
    options: dict[str, Any] = {"host": host, "port": port, "log_level": "info",
                               "proxy_headers": False, "server_header": False,
                               "timeout_graceful_shutdown": GRACEFUL_SECONDS,
                               "timeout_keep_alive": KEEP_ALIVE_SECONDS}
    if workers == 1:
        uvicorn.run(create_app(settings, demo=demo, warm_cache=True), **options)
        return
    listener = listening_socket(host, port)
    try:
        code = supervise(workers, lambda: _worker(listener, settings, demo, options))
    finally:
        listener.close()
    if code:
        raise typer.Exit(code)


GRACEFUL_SECONDS = 10  # a stopping worker finishes the requests it has for up to this long
# Idle keep-alive connections are kept longer than a reverse proxy keeps its own (nginx: 60 s),
# so the server never closes a connection just as the proxy, or a busy client, sends on it.
KEEP_ALIVE_SECONDS = 75
MIN_WORKER_SECONDS = 10.0  # a worker that ends sooner after its start is not started again


def listening_socket(host: str, port: int) -> socket.socket:
    """The one listening TCP socket that every worker accepts connections on (the kernel hands
    each connection to one of them)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ParagonError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def _worker(listener: socket.socket, settings: Settings, demo: bool | None,
            options: dict[str, Any]) -> None:
    """One worker process (already forked): its own app, nothing open shared with the others
    but the listening socket; serves until SIGINT or SIGTERM."""
    import uvicorn

    from paragon.web.app import create_app

    app = create_app(settings, demo=demo, warm_cache=True)
    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[listener])


def supervise(workers: int, work: Callable[[], None]) -> int:
    """Run ``work`` in ``workers`` processes forked from this one, which has already imported the
    app (so a worker starts in a fraction of a second instead of importing everything again),
    until SIGINT or SIGTERM, which is passed on to every worker; a worker still running
    ``GRACEFUL_SECONDS`` + 5 s later is killed. A worker that ends by itself is replaced, unless
    it ended within ``MIN_WORKER_SECONDS`` of its start (it cannot start: then all stop). Returns
    the exit status: 0 when stopped by a signal."""
    children: dict[int, float] = {}  # pid -> when it started
    stop: dict[str, float] = {}

    def fork() -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the worker
            code = 0
            try:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, signal.SIG_DFL)  # until uvicorn installs its own
                work()
            except KeyboardInterrupt:
                pass
            except BaseException:  # reported, then the worker ends
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = time.monotonic()
        err_console.print(f"worker {pid} started")

    def on_signal(signum: int, frame: object) -> None:
        stop.setdefault("at", time.monotonic())
        for pid in list(children):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        for _ in range(workers):
            if "at" not in stop:
                fork()
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                if "at" in stop and time.monotonic() > stop["at"] + GRACEFUL_SECONDS + 5:
                    for child in children:
                        with suppress(ProcessLookupError):
                            os.kill(child, signal.SIGKILL)
                time.sleep(0.1)
                continue
            started = children.pop(pid, None)
            if started is None or "at" in stop:
                continue
            ran = time.monotonic() - started
            err_console.print(f"worker {pid} ended by itself ({_exit_text(status)}) after "
                              f"{ran:.0f} s")
            if ran < MIN_WORKER_SECONDS:
                err_console.print("error: a worker could not start; stopping the others")
                code = 1
                on_signal(signal.SIGTERM, None)
            else:
                fork()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def _exit_text(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


def serve(host: HostOption = "127.0.0.1", port: PortOption = 8000, db: DbOption = None,
          plan: PlanOption = None, workers: WorkersOption = 1) -> None:
    """Serve the public site, the analyst dashboard and the admin pages. Ingests and every other
    command keep working while it runs: the site reads the newest published version of the
    warehouse and moves to a newer one within seconds, without a restart."""

    def body() -> None:
        settings = settings_for(db, plan)
        settings.require_secret()
        if not Path(settings.db).exists():
            err_console.print(f"note: no warehouse at {settings.db} yet; an empty one is created")
        serve_app(settings, host, port, workers=workers)

    run(body)


def _new_password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True,
                                 err=True)
    return password


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name (lower case, 2 to 40 characters).")],
    role: Annotated[str, typer.Option("--role", help="analyst or admin")] = "analyst",
    db: DbOption = None,
) -> None:
    """Add a web account. The password comes from PARAGON_NEW_USER_PASSWORD or a prompt."""
    from paragon.web.auth import add_user, check_name, check_role

    def body() -> None:
        check_name(name)
        check_role(role)
        password = _new_password()
        with open_ops(settings_for(db)) as ops:
            user = add_user(ops, name, role, password)
        err_console.print(f"added {user.name} ({user.role})")

    run(body)


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List web accounts and their roles."""
    from paragon.web.auth import list_users

    def body() -> None:
        with open_ops(settings_for(db)) as ops:
            for u in list_users(ops):
                state = "active" if u["active"] else "blocked"
                out_console.print(f"{u['user_name']}\t{u['role']}\t{state}", highlight=False)

    run(body)


def open_ops(settings: Settings) -> OpsStore:
    """The operational store of ``settings`` (users, sessions, priorities): it allows many
    writers, so these commands work while `paragon serve` runs."""
    from paragon.ops import open_for_warehouse

    return open_for_warehouse(settings.ops_location(), Path(settings.db))


def default_demo_path() -> Path:
    """The demo warehouse: in the user data directory, or ./.demo if that cannot be written."""
    from platformdirs import user_data_dir

    preferred = Path(user_data_dir("paragon")) / "demo" / "paragon.duckdb"
    try:
        preferred.parent.mkdir(parents=True, exist_ok=True)
        return preferred
    except OSError:
        return Path(".demo") / "paragon.duckdb"


def demo(
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Only build the demo warehouse.")]
    = False,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    db: DbOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the synthetic data.")] = 2011,
) -> None:
    """Build the synthetic West Midlands demo warehouse, then serve it with demo accounts."""

    def body() -> None:
        from paragon.demo import build_demo

        path = db or default_demo_path()
        summary = build_demo(path, seed=seed,
                             progress=lambda msg: err_console.print(f"demo: {msg}"))
        err_console.print(f"demo warehouse built at {path} in {summary.get('seconds', '?')} s")
        if no_serve:
            return
        from paragon.settings import Settings

        settings = Settings(db=path, secret_key=secrets.token_urlsafe(32))
        _demo_accounts(settings)
        serve_app(settings, host, port, demo=True)

    run(body)


def _demo_accounts(settings: Settings) -> None:
    from paragon.web.auth import add_user, remove_user

    with open_ops(settings) as ops:
        for name in ("analyst", "admin"):
            password = secrets.token_urlsafe(12)
            remove_user(ops, name)
            add_user(ops, name, name, password)
            err_console.print(f"demo {name} account: user name [bold]{name}[/bold], "
                              f"password [bold]{password}[/bold]", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to app."""
    app.command("serve")(serve)
    app.command("demo")(demo)
    app.add_typer(users_app, name="users")


__all__ = ["ParagonError", "register"]
