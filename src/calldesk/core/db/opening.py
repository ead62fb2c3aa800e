"""Opening the database file: the lock taken, a crash's journal kept and checked, a damaged
file moved aside, the schema refused if newer or migrated, the search index brought in step."""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path

from calldesk.core.clock import Clock
from calldesk.core.db.connection import (
    acquire_lock,
    connect,
    create_private_file,
    database_exists,
    is_damaged,
    lock_is_free,
    lock_path,
    move_aside,
    release_lock,
    side_file,
    translated,
    unavailable,
)
from calldesk.core.db.errors import StoreUnavailable
from calldesk.core.db.journal import JournalLoss, check_copy, discard_copy, keep_leftover
from calldesk.core.db.schema import (
    SCHEMA_VERSION,
    SEARCH_INDEX_VERSION,
    fts5_available,
    migrate,
    read_meta,
    schema_version,
    sync_search_index,
)
from calldesk.core.files import ensure_private_dir, tighten


@dataclass(frozen=True, slots=True)
class Opened:
    """A database file opened and ready: what `Database` is made from."""

    db: sqlite3.Connection
    lock_fd: int | None
    fts: bool
    recovered_from: Path | None = None
    journal_loss: JournalLoss | None = None


def open_for_writing(path: Path, clock: Clock) -> Opened:
    """The steps of `Database.open`: the folder, the lock, a crash's journal kept aside, a
    damaged file moved aside, a newer schema refused, WAL, migrations, the search index. The
    lock is let go again if any step fails."""
    try:
        ensure_private_dir(path.parent)
    except OSError as error:
        raise unavailable(path.parent, error) from error
    lock_fd = acquire_lock(lock_path(path))
    try:
        # Before SQLite sees it: replaying checkpoints and deletes the journal.
        journal = keep_leftover(path, clock.now())
        with translated(path, readonly=False):
            db, recovered = _open_file(path, clock)
            try:
                loss = _check_journal(db, journal, moved=recovered is not None)
                # Refuse a newer schema before anything (even the journal mode) is changed.
                schema_version(db, path)
                use_wal(db, path)
                migrate(db, path)
                fts = sync_search_index(db, fts5_available(db))
            except BaseException:
                db.close()
                raise
    except OSError as error:
        release_lock(lock_fd)
        raise unavailable(path.parent, error) from error
    except BaseException:
        release_lock(lock_fd)
        raise
    return Opened(db, lock_fd, fts, recovered, loss)


def open_for_reading(path: Path, clock: Clock) -> Opened:
    """The steps of `Database.open_readonly`: no lock, and an older schema refused (only a
    writer may migrate)."""
    if not database_exists(path):
        raise StoreUnavailable(
            f"There is no call database at {path} yet.",
            "Start calldesk normally once to create it.",
        )
    journal = None
    if lock_is_free(lock_path(path)):
        # No calldesk runs: a journal here was left by a crash. Reading does not use it
        # up, but what is read (and exported) lacks any save past a damaged byte.
        with contextlib.suppress(OSError):
            journal = keep_leftover(path, clock.now())
    with translated(path, readonly=True):
        db = connect(path, readonly=True)
        try:
            loss = _check_journal(db, journal, moved=False, readonly=True)
            version = schema_version(db, path)
            if version < SCHEMA_VERSION:
                raise StoreUnavailable(
                    f"The call database {path} uses an older layout (schema {version}).",
                    "Start calldesk normally once to update it, then try again.",
                )
            has_index = db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'calls_fts'"
            ).fetchone()
            fts = (
                has_index is not None
                and read_meta(db, "search_index") == SEARCH_INDEX_VERSION
                and fts5_available(db)
            )
        except BaseException:
            db.close()
            raise
    return Opened(db, None, fts, journal_loss=loss)


def use_wal(db: sqlite3.Connection, path: Path) -> None:
    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    db.execute("PRAGMA synchronous = NORMAL")
    if mode == "wal":
        # SQLite gives -wal/-shm the database's mode; make sure of it anyway.
        for suffix in ("-wal", "-shm"):
            tighten(side_file(path, suffix))


def _check_journal(
    db: sqlite3.Connection, journal: Path | None, *, moved: bool, readonly: bool = False
) -> JournalLoss | None:
    """Compare what the journal's copy held with what SQLite replayed of it."""
    if journal is None:
        return None
    scan = check_copy(journal)
    if not moved and not readonly:
        # SQLite's own count of the frames it took from the journal (nothing is busy:
        # the lock file keeps other writers out).
        row = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if row is not None and row[1] >= 0:
            scan = replace(scan, replayable=min(int(row[1]), scan.frames))
    if moved or not scan.lost:
        # Replayed in full, or moved aside with the damaged database: no copy needed.
        discard_copy(journal)
        return None
    return JournalLoss(journal, scan)


def _open_file(path: Path, clock: Clock) -> tuple[sqlite3.Connection, Path | None]:
    create_private_file(path)
    db = connect(path, readonly=False)
    if not is_damaged(db):
        return db, None
    try:
        # Move the files while the connection is still open: closing it first would let
        # SQLite tidy up, deleting a -wal that may hold the newest of the user's notes.
        moved = move_aside(path, clock)
    finally:
        db.close()
    create_private_file(path)
    return connect(path, readonly=False), moved
