"""Publish, don't lock: writers never block readers.

For a warehouse ``paragon.duckdb`` the files are::

    paragon.duckdb              the working file: only writers open it, one at a time
    paragon.duckdb.lock         writers hold an exclusive lock on it while they write (they queue)
    paragon.duckdb.published/
        CURRENT                 the pointer: JSON naming the newest published version
        v000012.duckdb          published versions: immutable, opened read-only

A writer (ingest, fetch, demo, an admin's plan upload) takes the writer lock, opens the working
file, commits, closes it (DuckDB checkpoints on close), copies it to the next version file
(written under a temporary name, synced, then renamed) and atomically replaces ``CURRENT``
(:func:`publish`). A reader (the web, every read command) reads ``CURRENT``, holds a shared lock
on that version file and opens it read-only (:func:`acquire_reader`); the web re-reads the pointer
every second and moves to a newer version between requests. A version older than the current one
is deleted once no reader holds its shared lock (:func:`prune`). A working file changed without
being published (a writer from before this scheme, or one killed between commit and publish) is
published by the next reader that finds the writer lock free.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from paragon.errors import ParagonError

POINTER_NAME = "CURRENT"
WRITER_WAIT_SECONDS = 1800.0
POLL_SECONDS = 0.1
PARTIAL_MAX_AGE_SECONDS = 3600.0


class WarehouseBusyError(ParagonError):
    """Another process is writing the warehouse and did not finish in the time allowed."""


@dataclass(frozen=True)
class Pointer:
    """What ``CURRENT`` says: the published version and the working file it was copied from."""

    version: int
    file: str
    published_at: str
    source_size: int
    source_mtime_ns: int
    copy_seconds: float


@dataclass(frozen=True)
class Layout:
    working: Path
    lock: Path
    folder: Path
    pointer: Path

    def version_file(self, version: int) -> Path:
        return self.folder / f"v{version:06d}.duckdb"


def layout(db: Path | str) -> Layout:
    working = Path(db)
    folder = working.with_name(working.name + ".published")
    return Layout(working, working.with_name(working.name + ".lock"), folder,
                  folder / POINTER_NAME)


# --- the pointer ---------------------------------------------------------------------------------
def read_pointer(db: Path | str) -> Pointer | None:
    """The published version of ``db``, or None if nothing was published yet."""
    path = layout(db).pointer
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParagonError(f"{path}:{exc.lineno}:{exc.colno}: the published-version pointer is "
                           f"not valid JSON ({exc.msg}); delete it and the next command "
                           f"publishes the warehouse again") from exc
    try:
        return Pointer(version=int(data["version"]), file=str(data["file"]),
                       published_at=str(data["published_at"]),
                       source_size=int(data["source_size"]),
                       source_mtime_ns=int(data["source_mtime_ns"]),
                       copy_seconds=float(data.get("copy_seconds", 0.0)))
    except (KeyError, TypeError, ValueError) as exc:
        raise ParagonError(f"{path}:1:1: the published-version pointer lacks or garbles "
                           f"{exc}; delete it and the next command publishes the warehouse "
                           f"again") from exc


def pointer_stamp(db: Path | str) -> tuple[int, int] | None:
    """A cheap fingerprint of ``CURRENT`` (inode, mtime): it changes on every publish."""
    try:
        st = os.stat(layout(db).pointer)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pointer(lay: Layout, pointer: Pointer) -> None:
    tmp = lay.folder / f".{POINTER_NAME}.{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(asdict(pointer), fh, indent=2)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, lay.pointer)
    _fsync_dir(lay.folder)


def is_stale(db: Path | str, pointer: Pointer | None) -> bool:
    """True when the working file exists and differs from what ``pointer`` was copied from."""
    try:
        st = os.stat(db)
    except FileNotFoundError:
        return False
    return (pointer is None or st.st_size != pointer.source_size
            or st.st_mtime_ns != pointer.source_mtime_ns)


# --- writers -------------------------------------------------------------------------------------
class _PathLock:
    def __init__(self) -> None:
        self.rlock = threading.RLock()
        self.depth = 0
        self.fd = -1


_locks: dict[str, _PathLock] = {}
_locks_guard = threading.Lock()


def _path_lock(db: Path | str) -> _PathLock:
    key = os.path.abspath(db)
    with _locks_guard:
        return _locks.setdefault(key, _PathLock())


def _holder(lock_file: Path) -> str:
    try:
        text = lock_file.read_text("utf-8").strip()
    except OSError:
        return "another process"
    return text or "another process"


def acquire_writer(db: Path | str, *, wait: float = WRITER_WAIT_SECONDS,
                   on_wait: Callable[[str], None] | None = None) -> None:
    """Become the one writer of ``db``: wait (up to ``wait`` seconds) while another writer runs.
    Re-entrant within a thread; other threads of this process queue like other processes."""
    lay = layout(db)
    lock = _path_lock(db)
    deadline = time.monotonic() + wait
    if not lock.rlock.acquire(timeout=max(wait, 0.0)):
        raise WarehouseBusyError(f"the warehouse {lay.working} is being written by another "
                                 f"thread of this process; try again when it finishes")
    if lock.depth > 0:
        lock.depth += 1
        return
    try:
        lay.working.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lay.lock, os.O_RDWR | os.O_CREAT, 0o644)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(lay.lock)
                    os.close(fd)
                    raise WarehouseBusyError(
                        f"the warehouse {lay.working} is being written by {holder}; try again "
                        f"when it finishes") from None
                if not told and on_wait is not None:
                    on_wait(f"waiting for {_holder(lay.lock)} to finish writing "
                            f"{lay.working}")
                    told = True
                time.sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        command = " ".join(os.path.basename(a) if i == 0 else a
                           for i, a in enumerate(sys.argv[:4]))
        os.write(fd, f"process {os.getpid()} ({command[:200]})\n".encode())
        lock.fd = fd
        lock.depth = 1
    except BaseException:
        lock.rlock.release()
        raise


def release_writer(db: Path | str, *, publish_changes: bool = True) -> Pointer | None:
    """Leave the writer role; the last release publishes the working file if it changed."""
    lock = _path_lock(db)
    if lock.depth <= 0:
        raise RuntimeError(f"release_writer({db}) without acquire_writer")
    published = None
    try:
        if lock.depth == 1:
            try:
                if publish_changes and is_stale(db, read_pointer(db)):
                    published = publish(db)
            finally:
                os.ftruncate(lock.fd, 0)
                fcntl.flock(lock.fd, fcntl.LOCK_UN)
                os.close(lock.fd)
                lock.fd = -1
    finally:
        lock.depth -= 1
        lock.rlock.release()
    return published


def _copy(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` and sync it (a reflink where the file system has them)."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), 0x40049409, src.fileno())  # FICLONE: copy-on-write
        except OSError:
            if sys.platform == "linux":
                _sendfile(src.fileno(), dst.fileno(), os.fstat(src.fileno()).st_size)
            else:
                shutil.copyfileobj(src, dst, 16 * 1024 * 1024)
        dst.flush()
        os.fsync(dst.fileno())


def _sendfile(src: int, dst: int, size: int) -> None:
    offset = 0
    while offset < size:
        sent = os.sendfile(dst, src, offset, size - offset)
        if sent == 0:
            break
        offset += sent


_publish_hooks: list[Callable[[Path, int], object]] = []


def on_publish(hook: Callable[[Path, int], object]) -> None:
    """Call ``hook(db, version)`` on every later publish by this process, once the version file
    is in place and before the pointer names it (the web's figures are warmed from there:
    :mod:`paragon.web.figures`). A failing hook is logged; the publish goes on."""
    _publish_hooks.append(hook)


def _run_publish_hooks(db: Path, version: int) -> None:
    for hook in list(_publish_hooks):
        try:
            hook(db, version)
        except Exception:
            import logging

            logging.getLogger("paragon").exception("after publishing version %s", version)


def publish(db: Path | str) -> Pointer:
    """Copy the closed working file to the next version and point ``CURRENT`` at it. The caller
    holds the writer lock (:func:`acquire_writer`) and has closed its connection."""
    lay = layout(db)
    lay.folder.mkdir(parents=True, exist_ok=True)
    current = read_pointer(db)
    version = (current.version if current else 0) + 1
    while lay.version_file(version).exists():
        version += 1
    final = lay.version_file(version)
    partial = lay.folder / f".{final.name}.{os.getpid()}.partial"
    started = time.perf_counter()
    st = os.stat(lay.working)
    try:
        _copy(lay.working, partial)
        os.replace(partial, final)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    pointer = Pointer(version=version, file=final.name,
                      published_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      source_size=st.st_size, source_mtime_ns=st.st_mtime_ns,
                      copy_seconds=round(time.perf_counter() - started, 3))
    _run_publish_hooks(lay.working, version)
    _write_pointer(lay, pointer)
    prune(db)
    return pointer


def prune(db: Path | str) -> list[str]:
    """Delete the versions older than the current one that no reader holds; returns their names.
    Safe without the writer lock: a version is deleted only while its exclusive lock is held, and
    never the current version or a newer one."""
    lay = layout(db)
    current = read_pointer(db)
    if current is None:
        return []
    removed: list[str] = []
    for path in sorted(lay.folder.glob("v*.duckdb")):
        try:
            number = int(path.stem[1:])
        except ValueError:
            continue
        if number >= current.version:
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)
            removed.append(path.name)
        finally:
            os.close(fd)  # closing drops the lock
    now = time.time()
    for partial in lay.folder.glob(".*.partial"):
        try:
            if now - partial.stat().st_mtime > PARTIAL_MAX_AGE_SECONDS:
                partial.unlink(missing_ok=True)
        except FileNotFoundError:
            pass
    return removed


# --- readers -------------------------------------------------------------------------------------
class Reader:
    """A shared hold on one published version: the file stays until :meth:`release`."""

    def __init__(self, db: Path, pointer: Pointer, path: Path, fd: int) -> None:
        self.db = db
        self.pointer = pointer
        self.path = path
        self._fd = fd

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            with contextlib.suppress(OSError, ParagonError):
                prune(self.db)  # housekeeping: the next publish tries again if this fails


def ensure_published(db: Path | str, *, wait: float = WRITER_WAIT_SECONDS,
                     on_wait: Callable[[str], None] | None = None) -> Pointer | None:
    """Publish the working file if it changed since it was last published (or never was).

    While another writer holds the lock, its own publish is awaited only if nothing has been
    published yet; otherwise the current version is used (the writer publishes when done).
    """
    lay = layout(db)
    pointer = read_pointer(db)
    if not is_stale(db, pointer):
        return pointer
    lock = _path_lock(db)
    if lock.depth > 0 and lock.rlock.acquire(blocking=False):
        # this thread is the writer: it publishes when it closes
        lock.rlock.release()
        if pointer is not None:
            return pointer
        raise ParagonError(f"the warehouse {lay.working} is open for writing in this process "
                           f"and not yet published")
    try:
        acquire_writer(db, wait=0.0 if pointer is not None else wait, on_wait=on_wait)
    except WarehouseBusyError:
        if pointer is not None:
            return pointer
        raise
    try:
        if is_stale(db, read_pointer(db)):
            import duckdb

            from paragon.warehouse import Warehouse

            try:
                con = duckdb.connect(str(lay.working))
            except duckdb.Error as exc:
                raise ParagonError(f"cannot open warehouse {lay.working} to publish it: "
                                   f"{exc}") from exc
            try:
                Warehouse(con, None).migrate()
            finally:
                con.close()
    finally:
        release_writer(db)
    return read_pointer(db)


def acquire_reader(db: Path | str, *, wait: float = WRITER_WAIT_SECONDS,
                   on_wait: Callable[[str], None] | None = None) -> Reader:
    """A shared hold on the newest published version of ``db`` (publishing it first if the
    working file changed unpublished and no writer is busy)."""
    db = Path(db)
    lay = layout(db)
    for _attempt in range(50):
        pointer = ensure_published(db, wait=wait, on_wait=on_wait)
        if pointer is None:
            raise ParagonError(f"no warehouse at {db}: run `paragon demo` or `paragon ingest`")
        path = lay.folder / pointer.file
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # pruned between reading the pointer and opening: read it again
        fcntl.flock(fd, fcntl.LOCK_SH)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return Reader(db, pointer, path, fd)
        os.close(fd)
    raise ParagonError(f"the published versions of {db} kept changing while being opened; "
                       f"try again")
