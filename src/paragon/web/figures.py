"""Figures computed when data is published, so no visitor waits for them.

When a web server serves the warehouse (each worker marks it: :func:`serving`), the process that
publishes a new version (an ingest, a fetch, the demo, an admin job or plan upload) starts, in the
background, ``python -m paragon.web.figures DB VERSION``. It opens that version read-only, asks
the main pages in process (:func:`main_pages`: the overview, the plan, the area list, map and LPU
pages, the police.uk pages, open data and the dashboard first, then every measure page) and
stores every figure they computed beside the version file::

    paragon.duckdb.published/
        v000012.duckdb            the published version
        v000012.figures           its figures (written under a temporary name, then renamed)
        v000012.figures.warming   present while they are being computed (the warming process id)
        v000012.figures.log       what the warming process said
        serving-4711              a web worker (process 4711) serves this warehouse

A web worker that sees the pointer move to a version still warming keeps answering from the
version it has (up to :data:`WARM_WAIT_SECONDS`), then moves and loads the stored figures into
its cache (:func:`preload`; again when the measure pages' round is stored), so the first request
of each main page computes nothing. A server started later warms its own cache as before.

Only what the new data changes is recomputed: each stored figure carries the tables its queries
read and a fingerprint of their contents (rows, and the ingests that loaded them). Warming a new
version, a figure whose tables have the same fingerprint as in the previous version's figures is
copied, not recomputed (an ingest of stop-and-search files leaves the crime figures as they were).

The figures apply to one context: the plan, the web's write counter (priorities, breaks), the
settings that change figures and the code itself (a hash of every source file: the version
number does not change with every change of code). A worker whose context differs (another
plan, or another Paragon, say) loads nothing and computes as before.

Set ``PARAGON_WARM_AFTER_PUBLISH=0`` to publish without warming.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paragon import publish

if TYPE_CHECKING:
    from paragon.settings import Settings
    from paragon.warehouse import Warehouse
    from paragon.web.context import WebContext

log = logging.getLogger("paragon.web")

FORMAT = 1
OFF_ENV = "PARAGON_WARM_AFTER_PUBLISH"
WARM_WAIT_SECONDS = 6.0  # how long a worker keeps its version while the next one warms: new
# data shown within seconds of its publish outweighs a warm cache (a worker that moves before the
# figures are stored computes what it is asked, and loads the rest when they are stored)
POINTER_WAIT_SECONDS = 30.0  # how long the warming process waits for the pointer to move
ALL_TABLES = "*"  # a figure that read the warehouse other than by query/scalar: never copied
MAIN_PAGES = ("/", "/plan", "/areas", "/map/lpus.geojson", "/stop-search", "/outcomes", "/data",
              "/dashboard")


# --- files ---------------------------------------------------------------------------------------
def figures_file(db: Path | str, version: int) -> Path:
    return publish.layout(db).version_file(version).with_suffix(".figures")


def warming_file(db: Path | str, version: int) -> Path:
    return publish.layout(db).version_file(version).with_suffix(".figures.warming")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_warming(db: Path | str, version: int) -> bool:
    """True while a live process computes the figures of ``version`` (for WARM_WAIT_SECONDS at
    most: a worker does not wait longer than that for them)."""
    if figures_file(db, version).exists():
        return False
    marker = warming_file(db, version)
    try:
        text = marker.read_text("utf-8").strip()
        age = time.time() - marker.stat().st_mtime
    except (FileNotFoundError, OSError):
        return False
    try:
        pid = int(text)
    except ValueError:
        pid = 0
    return age < WARM_WAIT_SECONDS and (pid <= 0 or _pid_alive(pid))


# --- after a publish: start the warming process -------------------------------------------------
_registered = False
_register_lock = threading.Lock()


def warm_after_publish() -> None:
    """Make every later publish by this process start warming the new version's figures."""
    global _registered
    with _register_lock:
        if not _registered:
            publish.on_publish(start_warming)
            _registered = True


def _serving_marks(db: Path | str) -> Path:
    return publish.layout(db).folder


@contextlib.contextmanager
def serving(db: Path | str) -> Iterator[None]:
    """Mark ``db`` as served by this process (a web worker) while inside: publishes then warm
    the figures of their version. Nobody serving, nobody waits: nothing is warmed."""
    folder = _serving_marks(db)
    folder.mkdir(parents=True, exist_ok=True)
    mark = folder / f"serving-{os.getpid()}"
    mark.write_text(f"{os.getpid()}\n", "utf-8")
    try:
        yield
    finally:
        mark.unlink(missing_ok=True)


def is_served(db: Path | str) -> bool:
    """True when a live web worker serves ``db`` (stale marks of dead workers are removed)."""
    alive = False
    for mark in _serving_marks(db).glob("serving-*"):
        number = mark.name.removeprefix("serving-")
        if number.isdigit() and _pid_alive(int(number)):
            alive = True
        else:
            mark.unlink(missing_ok=True)
    return alive


def start_warming(db: Path, version: int) -> subprocess.Popen[bytes] | None:
    """Called by :func:`paragon.publish.publish` before the pointer moves to ``version``: when a
    web server serves ``db``, marks the version as warming and starts
    ``python -m paragon.web.figures`` for it, detached (it outlives the command that published).
    Returns the process (None when nothing serves ``db`` or warming is off)."""
    if os.environ.get(OFF_ENV, "1") == "0" or not is_served(db):
        return None
    marker = warming_file(db, version)
    marker.write_text(f"{os.getpid()}\n", "utf-8")
    log_path = figures_file(db, version).with_suffix(".figures.log")
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "paragon.web.figures", str(db),
                                 str(version)], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    marker.write_text(f"{proc.pid}\n", "utf-8")
    return proc


# --- what the figures depend on ------------------------------------------------------------------
def context_key(ctx: WebContext) -> str:
    """The figures' context: the plan, the web's write counter, the settings that change
    figures, the demo flag and the code itself (:func:`package_fingerprint`)."""
    plan = ctx.plan()
    parts = [FORMAT, package_fingerprint(), plan.model_dump_json(), ctx.generation(),
             str(ctx.settings.postcode_directory), ctx.settings.query_row_cap, ctx.is_demo]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def code_fingerprint(root: Path) -> str:
    """SHA-256 of every Python source below ``root`` (names and contents). The package's version
    number alone did not change with the code: figures stored by older code (another projection
    method, say) would have been served after an upgrade until the next publish."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def package_fingerprint() -> str:
    """:func:`code_fingerprint` of the installed ``paragon`` package, read once per process."""
    import paragon

    return code_fingerprint(Path(paragon.__file__).parent)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Fingerprints:
    """The tables and views of one warehouse version and a fingerprint of each one's contents."""

    def __init__(self, wh: Warehouse) -> None:
        self._wh = wh
        rows = wh.query("SELECT table_name, table_type FROM information_schema.tables "
                        "WHERE table_schema = 'main'")
        self.tables = {r["table_name"].lower() for r in rows if r["table_type"] != "VIEW"}
        views = wh.query("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal")
        self.views = {r["view_name"].lower(): str(r["sql"]) for r in views}
        self._prints: dict[str, str] = {}
        self._lock = threading.Lock()

    def tables_in(self, sql: str) -> set[str]:
        """The tables a statement reads (a view counts as the tables it reads)."""
        found: set[str] = set()
        todo = [sql]
        seen_views: set[str] = set()
        while todo:
            for word in _WORD.findall(todo.pop()):
                name = word.lower()
                if name in self.tables:
                    found.add(name)
                elif name in self.views and name not in seen_views:
                    seen_views.add(name)
                    todo.append(self.views[name])
        return found

    def of(self, table: str) -> str:
        """Rows and the ingests behind them, or a hash of every row for a table without an
        ingest column."""
        with self._lock:
            if table in self._prints:
                return self._prints[table]
            columns = {r["column_name"] for r in self._wh.query(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [table])}
            quoted = '"' + table.replace('"', '""') + '"'
            if "ingest_id" in columns:
                row = self._wh.query(f"SELECT count(*) AS n, max(ingest_id) AS hi, "
                                     f"sum(ingest_id) AS total FROM {quoted}")[0]
            else:
                row = self._wh.query(f"SELECT count(*) AS n, sum(hash(t)) AS h "
                                     f"FROM {quoted} AS t")[0]
            self._prints[table] = repr(sorted(row.items()))
            return self._prints[table]

    def content(self, tables: frozenset[str]) -> str:
        if ALL_TABLES in tables:
            tables = frozenset(self.tables)
        text = repr([(t, self.of(t)) for t in sorted(tables)])
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Entry:
    """One stored figure: its cache key (without the data version), its value, the tables it
    read and their fingerprint."""

    key: tuple[Any, ...]
    value: Any
    tables: frozenset[str]
    content: str


@dataclass
class Stored:
    version: int
    context: str
    entries: list[Entry] = field(default_factory=list)
    computed: int = 0
    copied: int = 0
    seconds: float = 0.0


def read(db: Path | str, version: int) -> Stored | None:
    """The stored figures of ``version``, or None (none stored, or unreadable: they are
    recomputed)."""
    path = figures_file(db, version)
    try:
        with open(path, "rb") as fh:
            stored = pickle.load(fh)  # written by this module beside the warehouse it describes
    except FileNotFoundError:
        return None
    except Exception:  # a damaged or older file is only a cold page, not an error
        log.warning("%s: the stored figures could not be read; they are computed again", path)
        return None
    if not isinstance(stored, Stored) or stored.version != version:
        return None
    return stored


def _write(db: Path | str, stored: Stored) -> Path:
    path = figures_file(db, stored.version)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as fh:
            pickle.dump(stored, fh, protocol=pickle.HIGHEST_PROTOCOL)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def prune(db: Path | str) -> None:
    """Delete figures (and their logs and markers) whose version file is gone."""
    lay = publish.layout(db)
    for path in lay.folder.glob("v*.figures*"):
        number = path.name[1:].split(".", 1)[0]
        if number.isdigit() and not lay.version_file(int(number)).exists():
            path.unlink(missing_ok=True)


# --- a web worker: load them ---------------------------------------------------------------------
def preload(ctx: WebContext) -> int:
    """Put the stored figures of the version ``ctx`` reads into its cache; returns how many
    (0 when none are stored or they belong to another context)."""
    version = ctx.published_version
    if version is None:
        return 0
    stored = read(ctx.settings.db, version)
    if stored is None:
        return 0
    try:
        if stored.context != context_key(ctx):
            log.info("figures of version %s were computed for another plan or settings: not "
                     "loaded", version)
            return 0
        data_version = ctx.data_version()
    except Exception:
        log.exception("could not check the stored figures of version %s", version)
        return 0
    for entry in stored.entries:
        ctx.cache.put((data_version, *entry.key), entry.value)
    return len(stored.entries)


# --- the warming process: compute them -----------------------------------------------------------
class _Recording:
    """A read-only view of a warehouse that notes which tables each figure's queries read."""

    def __init__(self, wh: Warehouse, prints: Fingerprints, frames: Callable[[], list[set[str]]]):
        self._wh = wh
        self._prints = prints
        self._frames = frames

    def _note(self, tables: set[str]) -> None:
        for frame in self._frames():
            frame.update(tables)

    @property
    def version(self) -> int | None:
        return self._wh.version

    @property
    def path(self) -> Path | None:
        return self._wh.path

    def query(self, sql: str, params: Any = None, *, limit: int | None = None) -> Any:
        self._note(self._prints.tables_in(sql))
        return self._wh.query(sql, params, limit=limit)

    def scalar(self, sql: str, params: Any = None) -> Any:
        self._note(self._prints.tables_in(sql))
        return self._wh.scalar(sql, params)

    def __getattr__(self, name: str) -> Any:  # cursor, con, table_counts: any table
        self._note({ALL_TABLES})
        return getattr(self._wh, name)


def _recording_context(settings: Settings, previous: Stored | None) -> Any:
    from paragon.web.context import WebContext

    class Recorder(WebContext):
        """The web's context, noting each figure's tables and copying unchanged figures."""

        def __init__(self) -> None:
            super().__init__(settings)
            self.entries: dict[tuple[Any, ...], Entry] = {}
            self.frames: list[set[str]] = []
            self.computed = 0
            self.copied = 0
            self._old = {e.key: e for e in previous.entries} if previous else {}
            self._prints: Fingerprints | None = None
            self._recording: _Recording | None = None
            self._context = ""

        def start(self) -> int:
            wh = super().warehouse
            self._prints = Fingerprints(wh)
            self._recording = _Recording(wh, self._prints, lambda: self.frames)
            self._context = context_key(self)
            if previous is None or previous.context != self._context:
                self._old = {}
            return int(wh.version or 0)

        @property
        def warehouse(self) -> Any:
            return self._recording if self._recording is not None else super().warehouse

        def cached(self, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
            assert self._prints is not None
            entry = self.entries.get(key)
            if entry is None:
                old = self._old.get(key)
                if old is not None and old.content == self._prints.content(old.tables):
                    entry = old
                    self.copied += 1
                else:
                    self.frames.append(set())
                    try:
                        value = compute()
                    finally:
                        tables = frozenset(self.frames.pop())
                    entry = Entry(key, value, tables, self._prints.content(tables))
                    self.computed += 1
                self.entries[key] = entry
            for frame in self.frames:
                frame.update(entry.tables)
            return entry.value

    return Recorder()


def main_pages(ctx: WebContext) -> tuple[list[str], list[str]]:
    """The main pages of the site in two rounds: the public pages (:data:`MAIN_PAGES` and every
    LPU's page) with the dashboard first, then every measure's page."""
    plan = ctx.plan()
    return ([*MAIN_PAGES, *(f"/areas/lpu/{lpu.id}" for lpu in plan.lpus)],
            [f"/measures/{m.id}" for m in plan.measures])


def warm(settings: Settings, *, previous_version: int | None = None) -> Stored:
    """Compute (or copy) the figures of the published version ``settings.db`` points at and store
    them beside it. ``previous_version``: whose figures may be copied (default: the newest
    stored figures of an older version)."""
    from fastapi.testclient import TestClient

    from paragon.web.app import create_app
    from paragon.web.auth import SessionLookup, User

    db = Path(settings.db)
    started = time.perf_counter()
    pointer = publish.read_pointer(db)
    previous = _previous(db, pointer.version if pointer else 0, previous_version)
    ctx = _recording_context(settings, previous)
    try:
        version = ctx.start()
        app = create_app(settings)
        app.state.ctx = ctx
        reader = User("figures", "analyst")

        async def signed_in(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                scope.setdefault("state", {})["session_lookup"] = SessionLookup(reader)
            await app(scope, receive, send)

        client = TestClient(signed_in, raise_server_exceptions=False)
        stored = Stored(version=version, context=ctx._context)
        for pages in main_pages(ctx):
            # the web moves to the version once the first round is stored; it loads the second
            # when that is stored too
            failed = [path for path in pages if client.get(path).status_code >= 500]
            if failed:
                log.warning("figures: %s answered an error while warming", ", ".join(failed))
            stored.entries = list(ctx.entries.values())
            stored.computed, stored.copied = ctx.computed, ctx.copied
            stored.seconds = round(time.perf_counter() - started, 3)
            _write(db, _picklable(stored))
        prune(db)
        return stored
    finally:
        ctx.close()


def _previous(db: Path, version: int, chosen: int | None) -> Stored | None:
    if chosen is not None:
        return read(db, chosen)
    lay = publish.layout(db)
    numbers = sorted((int(p.name[1:7]) for p in lay.folder.glob("v*.figures")
                      if p.name[1:7].isdigit()), reverse=True)
    for number in numbers:
        if number < version:
            return read(db, number)
    return None


def _picklable(stored: Stored) -> Stored:
    """Drop the figures that cannot be stored (they are computed by the web as before)."""
    keep = []
    for entry in stored.entries:
        try:
            pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:
            log.info("figure %r cannot be stored: the web computes it", entry.key[:1])
            continue
        keep.append(entry)
    stored.entries = keep
    return stored


def main(argv: list[str] | None = None) -> int:
    """``python -m paragon.web.figures DB VERSION``: warm the figures of ``VERSION`` (or of the
    newest version, if the pointer moved past it) and remove its warming mark."""
    from paragon.settings import Settings

    args = sys.argv[1:] if argv is None else argv
    db, version = Path(args[0]), int(args[1])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        with contextlib.suppress(OSError):
            os.nice(5)  # below the web workers answering visitors
        deadline = time.monotonic() + POINTER_WAIT_SECONDS
        while time.monotonic() < deadline:
            pointer = publish.read_pointer(db)
            if pointer is not None and pointer.version >= version:
                break
            time.sleep(0.05)
        import secrets

        # no cookie is signed here: a throwaway key lets the app start
        stored = warm(Settings(db=db, secret_key=secrets.token_hex(32)))
        log.info("figures of version %s: %s computed, %s copied, %s stored in %.1f s",
                 stored.version, stored.computed, stored.copied, len(stored.entries),
                 stored.seconds)
        return 0
    except Exception:
        log.exception("could not compute the figures of version %s", version)
        return 1
    finally:
        warming_file(db, version).unlink(missing_ok=True)


if __name__ == "__main__":
    from paragon.web import figures  # the stored classes pickle under their module's name

    sys.exit(figures.main())
