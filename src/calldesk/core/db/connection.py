"""Opening the database file: the single-instance lock, the connection, damage and errors."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from calldesk.core.clock import Clock
from calldesk.core.db.errors import (
    NotFound,
    StoreCorrupt,
    StoreError,
    StoreInUse,
    StoreLocked,
    StoreReadOnly,
    StoreUnavailable,
)
from calldesk.core.files import FileRefused, open_private, own_file_exists

BUSY_TIMEOUT_MS = 1000
"""How long a write waits for another connection's write to finish before giving up."""


def lock_path(path: Path) -> Path:
    return path.with_suffix(".lock")


def side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def unavailable(where: Path, error: OSError) -> StoreUnavailable:
    if isinstance(error, FileRefused):
        return StoreUnavailable(str(error))  # it names the file and says what to do
    if error.errno == errno.ENOSPC:
        return StoreUnavailable(
            f"There is no space left on the disk that holds {where}.",
            "Free some disk space, then start calldesk again.",
        )
    reason = error.strerror or str(error)
    return StoreUnavailable(
        f"calldesk cannot write its data folder {where} ({reason}).",
        "Check that the folder exists and belongs to you, or choose another one with "
        "CALLDESK_DATA_DIR or data_dir in config.toml.",
    )


def database_exists(path: Path) -> bool:
    """Whether a call database is at `path` yet (False when nothing is there).

    A link, a FIFO or another user's file there raises StoreUnavailable naming it, the words
    the app uses when it refuses one, so a reading command never calls it damaged or missing.
    """
    try:
        return own_file_exists(path)
    except OSError as error:
        raise unavailable(path.parent, error) from error


def translate(error: sqlite3.Error, path: Path, readonly: bool) -> StoreError | None:
    """The user-facing error for an SQLite failure, or None for a bug that should surface."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreLocked(
            f"The call database {path} is locked by another program.",
            "Close anything else that has it open (an sqlite3 shell, a sync or backup tool) "
            "and try again.",
        )
    if name == "SQLITE_FULL":
        return StoreUnavailable(
            f"The disk that holds {path.parent} is full, so calls cannot be saved.",
            "Free some disk space; saving resumes when there is room.",
        )
    if name.startswith("SQLITE_READONLY") and readonly:
        return StoreReadOnly(
            "This calldesk is read-only because another one is recording calls.",
            "Make changes in the calldesk that is running.",
        )
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")):
        return StoreUnavailable(
            f"calldesk cannot read or write the call database {path} ({error}).",
            "Check that the data folder exists, belongs to you and its disk is not full.",
        )
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
        return NotFound(
            "The call this belongs to is not in the database.",
            "Pick the call again from the history.",
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreCorrupt(
            f"The call database {path} is damaged.",
            "Restart calldesk: it keeps the damaged file beside the new one and starts afresh.",
        )
    return None


@contextlib.contextmanager
def translated(path: Path, readonly: bool) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        translated = translate(error, path, readonly)
        if translated is None:
            raise
        raise translated from error


def acquire_lock(lock_path: Path) -> int:
    """Take the single-instance lock (the kernel drops it when the process dies, even killed).

    The lock file stays between runs (removing it would race with a second calldesk), so it
    is opened, not created afresh; never through a link, and only if it is the user's own.
    """
    try:
        fd = open_private(lock_path, os.O_RDWR)
    except OSError as error:
        raise unavailable(lock_path.parent, error) from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        os.close(fd)
        raise StoreInUse(pid, lock_path) from None
    except OSError as error:
        os.close(fd)
        raise unavailable(lock_path.parent, error) from error
    # The pid is only for the message another instance shows; failing to write it is harmless.
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def lock_is_free(lock_path: Path) -> bool:
    """Whether no calldesk holds the database now (so a journal beside it is a crash's)."""
    try:
        fd = open_private(lock_path, os.O_RDONLY, create=False)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # cannot tell: assume one runs
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing drops the shared lock taken to look
    return True


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def release_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        os.close(fd)


def create_private_file(path: Path) -> None:
    """Create the database `path` 0600 if missing (whatever the umask), tighten a looser one.

    A link, a non-regular file or another user's file there is refused (FileRefused). SQLite
    opens the path again by name; the folder is the user's alone (0700), so nobody else can
    swap the file in between.
    """
    os.close(open_private(path, os.O_RDWR))


def connect(path: Path, readonly: bool) -> sqlite3.Connection:
    if readonly:
        target: str | Path = f"{path.resolve().as_uri()}?mode=ro"
    else:
        target = path
    # Autocommit mode: the store issues BEGIN/COMMIT itself, so transactions are explicit.
    db = sqlite3.connect(
        target,
        uri=readonly,
        isolation_level=None,
        check_same_thread=False,
        timeout=BUSY_TIMEOUT_MS / 1000,
    )
    db.row_factory = sqlite3.Row
    db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def is_damaged(db: sqlite3.Connection) -> bool:
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        name = getattr(error, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return True
        raise
    return [row[0] for row in rows] != ["ok"]


def move_aside(path: Path, clock: Clock) -> Path:
    """Rename a damaged database (and its -wal/-shm) out of the way; it is never deleted."""
    stamp = clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 2
    while any(side_file(target, s).exists() for s in ("", "-wal", "-shm")):
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    try:
        os.replace(path, target)
        # The old -wal must go too, or SQLite would replay it into the fresh database.
        for suffix in ("-wal", "-shm"):
            side = side_file(path, suffix)
            if side.exists():
                os.replace(side, side_file(target, suffix))
    except OSError as error:
        raise unavailable(path.parent, error) from error
    return target
