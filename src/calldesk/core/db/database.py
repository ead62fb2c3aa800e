"""The Database: one SQLite connection behind one lock; transactions, app state, and the file
put back if it vanishes while open. Opening it (lock, journal, damage, schema) is `opening.py`."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from calldesk.core.clock import Clock, to_iso
from calldesk.core.db.connection import (
    acquire_lock,
    connect,
    lock_path,
    release_lock,
    side_file,
    translated,
    unavailable,
)
from calldesk.core.db.errors import StoreError, StoreUnavailable
from calldesk.core.db.journal import JournalLoss
from calldesk.core.db.opening import open_for_reading, open_for_writing, use_wal
from calldesk.core.db.schema import read_meta
from calldesk.core.db.vanish import (
    REPLACED,
    Recreated,
    file_id,
    find_renamed,
    how_vanished,
    move_into_recovered,
)
from calldesk.core.files import ensure_private_dir, open_private


class Database:
    """The call database: one connection, one lock, transactions. Safe to share between threads.

    What is stored lives in each concept's `records` module, whose functions take a Database.

    Open it with `Database.open` (one per data folder, enforced by a lock file) or
    `Database.open_readonly` (any number, for browsing and export while another one runs).
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        clock: Clock,
        path: Path,
        *,
        lock_fd: int | None,
        readonly: bool,
        fts: bool,
        recovered_from: Path | None = None,
        journal_loss: JournalLoss | None = None,
    ) -> None:
        self._db: sqlite3.Connection | None = db
        self._clock = clock
        self.path = path
        self._lock_fd = lock_fd
        self.readonly = readonly
        self.fts = fts
        self.recovered_from = recovered_from
        """Where a damaged database found at open was moved to; None if all was well."""
        self.journal_loss = journal_loss
        """The journal a crash left held saves SQLite could not replay; None if it had none."""
        self._lock = threading.RLock()
        self._batch_depth = 0
        self._file_id = None if readonly else file_id(path)
        """Which file the name led to at open: a different answer means it vanished."""

    # -- opening and closing ---------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, clock: Clock) -> Database:
        """Open (creating if needed) the database at `path` for reading and writing.

        Raises `StoreInUse` if another calldesk has it, `StoreUnavailable` if the folder cannot
        be written, `StoreLocked` if another program holds it, `StoreTooNew` for a newer schema.
        A damaged file is moved aside and a fresh database started; see `recovered_from`.
        A journal left by a crash is copied aside first; if SQLite cannot replay all of it,
        the copy is kept and `journal_loss` says so. The steps are in `opening.py`.
        """
        path = Path(path)
        opened = open_for_writing(path, clock)
        return cls(
            opened.db,
            clock,
            path,
            lock_fd=opened.lock_fd,
            readonly=False,
            fts=opened.fts,
            recovered_from=opened.recovered_from,
            journal_loss=opened.journal_loss,
        )

    @classmethod
    def open_readonly(cls, path: Path, clock: Clock) -> Database:
        """Open an existing database for reading only, alongside a running calldesk."""
        path = Path(path)
        opened = open_for_reading(path, clock)
        return cls(
            opened.db,
            clock,
            path,
            lock_fd=None,
            readonly=True,
            fts=opened.fts,
            journal_loss=opened.journal_loss,
        )

    @property
    def search_mode(self) -> str:
        """How searches run: "fts5" (the full-text index) or "like" (SQLite without FTS5)."""
        return "fts5" if self.fts else "like"

    @property
    def closed(self) -> bool:
        return self._db is None

    def close(self) -> None:
        """Close the database and let another calldesk open it. Safe to call twice."""
        with self._lock:
            if self._db is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("PRAGMA optimize")
                self._db.close()
                self._db = None
            if self._lock_fd is not None:
                release_lock(self._lock_fd)
                self._lock_fd = None

    # -- the file vanishing while open ------------------------------------------------------

    def vanished(self) -> str | None:
        """Whether the database's name still leads to the open file: None if it does, else
        "gone" (deleted or renamed) or "replaced" (another file there). One `lstat`, no lock:
        cheap enough for every write and a once-a-second tick."""
        if self.readonly or self._db is None:
            return None
        return how_vanished(self.path, self._file_id)

    def recreate(self) -> Recreated | None:
        """Put the database back at its name if it vanished, from the open connection.

        SQLite's backup copies everything the connection reads (the file it still holds
        open and its journal) into a new private file, which takes the name; the connection
        moves to it. Another file found at the name, and the old file's journal, are moved
        into `recovered/`, never deleted. Returns what was done, or None if nothing had to be.
        Raises StoreUnavailable if it cannot be done (the folder cannot be written): the old
        connection stays, so nothing is lost, and the next call tries again.
        """
        with self._lock:
            how = self.vanished()
            if how is None:
                return None
            old = self._connection()
            folder = self.path.parent
            try:
                ensure_private_dir(folder)
                temp = self._copy_open_database(old)
            except OSError as error:
                raise unavailable(folder, error) from error
            except sqlite3.Error as error:
                raise StoreUnavailable(
                    f"The call database {self.path} vanished and calldesk cannot re-create it"
                    f" ({error}).",
                    "Your notes are kept in memory: export the open call before you quit.",
                ) from error
            assert self._file_id is not None
            renamed = find_renamed(folder, self._file_id, self.path) if how != REPLACED else None
            old.close()  # a moved file is not checkpointed: its journal stays by the old name
            self._db = None
            now = self._clock.now()
            in_the_way = [side_file(self.path, "-wal"), side_file(self.path, "-shm")]
            if how == REPLACED:
                in_the_way.insert(0, self.path)
            try:
                moved = move_into_recovered(in_the_way, now)
                os.rename(temp, self.path)
                self._file_id = file_id(self.path)
                self._db = connect(self.path, readonly=False)
                use_wal(self._db, self.path)
            except (OSError, sqlite3.Error) as error:
                # The copy is whole: open it where it is, so nothing typed is lost.
                if self._db is None:
                    where = self.path if self._file_id == file_id(self.path) else temp
                    self._db = connect(where, readonly=False)
                raise StoreUnavailable(
                    f"The call database {self.path} vanished and calldesk could not put it"
                    f" back ({error}).",
                    "Your notes are kept: check the data folder, then restart calldesk.",
                ) from error
            self._relock()
            return Recreated(self.path, how, renamed, moved)

    def _copy_open_database(self, old: sqlite3.Connection) -> Path:
        """Everything the open connection reads, copied into a new private file; its path."""
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.rebuild")
        os.close(open_private(temp, os.O_RDWR))
        try:
            copy = sqlite3.connect(temp, isolation_level=None)
            try:
                old.backup(copy)
            finally:
                copy.close()  # checkpoints into the file and removes its journal
        except BaseException:
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    os.unlink(side_file(temp, suffix))
            raise
        return temp

    def _relock(self) -> None:
        """Take the lock file again if it vanished with the folder (a new calldesk must see it)."""
        if self._lock_fd is None or file_id(lock_path(self.path)) is not None:
            return
        with contextlib.suppress(StoreError):
            fd = acquire_lock(lock_path(self.path))
            release_lock(self._lock_fd)
            self._lock_fd = fd

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError("The call database is closed.", "Restart calldesk.")
        return self._db

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (joined to the batch if one is open); errors are translated."""
        with self._lock, translated(self.path, self.readonly):
            db = self._connection()
            if self._batch_depth:
                yield db
                return
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @contextlib.contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One read transaction: everything read in it comes from the same snapshot."""
        with self._lock, translated(self.path, self.readonly):
            db = self._connection()
            if db.in_transaction:
                yield db
                return
            # One read transaction, so a call and its notes come from the same snapshot.
            db.execute("BEGIN")
            try:
                yield db
            finally:
                if db.in_transaction:
                    db.execute("COMMIT")

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Run many writes as one transaction (imports, bulk jobs): all of them or none."""
        with self.write():
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    def now(self, at: datetime | None = None) -> str:
        """`at` (default: the clock's now) as the ISO text every stored time is kept in."""
        return to_iso(at or self._clock.now())

    # -- app state -------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self.read() as db:
            value = read_meta(db, key)
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        with self.write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
