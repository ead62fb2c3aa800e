"""The SQLite store: calls and notes, phrases used, checklist answers, fixes, breaks, app state."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.aftercall.fixes import FixStatus, PermanentFix, RecentCall
from calldesk.core.calls.model import (
    Call,
    CallSummary,
    NoteEntry,
    Outcome,
    display_caller,
    normalise_number,
)
from calldesk.core.clock import Clock, from_iso, to_iso
from calldesk.core.files import FileRefused, ensure_private_dir, open_private, tighten
from calldesk.core.promises.records import migrate as migrate_promises
from calldesk.core.team.records import migrate as migrate_search_misses

if TYPE_CHECKING:
    from calldesk.core.practice.cards import CardRecord, ReviewRecord

BUSY_TIMEOUT_MS = 1000
"""How long a write waits for another connection's write to finish before giving up."""
ITER_BATCH = 500
"""Calls fetched per round trip by `iter_calls` (each batch's notes come in one more query)."""
SEARCH_INDEX_VERSION = "1"
"""Bump when the FTS tables change; the index is then rebuilt from the calls and notes."""
MAX_SEARCH_TERMS = 8
PREVIEW_CHARS = 200
PHRASE_ACTIONS = ("insert", "copy")


# -- errors ---------------------------------------------------------------------------------


class StoreError(Exception):
    """The call database cannot do what was asked; `message` says why, `next_step` what to do."""

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step

    def __str__(self) -> str:
        return f"{self.message} {self.next_step}".strip()


class StoreUnavailable(StoreError):
    """The data folder or database cannot be written: permissions, a full disk, a missing mount."""


class StoreLocked(StoreError):
    """Another program holds a write lock on the database for longer than we wait."""


class StoreInUse(StoreError):
    """Another calldesk is running with this database; `pid` is its process id when known."""

    def __init__(self, pid: int | None, lock_path: Path) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"calldesk is already running ({who}) and recording calls in {lock_path.parent}.",
            "Switch to that window, or open this one read-only to browse history and export.",
        )
        self.pid = pid


class StoreReadOnly(StoreError):
    """A write was attempted on a store opened with `open_readonly`."""


class StoreCorrupt(StoreError):
    """The database file turned out to be damaged while calldesk was running."""


class StoreTooNew(StoreError):
    """The database was written by a newer calldesk whose schema this one does not know."""


class NotFound(StoreError, LookupError):
    """No call, note or fix with the id given."""


# -- records the store returns besides calls ------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChecklistAnswer:
    value: object
    skipped: bool
    answered_at: datetime


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A softphone event that arrived while no calldesk was there to show it."""

    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


# -- schema ---------------------------------------------------------------------------------

_V1 = """
CREATE TABLE calls (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    caller_name TEXT NOT NULL DEFAULT '',
    caller_number TEXT NOT NULL DEFAULT '',
    ticket TEXT NOT NULL DEFAULT '',
    outcome TEXT,
    outcome_reason TEXT NOT NULL DEFAULT '',
    draft TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX calls_started ON calls (started_at, id);
CREATE INDEX calls_open ON calls (started_at) WHERE ended_at IS NULL;
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    edited_at TEXT,
    text TEXT NOT NULL
);
CREATE INDEX notes_call ON notes (call_id, created_at, id);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""

_V2 = """
ALTER TABLE calls ADD COLUMN number_norm TEXT NOT NULL DEFAULT '';
CREATE INDEX calls_number ON calls (number_norm, started_at) WHERE number_norm != '';
CREATE TABLE phrase_uses (
    id INTEGER PRIMARY KEY,
    phrase_id TEXT NOT NULL,
    call_id INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    used_at TEXT NOT NULL,
    placeholders TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX phrase_uses_call ON phrase_uses (call_id);
CREATE INDEX phrase_uses_time ON phrase_uses (used_at);
CREATE TABLE checklist_answers (
    call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    value TEXT NOT NULL,
    skipped INTEGER NOT NULL DEFAULT 0,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (call_id, item_id)
) WITHOUT ROWID;
CREATE TABLE permanent_fixes (
    id INTEGER PRIMARY KEY,
    call_id INTEGER NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    what TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (call_id, item_id)
);
CREATE INDEX permanent_fixes_status ON permanent_fixes (status, created_at);
CREATE TABLE cooldowns (
    id INTEGER PRIMARY KEY,
    call_id INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    duration_s REAL NOT NULL,
    state TEXT NOT NULL,
    offered_at TEXT NOT NULL,
    started_at TEXT,
    snoozed_until TEXT,
    snoozes_used INTEGER NOT NULL DEFAULT 0,
    ended_at TEXT,
    long_break INTEGER NOT NULL DEFAULT 0,
    snooze_s REAL NOT NULL,
    max_snoozes INTEGER NOT NULL
);
CREATE INDEX cooldowns_offered ON cooldowns (offered_at);
CREATE TABLE pending_events (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    shown_at TEXT
);
CREATE INDEX pending_events_unshown ON pending_events (id) WHERE shown_at IS NULL;
"""


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run `script` statement by statement; `executescript` would commit the open transaction."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def _migrate_v1(db: sqlite3.Connection) -> None:
    _run_script(db, _V1)


def _migrate_v2(db: sqlite3.Connection) -> None:
    _run_script(db, _V2)
    rows = db.execute("SELECT id, caller_number FROM calls WHERE caller_number != ''").fetchall()
    db.executemany(
        "UPDATE calls SET number_norm = ? WHERE id = ?",
        [(normalise_number(number), call_id) for call_id, number in rows],
    )


# Practice (core/practice/cards.py): one FSRS card per phrase id, and every grade ever given. Rows
# are never deleted, so a removed or reworded phrase keeps its history.
_V3 = """
CREATE TABLE practice_cards (
    phrase_id TEXT PRIMARY KEY,
    say_hash TEXT NOT NULL,
    card_id INTEGER NOT NULL UNIQUE,
    state INTEGER NOT NULL,
    step INTEGER,
    stability REAL,
    difficulty REAL,
    due TEXT NOT NULL,
    last_review TEXT,
    introduced_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE practice_reviews (
    id INTEGER PRIMARY KEY,
    phrase_id TEXT NOT NULL,
    say_hash TEXT NOT NULL,
    card_id INTEGER NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 4),
    reviewed_at TEXT NOT NULL,
    elapsed_days REAL,
    state_before INTEGER NOT NULL,
    state_after INTEGER NOT NULL,
    stability REAL,
    difficulty REAL,
    due TEXT NOT NULL,
    typed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX practice_reviews_phrase ON practice_reviews (phrase_id, id);
CREATE INDEX practice_reviews_introduced ON practice_reviews (reviewed_at) WHERE state_before = 0;
"""


def _migrate_v3(db: sqlite3.Connection) -> None:
    _run_script(db, _V3)


# Missed calls (a call given up while it rang) and withheld numbers. Calls recorded before
# this schema were all taken as answered. `number_norm` is worked out again for every call:
# older calldesks stored withheld callers as the number `anonymous`, and so on, so each
# withheld caller's card showed the last one's notes.
_V4 = """
ALTER TABLE calls ADD COLUMN answered_at TEXT;
ALTER TABLE calls ADD COLUMN missed INTEGER NOT NULL DEFAULT 0;
UPDATE calls SET answered_at = started_at;
"""


def _migrate_v4(db: sqlite3.Connection) -> None:
    _run_script(db, _V4)
    rows = db.execute("SELECT id, caller_number, number_norm FROM calls").fetchall()
    db.executemany(
        "UPDATE calls SET number_norm = ? WHERE id = ?",
        [
            (normalised, call_id)
            for call_id, number, stored in rows
            if (normalised := normalise_number(number)) != stored
        ],
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_v1,
    _migrate_v2,
    _migrate_v3,
    _migrate_v4,
    migrate_promises,  # v5: promises to callers (core/promises/records.py)
    migrate_search_misses,  # v6: searches that found nothing (core/team/records.py)
]
"""Forward migrations; entry n takes a database from `user_version` n to n + 1. Append only."""
SCHEMA_VERSION = len(MIGRATIONS)

_FTS_TOKENIZER = "tokenize='unicode61 remove_diacritics 2'"
_CALL_FTS_COLUMNS = ("caller_name", "caller_number", "ticket", "number_norm")


def _fts_script() -> str:
    """External-content FTS5 tables over calls and notes, kept in step by triggers."""
    cols = ", ".join(_CALL_FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in _CALL_FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in _CALL_FTS_COLUMNS)
    return f"""
CREATE VIRTUAL TABLE calls_fts USING fts5(
    {cols}, content='calls', content_rowid='id', {_FTS_TOKENIZER}
);
CREATE VIRTUAL TABLE notes_fts USING fts5(
    text, content='notes', content_rowid='id', {_FTS_TOKENIZER}
);
CREATE TRIGGER calls_fts_insert AFTER INSERT ON calls BEGIN
    INSERT INTO calls_fts (rowid, {cols}) VALUES (new.id, {new});
END;
CREATE TRIGGER calls_fts_delete AFTER DELETE ON calls BEGIN
    INSERT INTO calls_fts (calls_fts, rowid, {cols}) VALUES ('delete', old.id, {old});
END;
CREATE TRIGGER calls_fts_update AFTER UPDATE OF {cols} ON calls BEGIN
    INSERT INTO calls_fts (calls_fts, rowid, {cols}) VALUES ('delete', old.id, {old});
    INSERT INTO calls_fts (rowid, {cols}) VALUES (new.id, {new});
END;
CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER notes_fts_update AFTER UPDATE OF text ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO notes_fts (rowid, text) VALUES (new.id, new.text);
END;
INSERT INTO calls_fts (calls_fts) VALUES ('rebuild');
INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
"""


_FTS_TRIGGERS = (
    "calls_fts_insert",
    "calls_fts_delete",
    "calls_fts_update",
    "notes_fts_insert",
    "notes_fts_delete",
    "notes_fts_update",
)


def _fts5_available(db: sqlite3.Connection) -> bool:
    """Whether this SQLite has FTS5; some builds leave it out."""
    try:
        db.execute("CREATE VIRTUAL TABLE temp.calldesk_fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    db.execute("DROP TABLE temp.calldesk_fts5_probe")
    return True


# -- opening --------------------------------------------------------------------------------


def _lock_path(path: Path) -> Path:
    return path.with_suffix(".lock")


def _side_file(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _unavailable(where: Path, error: OSError) -> StoreUnavailable:
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


def _translate(error: sqlite3.Error, path: Path, readonly: bool) -> StoreError | None:
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
def _translated(path: Path, readonly: bool) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        translated = _translate(error, path, readonly)
        if translated is None:
            raise
        raise translated from error


def _acquire_lock(lock_path: Path) -> int:
    """Take the single-instance lock (the kernel drops it when the process dies, even killed).

    The lock file stays between runs (removing it would race with a second calldesk), so it
    is opened, not created afresh; never through a link, and only if it is the user's own.
    """
    try:
        fd = open_private(lock_path, os.O_RDWR)
    except OSError as error:
        raise _unavailable(lock_path.parent, error) from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _read_pid(fd)
        os.close(fd)
        raise StoreInUse(pid, lock_path) from None
    except OSError as error:
        os.close(fd)
        raise _unavailable(lock_path.parent, error) from error
    # The pid is only for the message another instance shows; failing to write it is harmless.
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _release_lock(fd: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    with contextlib.suppress(OSError):
        os.close(fd)


def _create_private_file(path: Path) -> None:
    """Create the database `path` 0600 if missing (whatever the umask), tighten a looser one.

    A link, a non-regular file or another user's file there is refused (FileRefused). SQLite
    opens the path again by name; the folder is the user's alone (0700), so nobody else can
    swap the file in between.
    """
    os.close(open_private(path, os.O_RDWR))


def _tighten(path: Path) -> None:
    tighten(path)


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
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


def _is_damaged(db: sqlite3.Connection) -> bool:
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        name = getattr(error, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            return True
        raise
    return [row[0] for row in rows] != ["ok"]


def _move_aside(path: Path, clock: Clock) -> Path:
    """Rename a damaged database (and its -wal/-shm) out of the way; it is never deleted."""
    stamp = clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 2
    while any(_side_file(target, s).exists() for s in ("", "-wal", "-shm")):
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
        counter += 1
    try:
        os.replace(path, target)
        # The old -wal must go too, or SQLite would replay it into the fresh database.
        for suffix in ("-wal", "-shm"):
            side = _side_file(path, suffix)
            if side.exists():
                os.replace(side, _side_file(target, suffix))
    except OSError as error:
        raise _unavailable(path.parent, error) from error
    return target


def _schema_version(db: sqlite3.Connection, path: Path) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreTooNew(
            f"The call database {path} was written by a newer calldesk "
            f"(schema {version}; this one knows up to {SCHEMA_VERSION}).",
            "Update calldesk, or point data_dir in config.toml at another folder.",
        )
    return version


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    if _schema_version(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _schema_version(db, path)
        for step in MIGRATIONS[version:]:
            step(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def _sync_search_index(db: sqlite3.Connection, fts5: bool) -> bool:
    """Make the FTS index usable if FTS5 is; returns whether searches can use it.

    Without FTS5 the triggers must go, since every insert would fail on them; the index is
    then marked stale and rebuilt the next time an FTS5-capable SQLite opens the database.
    """
    has_table = (
        db.execute("SELECT 1 FROM sqlite_master WHERE name = 'calls_fts'").fetchone() is not None
    )
    triggers = {
        row[0]
        for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        if row[0] in _FTS_TRIGGERS
    }
    in_sync = _meta(db, "search_index") == SEARCH_INDEX_VERSION
    if fts5 and has_table and in_sync and len(triggers) == len(_FTS_TRIGGERS):
        return True
    if not fts5 and not triggers and not in_sync:
        return False
    db.execute("BEGIN IMMEDIATE")
    try:
        for trigger in triggers:
            db.execute(f"DROP TRIGGER {trigger}")
        if fts5:
            db.execute("DROP TABLE IF EXISTS calls_fts")
            db.execute("DROP TABLE IF EXISTS notes_fts")
            _run_script(db, _fts_script())
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('search_index', ?)",
                (SEARCH_INDEX_VERSION,),
            )
        else:
            db.execute("DELETE FROM meta WHERE key = 'search_index'")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return fts5


# -- row conversion -------------------------------------------------------------------------

_CALL_COLUMNS = (
    "id, started_at, ended_at, caller_name, caller_number, ticket, outcome, outcome_reason, "
    "draft, tags, answered_at, missed"
)
_NOTE_COLUMNS = "id, call_id, created_at, edited_at, text"
_SUMMARY_SELECT = f"""
SELECT c.id, c.started_at, c.ended_at, c.caller_name, c.caller_number, c.ticket, c.outcome,
    c.tags, c.answered_at, c.missed,
    (SELECT count(*) FROM notes n WHERE n.call_id = c.id) AS note_count,
    coalesce((SELECT substr(n.text, 1, {PREVIEW_CHARS}) FROM notes n WHERE n.call_id = c.id
              ORDER BY n.created_at, n.id LIMIT 1), '') AS first_note
FROM calls c
"""
_COOLDOWN_COLUMNS = (
    "id, call_id, duration_s, state, offered_at, started_at, snoozed_until, snoozes_used, "
    "ended_at, long_break, snooze_s, max_snoozes"
)


def _when(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _outcome(text: str | None) -> Outcome | None:
    return None if text is None else Outcome(text)


def _note(row: sqlite3.Row) -> NoteEntry:
    return NoteEntry(
        id=row["id"],
        call_id=row["call_id"],
        created_at=from_iso(row["created_at"]),
        text=row["text"],
        edited_at=_when(row["edited_at"]),
    )


def _facts(row: sqlite3.Row) -> dict[str, Any]:
    """The `CallFacts` fields of a calls row, shared by full calls and summaries."""
    return {
        "id": row["id"],
        "started_at": from_iso(row["started_at"]),
        "ended_at": _when(row["ended_at"]),
        "caller_name": row["caller_name"],
        "caller_number": row["caller_number"],
        "ticket": row["ticket"],
        "outcome": _outcome(row["outcome"]),
        "tags": list(json.loads(row["tags"])),
        "answered_at": _when(row["answered_at"]),
        "missed": bool(row["missed"]),
    }


def _call(row: sqlite3.Row, notes: list[NoteEntry]) -> Call:
    return Call(
        **_facts(row), outcome_reason=row["outcome_reason"], draft=row["draft"], notes=notes
    )


def _summary(row: sqlite3.Row) -> CallSummary:
    return CallSummary(**_facts(row), note_count=row["note_count"], first_note=row["first_note"])


def _cooldown(row: sqlite3.Row) -> CooldownState:
    return CooldownState(
        id=row["id"],
        call_id=row["call_id"],
        duration_s=row["duration_s"],
        state=Phase(row["state"]),
        offered_at=from_iso(row["offered_at"]),
        started_at=_when(row["started_at"]),
        snoozed_until=_when(row["snoozed_until"]),
        snoozes_used=row["snoozes_used"],
        ended_at=_when(row["ended_at"]),
        long_break=bool(row["long_break"]),
        snooze_s=row["snooze_s"],
        max_snoozes=row["max_snoozes"],
    )


def _fix(row: sqlite3.Row) -> PermanentFix:
    return PermanentFix(
        id=row["id"],
        call_id=row["call_id"],
        call_started_at=from_iso(row["started_at"]),
        caller=display_caller(row["caller_name"], row["caller_number"]),
        what=row["what"],
        where=row["location"],
        owner=row["owner"],
        status=FixStatus(row["status"]),
        updated_at=from_iso(row["updated_at"]),
    )


def _clean_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed, non-empty, each tag once (ignoring case), in the order given."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for tag in tags:
        text = tag.strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    return cleaned


_SEARCH_TERM = re.compile(r"[^\W_]+")


def search_terms(query: str) -> list[str]:
    """The words of a search box query, split as the FTS tokenizer splits text.

    Everything else (quotes, `*`, `-`, `:`, brackets) is a separator, so no user input can be
    read as FTS5 query syntax; words such as AND or NOT are quoted before use.
    """
    return _SEARCH_TERM.findall(query)[:MAX_SEARCH_TERMS]


def _fts_term(term: str) -> str:
    return '"' + term.replace('"', '""') + '"*'


def _like_term(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# -- the store ------------------------------------------------------------------------------


class Store:
    """The call database. Safe to share between threads: every use holds one lock.

    Open it with `Store.open` (one per data folder, enforced by a lock file) or
    `Store.open_readonly` (any number, for browsing and export while another one runs).
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
    ) -> None:
        self._db: sqlite3.Connection | None = db
        self._clock = clock
        self.path = path
        self._lock_fd = lock_fd
        self.readonly = readonly
        self._fts = fts
        self.recovered_from = recovered_from
        """Where a damaged database found at open was moved to; None if all was well."""
        self._lock = threading.RLock()
        self._batch_depth = 0

    # -- opening and closing ---------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, clock: Clock) -> Store:
        """Open (creating if needed) the database at `path` for reading and writing.

        Raises `StoreInUse` if another calldesk has it, `StoreUnavailable` if the folder cannot
        be written, `StoreLocked` if another program holds it, `StoreTooNew` for a newer schema.
        A damaged file is moved aside and a fresh database started; see `recovered_from`.
        """
        path = Path(path)
        try:
            ensure_private_dir(path.parent)
        except OSError as error:
            raise _unavailable(path.parent, error) from error
        lock_fd = _acquire_lock(_lock_path(path))
        try:
            with _translated(path, readonly=False):
                db, recovered = cls._open_file(path, clock)
                try:
                    # Refuse a newer schema before anything (even the journal mode) is changed.
                    _schema_version(db, path)
                    mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                    db.execute("PRAGMA synchronous = NORMAL")
                    if mode == "wal":
                        # SQLite gives -wal/-shm the database's mode; make sure of it anyway.
                        for suffix in ("-wal", "-shm"):
                            _tighten(_side_file(path, suffix))
                    _migrate(db, path)
                    fts = _sync_search_index(db, _fts5_available(db))
                except BaseException:
                    db.close()
                    raise
        except OSError as error:
            _release_lock(lock_fd)
            raise _unavailable(path.parent, error) from error
        except BaseException:
            _release_lock(lock_fd)
            raise
        return cls(
            db, clock, path, lock_fd=lock_fd, readonly=False, fts=fts, recovered_from=recovered
        )

    @staticmethod
    def _open_file(path: Path, clock: Clock) -> tuple[sqlite3.Connection, Path | None]:
        _create_private_file(path)
        db = _connect(path, readonly=False)
        if not _is_damaged(db):
            return db, None
        try:
            # Move the files while the connection is still open: closing it first would let
            # SQLite tidy up, deleting a -wal that may hold the newest of the user's notes.
            moved = _move_aside(path, clock)
        finally:
            db.close()
        _create_private_file(path)
        return _connect(path, readonly=False), moved

    @classmethod
    def open_readonly(cls, path: Path, clock: Clock) -> Store:
        """Open an existing database for reading only, alongside a running calldesk."""
        path = Path(path)
        if not path.is_file():
            raise StoreUnavailable(
                f"There is no call database at {path} yet.",
                "Start calldesk normally once to create it.",
            )
        with _translated(path, readonly=True):
            db = _connect(path, readonly=True)
            try:
                version = _schema_version(db, path)
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
                    and _meta(db, "search_index") == SEARCH_INDEX_VERSION
                    and _fts5_available(db)
                )
            except BaseException:
                db.close()
                raise
        return cls(db, clock, path, lock_fd=None, readonly=True, fts=fts)

    @property
    def search_mode(self) -> str:
        """How searches run: "fts5" (the full-text index) or "like" (SQLite without FTS5)."""
        return "fts5" if self._fts else "like"

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
                _release_lock(self._lock_fd)
                self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StoreError("The call database is closed.", "Restart calldesk.")
        return self._db

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _translated(self.path, self.readonly):
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
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, _translated(self.path, self.readonly):
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
        with self._write():
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1

    def _now(self, at: datetime | None = None) -> str:
        return to_iso(at or self._clock.now())

    # -- calls and notes -------------------------------------------------------------------

    def start_call(
        self,
        caller_name: str = "",
        caller_number: str = "",
        ticket: str = "",
        *,
        at: datetime | None = None,
        answered: bool = True,
    ) -> Call:
        """Record a new open call; `at` is when it started (default: now).

        `answered=False` is a call still ringing: `mark_answered` records the answer later.
        """
        started = self._now(at)
        answered_at = started if answered else None
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO calls (started_at, answered_at, caller_name, caller_number,"
                " number_norm, ticket) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    started,
                    answered_at,
                    caller_name,
                    caller_number,
                    normalise_number(caller_number),
                    ticket,
                ),
            )
            assert cursor.lastrowid is not None
        return Call(
            id=cursor.lastrowid,
            started_at=from_iso(started),
            answered_at=_when(answered_at),
            caller_name=caller_name,
            caller_number=caller_number,
            ticket=ticket,
        )

    def mark_answered(self, call_id: int, *, at: datetime | None = None) -> None:
        """Record when a ringing call was answered (a call answered already keeps its time)."""
        with self._write() as db:
            if db.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is None:
                raise self._no_call(call_id)
            db.execute(
                "UPDATE calls SET answered_at = ? WHERE id = ? AND answered_at IS NULL",
                (self._now(at), call_id),
            )

    def record_missed_call(
        self,
        caller_name: str = "",
        caller_number: str = "",
        *,
        rang_at: datetime,
        ended_at: datetime | None = None,
    ) -> Call:
        """Record a call that rang from `rang_at` until the caller gave up (default: now)."""
        started, ended = self._now(rang_at), self._now(ended_at)
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO calls (started_at, ended_at, missed, caller_name, caller_number,"
                " number_norm) VALUES (?, ?, 1, ?, ?, ?)",
                (started, ended, caller_name, caller_number, normalise_number(caller_number)),
            )
            assert cursor.lastrowid is not None
            return self._get_call(db, cursor.lastrowid)

    def delete_untouched_call(self, call_id: int) -> bool:
        """Delete a call nobody wrote anything in; False (and the call kept) if someone did.

        For the record of a call that rang and was never answered, set aside when the agent
        answered another call instead. Anything typed (notes, a draft, a ticket, checklist
        answers, an outcome) keeps the call.
        """
        with self._write() as db:
            cursor = db.execute(
                "DELETE FROM calls WHERE id = ? AND ended_at IS NULL AND outcome IS NULL"
                " AND trim(draft) = '' AND ticket = ''"
                " AND NOT EXISTS (SELECT 1 FROM notes WHERE call_id = calls.id)"
                " AND NOT EXISTS (SELECT 1 FROM checklist_answers WHERE call_id = calls.id)",
                (call_id,),
            )
            return cursor.rowcount > 0

    def update_call(
        self,
        call_id: int,
        *,
        caller_name: str | None = None,
        caller_number: str | None = None,
        ticket: str | None = None,
        tags: Iterable[str] | None = None,
    ) -> Call:
        """Change the fields given (None leaves a field as it is)."""
        changes: dict[str, object] = {}
        if caller_name is not None:
            changes["caller_name"] = caller_name
        if caller_number is not None:
            changes["caller_number"] = caller_number
            changes["number_norm"] = normalise_number(caller_number)
        if ticket is not None:
            changes["ticket"] = ticket
        if isinstance(tags, str):
            raise TypeError("tags must be a list of strings, not one string")
        if tags is not None:
            changes["tags"] = json.dumps(_clean_tags(tags), ensure_ascii=False)
        with self._write() as db:
            if changes:
                assignments = ", ".join(f"{column} = ?" for column in changes)
                db.execute(
                    f"UPDATE calls SET {assignments} WHERE id = ?", (*changes.values(), call_id)
                )
            return self._get_call(db, call_id)

    def save_draft(self, call_id: int, text: str) -> None:
        """Keep the note being typed, so a crash cannot lose it. Runs on every autosave."""
        with self._write() as db:
            if db.execute("UPDATE calls SET draft = ? WHERE id = ?", (text, call_id)).rowcount == 0:
                raise self._no_call(call_id)

    def add_note(self, call_id: int, text: str, *, at: datetime | None = None) -> NoteEntry:
        """Add a note entry and clear the draft it was typed in, in one transaction."""
        created = self._now(at)
        with self._write() as db:
            if db.execute("UPDATE calls SET draft = '' WHERE id = ?", (call_id,)).rowcount == 0:
                raise self._no_call(call_id)
            cursor = db.execute(
                "INSERT INTO notes (call_id, created_at, text) VALUES (?, ?, ?)",
                (call_id, created, text),
            )
            assert cursor.lastrowid is not None
            return NoteEntry(cursor.lastrowid, call_id, from_iso(created), text)

    def edit_note(self, note_id: int, text: str, *, at: datetime | None = None) -> NoteEntry:
        """Replace a note's text and record when it was edited."""
        with self._write() as db:
            db.execute(
                "UPDATE notes SET text = ?, edited_at = ? WHERE id = ?",
                (text, self._now(at), note_id),
            )
            row = db.execute(f"SELECT {_NOTE_COLUMNS} FROM notes WHERE id = ?", (note_id,))
            found = row.fetchone()
            if found is None:
                raise NotFound(f"There is no note {note_id}.", "It may have been deleted.")
            return _note(found)

    def delete_note(self, note_id: int) -> bool:
        """Delete a note; False if it was already gone (so a retried delete is harmless)."""
        with self._write() as db:
            return db.execute("DELETE FROM notes WHERE id = ?", (note_id,)).rowcount > 0

    def end_call(self, call_id: int, *, at: datetime | None = None, missed: bool = False) -> Call:
        """Mark the call ended. A draft still in it becomes its last note rather than vanish.

        `missed` records that the caller gave up before the call was answered. Ending an ended
        call changes nothing (its first end time stands).
        """
        when = self._now(at)
        with self._write() as db:
            row = db.execute(
                "SELECT ended_at, draft FROM calls WHERE id = ?", (call_id,)
            ).fetchone()
            if row is None:
                raise self._no_call(call_id)
            if row["draft"].strip():
                db.execute(
                    "INSERT INTO notes (call_id, created_at, text) VALUES (?, ?, ?)",
                    (call_id, when, row["draft"]),
                )
                db.execute("UPDATE calls SET draft = '' WHERE id = ?", (call_id,))
            if row["ended_at"] is None:
                db.execute(
                    "UPDATE calls SET ended_at = ?, missed = ? WHERE id = ?",
                    (when, int(missed), call_id),
                )
            return self._get_call(db, call_id)

    def set_outcome(self, call_id: int, outcome: Outcome | None, reason: str = "") -> None:
        """Record how the call went (None clears it)."""
        value = None if outcome is None else Outcome(outcome).value
        with self._write() as db:
            cursor = db.execute(
                "UPDATE calls SET outcome = ?, outcome_reason = ? WHERE id = ?",
                (value, reason, call_id),
            )
            if cursor.rowcount == 0:
                raise self._no_call(call_id)

    def get_call(self, call_id: int) -> Call:
        """The call with all its notes, oldest note first."""
        with self._read() as db:
            return self._get_call(db, call_id)

    def open_call(self) -> Call | None:
        """The most recent call not yet ended: the one to bring back after a crash."""
        with self._read() as db:
            row = db.execute(
                "SELECT id FROM calls WHERE ended_at IS NULL ORDER BY started_at DESC, id DESC"
                " LIMIT 1"
            ).fetchone()
            return None if row is None else self._get_call(db, row["id"])

    def list_calls(self, limit: int = 50, offset: int = 0) -> list[CallSummary]:
        """Calls newest first, without their notes (see `CallSummary`)."""
        with self._read() as db:
            rows = db.execute(
                f"{_SUMMARY_SELECT} ORDER BY c.started_at DESC, c.id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [_summary(row) for row in rows]

    def search_calls(self, query: str, limit: int = 50) -> list[CallSummary]:
        """Calls whose caller, number, ticket or notes contain every word of `query`, newest first.

        Words match as prefixes ("refu" finds "refund"; the LIKE fallback matches anywhere in
        a word). A query that is mostly digits also finds numbers containing those digits in
        any formatting. A query with no words finds nothing.
        """
        terms = search_terms(query)
        if not terms:
            return []
        params: dict[str, object] = {"limit": limit}
        clauses: list[str] = []
        for index, term in enumerate(terms):
            key = f"t{index}"
            if self._fts:
                params[key] = _fts_term(term)
                clauses.append(
                    f"c.id IN (SELECT rowid FROM calls_fts WHERE calls_fts MATCH :{key}"
                    " UNION SELECT call_id FROM notes WHERE id IN"
                    f" (SELECT rowid FROM notes_fts WHERE notes_fts MATCH :{key}))"
                )
            else:
                params[key] = _like_term(term)
                like = f"LIKE :{key} ESCAPE '\\'"
                clauses.append(
                    f"(c.caller_name {like} OR c.caller_number {like} OR c.ticket {like}"
                    f" OR c.number_norm {like} OR EXISTS (SELECT 1 FROM notes n"
                    f" WHERE n.call_id = c.id AND n.text {like}))"
                )
        where = " AND ".join(clauses)
        digits = normalise_number(query)
        if len(digits) >= 3 and digits.isdigit():
            params["digits"] = _like_term(digits)
            where = f"({where}) OR c.number_norm LIKE :digits ESCAPE '\\'"
        with self._read() as db:
            rows = db.execute(
                f"{_SUMMARY_SELECT} WHERE {where} ORDER BY c.started_at DESC, c.id DESC"
                " LIMIT :limit",
                params,
            ).fetchall()
        return [_summary(row) for row in rows]

    def calls_by_number(self, number: str, limit: int = 20) -> list[CallSummary]:
        """Earlier calls from the same number however it was written, newest first."""
        normalised = normalise_number(number)
        if not normalised:
            return []
        with self._read() as db:
            rows = db.execute(
                # The repeated `!= ''` lets SQLite use the partial index on number_norm.
                f"{_SUMMARY_SELECT} WHERE c.number_norm = ? AND c.number_norm != ''"
                " ORDER BY c.started_at DESC, c.id DESC LIMIT ?",
                (normalised, limit),
            ).fetchall()
        return [_summary(row) for row in rows]

    def iter_calls(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[Call]:
        """Every call started in [since, until), oldest first, with notes: for export.

        Works in batches, two queries each, and holds no lock between them, so other threads
        keep writing while a long export runs.
        """
        bounds: list[str] = []
        params: list[object] = []
        if since is not None:
            bounds.append("started_at >= ?")
            params.append(to_iso(since))
        if until is not None:
            bounds.append("started_at < ?")
            params.append(to_iso(until))
        after: tuple[str, int] | None = None
        while True:
            conditions = list(bounds)
            args = list(params)
            if after is not None:
                conditions.append("(started_at, id) > (?, ?)")
                args.extend(after)
            where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
            with self._read() as db:
                rows = db.execute(
                    f"SELECT {_CALL_COLUMNS} FROM calls {where} ORDER BY started_at, id LIMIT ?",
                    (*args, ITER_BATCH),
                ).fetchall()
                if not rows:
                    return
                ids = [row["id"] for row in rows]
                marks = ", ".join("?" * len(ids))
                notes: dict[int, list[NoteEntry]] = defaultdict(list)
                for note in db.execute(
                    f"SELECT {_NOTE_COLUMNS} FROM notes WHERE call_id IN ({marks})"
                    " ORDER BY call_id, created_at, id",
                    ids,
                ):
                    notes[note["call_id"]].append(_note(note))
            for row in rows:
                yield _call(row, notes.get(row["id"], []))
            if len(rows) < ITER_BATCH:
                return
            after = (rows[-1]["started_at"], rows[-1]["id"])

    def recent_outcomes(self, limit: int, since: datetime | None = None) -> list[Outcome]:
        """Outcomes of the latest calls that have one, newest first (for the bad-call streak)."""
        query = "SELECT outcome FROM calls WHERE outcome IS NOT NULL"
        params: list[object] = []
        if since is not None:
            query += " AND started_at >= ?"
            params.append(to_iso(since))
        with self._read() as db:
            rows = db.execute(
                f"{query} ORDER BY started_at DESC, id DESC LIMIT ?", (*params, limit)
            ).fetchall()
        return [Outcome(row[0]) for row in rows]

    def _get_call(self, db: sqlite3.Connection, call_id: int) -> Call:
        row = db.execute(f"SELECT {_CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)).fetchone()
        if row is None:
            raise self._no_call(call_id)
        notes = db.execute(
            f"SELECT {_NOTE_COLUMNS} FROM notes WHERE call_id = ? ORDER BY created_at, id",
            (call_id,),
        ).fetchall()
        return _call(row, [_note(note) for note in notes])

    @staticmethod
    def _no_call(call_id: int) -> NotFound:
        return NotFound(f"There is no call {call_id}.", "Pick the call again from the history.")

    # -- phrases used ----------------------------------------------------------------------

    def record_phrase_use(
        self,
        phrase_id: str,
        call_id: int | None,
        action: str,
        placeholders: Mapping[str, bool] | None = None,
        *,
        at: datetime | None = None,
    ) -> None:
        """Note that a phrase was inserted or copied, and which placeholders had a value."""
        if action not in PHRASE_ACTIONS:
            raise ValueError(f"action must be one of {PHRASE_ACTIONS}, not {action!r}")
        filled = {str(name): bool(value) for name, value in (placeholders or {}).items()}
        with self._write() as db:
            db.execute(
                "INSERT INTO phrase_uses (phrase_id, call_id, action, used_at, placeholders)"
                " VALUES (?, ?, ?, ?, ?)",
                (phrase_id, call_id, action, self._now(at), json.dumps(filled)),
            )

    def phrase_use_counts(self, since: datetime | None = None) -> dict[str, int]:
        """How often each phrase was used (since `since`), most used first."""
        where, params = self._since("used_at", since)
        with self._read() as db:
            rows = db.execute(
                f"SELECT phrase_id, count(*) FROM phrase_uses {where}"
                " GROUP BY phrase_id ORDER BY count(*) DESC, phrase_id",
                params,
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def unfilled_placeholder_counts(
        self, since: datetime | None = None
    ) -> dict[tuple[str, str], int]:
        """(phrase id, placeholder) -> how often the phrase was used with it left empty."""
        where, params = self._since("u.used_at", since)
        where = f"{where} AND" if where else "WHERE"
        with self._read() as db:
            rows = db.execute(
                "SELECT u.phrase_id, p.key, count(*) FROM phrase_uses u,"
                f" json_each(u.placeholders) p {where} p.type = 'false'"
                " GROUP BY u.phrase_id, p.key ORDER BY count(*) DESC, u.phrase_id, p.key",
                params,
            ).fetchall()
        return {(row[0], row[1]): row[2] for row in rows}

    def phrases_used(self, call_id: int) -> list[str]:
        """Ids of the phrases used on a call, each once, in the order first used."""
        with self._read() as db:
            rows = db.execute(
                "SELECT phrase_id FROM phrase_uses WHERE call_id = ?"
                " GROUP BY phrase_id ORDER BY min(id)",
                (call_id,),
            ).fetchall()
        return [row[0] for row in rows]

    @staticmethod
    def _since(column: str, since: datetime | None) -> tuple[str, tuple[object, ...]]:
        if since is None:
            return "", ()
        return f"WHERE {column} >= ?", (to_iso(since),)

    # -- checklist and permanent fixes -----------------------------------------------------

    def save_checklist_answer(
        self, call_id: int, item_id: str, value: object, skipped: bool = False
    ) -> None:
        """Store one checklist answer (any JSON value).

        A fix answer (a mapping with "what", "where", "owner") with a non-empty "what" also
        files a permanent fix for the call; clearing or skipping it withdraws the fix while it
        is still open (a fix already marked done or won't-fix is kept).
        """
        try:
            encoded = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError) as error:
            message = f"checklist answer for {item_id!r} is not JSON data: {error}"
            raise ValueError(message) from None
        now = self._now()
        with self._write() as db:
            if db.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is None:
                raise self._no_call(call_id)
            db.execute(
                "INSERT INTO checklist_answers (call_id, item_id, value, skipped, answered_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (call_id, item_id) DO UPDATE SET"
                " value = excluded.value, skipped = excluded.skipped,"
                " answered_at = excluded.answered_at",
                (call_id, item_id, encoded, int(skipped), now),
            )
            if isinstance(value, Mapping) and "what" in value:
                self._file_fix(db, call_id, item_id, value, skipped, now)

    @staticmethod
    def _file_fix(
        db: sqlite3.Connection,
        call_id: int,
        item_id: str,
        value: Mapping[str, object],
        skipped: bool,
        now: str,
    ) -> None:
        what = str(value.get("what") or "").strip()
        if skipped or not what:
            db.execute(
                "DELETE FROM permanent_fixes WHERE call_id = ? AND item_id = ? AND status = ?",
                (call_id, item_id, FixStatus.OPEN.value),
            )
            return
        where = str(value.get("where") or "").strip()
        owner = str(value.get("owner") or "").strip()
        db.execute(
            "INSERT INTO permanent_fixes"
            " (call_id, item_id, what, location, owner, status, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (call_id, item_id) DO UPDATE SET what = excluded.what,"
            " location = excluded.location, owner = excluded.owner,"
            " updated_at = excluded.updated_at"
            " WHERE what != excluded.what OR location != excluded.location"
            " OR owner != excluded.owner",
            (call_id, item_id, what, where, owner, FixStatus.OPEN.value, now, now),
        )

    def checklist_answers(self, call_id: int) -> dict[str, ChecklistAnswer]:
        """item id -> answer, for one call."""
        with self._read() as db:
            rows = db.execute(
                "SELECT item_id, value, skipped, answered_at FROM checklist_answers"
                " WHERE call_id = ? ORDER BY answered_at, item_id",
                (call_id,),
            ).fetchall()
        return {
            row["item_id"]: ChecklistAnswer(
                json.loads(row["value"]), bool(row["skipped"]), from_iso(row["answered_at"])
            )
            for row in rows
        }

    _FIX_SELECT = (
        "SELECT f.id, f.call_id, c.started_at, c.caller_name, c.caller_number, f.what,"
        " f.location, f.owner, f.status, f.updated_at"
        " FROM permanent_fixes f JOIN calls c ON c.id = f.call_id"
    )

    def list_fixes(self, status: str | None = "open") -> list[PermanentFix]:
        """Permanent fixes with this status (None for all), newest first."""
        where, params = "", ()
        if status is not None:
            where, params = "WHERE f.status = ?", (FixStatus(status).value,)
        with self._read() as db:
            rows = db.execute(
                f"{self._FIX_SELECT} {where} ORDER BY f.created_at DESC, f.id DESC", params
            ).fetchall()
        return [_fix(row) for row in rows]

    def fixes_for_calls(
        self, call_ids: Sequence[int], status: str | None = "open"
    ) -> list[PermanentFix]:
        """Permanent fixes recorded on these calls (this status, None for all), newest first."""
        if not call_ids:
            return []
        marks = ", ".join("?" * len(call_ids))
        where, params = f"WHERE f.call_id IN ({marks})", [*call_ids]
        if status is not None:
            where += " AND f.status = ?"
            params.append(FixStatus(status).value)
        with self._read() as db:
            rows = db.execute(
                f"{self._FIX_SELECT} {where} ORDER BY f.created_at DESC, f.id DESC", params
            ).fetchall()
        return [_fix(row) for row in rows]

    def set_fix_status(self, fix_id: int, status: str) -> PermanentFix:
        """Mark a permanent fix open, done or wontfix."""
        value = FixStatus(status).value
        with self._write() as db:
            cursor = db.execute(
                "UPDATE permanent_fixes SET status = ?, updated_at = ? WHERE id = ?",
                (value, self._now(), fix_id),
            )
            if cursor.rowcount == 0:
                raise NotFound(f"There is no permanent fix {fix_id}.", "Refresh the list.")
            return _fix(db.execute(f"{self._FIX_SELECT} WHERE f.id = ?", (fix_id,)).fetchone())

    def recent_calls_for_recurrence(self, since: datetime) -> list[RecentCall]:
        """Tags and permanent-fix texts of the calls started since `since`, oldest first."""
        with self._read() as db:
            calls = db.execute(
                "SELECT id, started_at, tags FROM calls WHERE started_at >= ?"
                " ORDER BY started_at, id",
                (to_iso(since),),
            ).fetchall()
            fixes: dict[int, list[str]] = defaultdict(list)
            for row in db.execute(
                "SELECT f.call_id, f.what FROM permanent_fixes f JOIN calls c ON c.id = f.call_id"
                " WHERE c.started_at >= ? ORDER BY f.id",
                (to_iso(since),),
            ):
                fixes[row[0]].append(row[1])
        return [
            RecentCall(
                call_id=row["id"],
                started_at=from_iso(row["started_at"]),
                tags=tuple(json.loads(row["tags"])),
                fix_texts=tuple(fixes.get(row["id"], ())),
            )
            for row in calls
        ]

    # -- cooldowns -------------------------------------------------------------------------

    def save_cooldown(self, state: CooldownState) -> CooldownState:
        """Insert (id None) or update a break; returns it with its id."""
        values = (
            state.call_id,
            state.duration_s,
            Phase(state.state).value,
            to_iso(state.offered_at),
            None if state.started_at is None else to_iso(state.started_at),
            None if state.snoozed_until is None else to_iso(state.snoozed_until),
            state.snoozes_used,
            None if state.ended_at is None else to_iso(state.ended_at),
            int(state.long_break),
            state.snooze_s,
            state.max_snoozes,
        )
        columns = _COOLDOWN_COLUMNS.removeprefix("id, ")
        with self._write() as db:
            if state.id is None:
                marks = ", ".join("?" * len(values))
                cursor = db.execute(f"INSERT INTO cooldowns ({columns}) VALUES ({marks})", values)
                assert cursor.lastrowid is not None
                cooldown_id = cursor.lastrowid
            else:
                assignments = ", ".join(f"{column} = ?" for column in columns.split(", "))
                cursor = db.execute(
                    f"UPDATE cooldowns SET {assignments} WHERE id = ?", (*values, state.id)
                )
                if cursor.rowcount == 0:
                    raise NotFound(f"There is no break {state.id}.", "Offer a new one.")
                cooldown_id = state.id
            row = db.execute(
                f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns WHERE id = ?", (cooldown_id,)
            ).fetchone()
        return _cooldown(row)

    def active_cooldown(self) -> CooldownState | None:
        """The latest break still offered, snoozed or running, to resume after a restart."""
        active = tuple(phase.value for phase in Phase if phase.is_active)
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns WHERE state IN (?, ?, ?)"
                " ORDER BY offered_at DESC, id DESC LIMIT 1",
                active,
            ).fetchone()
        return None if row is None else _cooldown(row)

    def cooldowns_between(self, since: datetime, until: datetime) -> list[CooldownState]:
        """Breaks offered in [since, until), oldest first."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns"
                " WHERE offered_at >= ? AND offered_at < ? ORDER BY offered_at, id",
                (to_iso(since), to_iso(until)),
            ).fetchall()
        return [_cooldown(row) for row in rows]

    # -- softphone events kept for later ---------------------------------------------------

    def add_pending_event(self, kind: str, payload: Mapping[str, Any]) -> int:
        """Keep an event to show when calldesk next looks; returns its id."""
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO pending_events (kind, payload, created_at) VALUES (?, ?, ?)",
                (kind, json.dumps(dict(payload), ensure_ascii=False), self._now()),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    def take_pending_events(self) -> list[PendingEvent]:
        """The events not yet shown, oldest first; they are marked shown (kept, not deleted)."""
        with self._write() as db:
            rows = db.execute(
                "SELECT id, kind, payload, created_at FROM pending_events"
                " WHERE shown_at IS NULL ORDER BY id"
            ).fetchall()
            if rows:
                db.execute(
                    "UPDATE pending_events SET shown_at = ? WHERE shown_at IS NULL AND id <= ?",
                    (self._now(), rows[-1]["id"]),
                )
        return [
            PendingEvent(row["id"], row["kind"], json.loads(row["payload"]), from_iso(row[3]))
            for row in rows
        ]

    # -- app state -------------------------------------------------------------------------

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        with self._read() as db:
            value = _meta(db, key)
        return default if value is None else value

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # -- practice (spaced repetition; the scheduling is in core/practice/cards.py) ----------------

    _PRACTICE_CARD_COLUMNS = (
        "phrase_id, say_hash, card_id, state, step, stability, difficulty, due, last_review,"
        " introduced_at"
    )
    _PRACTICE_REVIEW_COLUMNS = (
        "phrase_id, say_hash, card_id, rating, reviewed_at, elapsed_days, state_before,"
        " state_after, stability, difficulty, due, typed"
    )

    def practice_cards(self) -> dict[str, CardRecord]:
        """Every stored practice card by phrase id, including those of removed phrases."""
        with self._read() as db:
            rows = db.execute(f"SELECT {self._PRACTICE_CARD_COLUMNS} FROM practice_cards")
            return {row[0]: self._practice_card(row) for row in rows}

    def practice_due_index(self, now: datetime) -> dict[str, tuple[str, bool]]:
        """phrase id -> (say hash, due by `now`): what the due count needs, without full cards."""
        with self._read() as db:
            # Stored times are all UTC ISO text from `to_iso`, so they compare as strings.
            rows = db.execute(
                "SELECT phrase_id, say_hash, due <= ? FROM practice_cards", (to_iso(now),)
            )
            return {row[0]: (row[1], bool(row[2])) for row in rows}

    def practice_card(self, phrase_id: str) -> CardRecord | None:
        with self._read() as db:
            row = db.execute(
                f"SELECT {self._PRACTICE_CARD_COLUMNS} FROM practice_cards WHERE phrase_id = ?",
                (phrase_id,),
            ).fetchone()
        return None if row is None else self._practice_card(row)

    def save_practice_review(
        self, card: CardRecord, review: ReviewRecord
    ) -> tuple[CardRecord, ReviewRecord]:
        """Store a graded card and log its review in one transaction; returns both with ids.

        A card with `card_id` 0 is a new one and gets the next id. Rows are never deleted, so
        the highest id in the table is the highest ever given.
        """
        with self._write() as db:
            if card.card_id == 0:
                row = db.execute("SELECT coalesce(max(card_id), 0) + 1 FROM practice_cards")
                card_id = int(row.fetchone()[0])
                card = replace(card, card_id=card_id)
                review = replace(review, card_id=card_id)
            db.execute(
                f"INSERT OR REPLACE INTO practice_cards ({self._PRACTICE_CARD_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    card.phrase_id,
                    card.say_hash,
                    card.card_id,
                    int(card.state),
                    card.step,
                    card.stability,
                    card.difficulty,
                    to_iso(card.due),
                    None if card.last_review is None else to_iso(card.last_review),
                    to_iso(card.introduced_at),
                ),
            )
            cursor = db.execute(
                f"INSERT INTO practice_reviews ({self._PRACTICE_REVIEW_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    review.phrase_id,
                    review.say_hash,
                    review.card_id,
                    review.rating,
                    to_iso(review.reviewed_at),
                    review.elapsed_days,
                    int(review.state_before),
                    int(review.state_after),
                    review.stability,
                    review.difficulty,
                    to_iso(review.due),
                    int(review.typed),
                ),
            )
        return card, replace(review, id=cursor.lastrowid)

    def practice_reviews(self, phrase_id: str | None = None) -> list[ReviewRecord]:
        """The review log (of one phrase id, or all), oldest first."""
        from calldesk.core.practice.cards import CardState, ReviewRecord

        where, params = ("WHERE phrase_id = ?", (phrase_id,)) if phrase_id else ("", ())
        with self._read() as db:
            rows = db.execute(
                f"SELECT {self._PRACTICE_REVIEW_COLUMNS}, id FROM practice_reviews {where}"
                " ORDER BY id",
                params,
            ).fetchall()
        return [
            ReviewRecord(
                phrase_id=row[0],
                say_hash=row[1],
                card_id=row[2],
                rating=row[3],
                reviewed_at=from_iso(row[4]),
                elapsed_days=row[5],
                state_before=CardState(row[6]),
                state_after=CardState(row[7]),
                stability=row[8],
                difficulty=row[9],
                due=from_iso(row[10]),
                typed=bool(row[11]),
                id=row[12],
            )
            for row in rows
        ]

    def practice_review_counts(self) -> dict[str, tuple[int, int]]:
        """phrase id -> (reviews, lapses); a lapse is a 1 (again) given to a card in review."""
        from calldesk.core.practice.cards import CardState

        with self._read() as db:
            rows = db.execute(
                "SELECT phrase_id, count(*), sum(rating = 1 AND state_before = ?)"
                " FROM practice_reviews GROUP BY phrase_id",
                (int(CardState.REVIEW),),
            ).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def practice_introduced(self, since: datetime, until: datetime) -> int:
        """How many new cards were first graded in [since, until)."""
        with self._read() as db:
            row = db.execute(
                "SELECT count(*) FROM practice_reviews"
                " WHERE state_before = 0 AND reviewed_at >= ? AND reviewed_at < ?",
                (to_iso(since), to_iso(until)),
            ).fetchone()
        return int(row[0])

    @staticmethod
    def _practice_card(row: sqlite3.Row) -> CardRecord:
        from calldesk.core.practice.cards import CardRecord, CardState

        return CardRecord(
            phrase_id=row[0],
            say_hash=row[1],
            card_id=row[2],
            state=CardState(row[3]),
            step=row[4],
            stability=row[5],
            difficulty=row[6],
            due=from_iso(row[7]),
            last_review=_when(row[8]),
            introduced_at=from_iso(row[9]),
        )
