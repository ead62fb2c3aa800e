"""The database layout: forward migrations, the full-text search index and the meta table."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from calldesk.core.calls.model import normalise_number
from calldesk.core.db.errors import StoreTooNew

SEARCH_INDEX_VERSION = "1"
"""Bump when the FTS tables change; the index is then rebuilt from the calls and notes."""

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


# Say-it-aloud practice records how long the agent took to start speaking (#18).
_V5 = """
ALTER TABLE practice_reviews ADD COLUMN seconds_to_speak REAL;
"""


def _migrate_v5(db: sqlite3.Connection) -> None:
    _run_script(db, _V5)


# Promises to callers (#19, core/promises/records.py). One row per promise; rows are never
# deleted, so the record of promises kept stays whole. `call_id` survives its call being
# deleted (SET NULL): the promise was still made.
_V6 = """
CREATE TABLE promises (
    id INTEGER PRIMARY KEY,
    call_id INTEGER REFERENCES calls (id) ON DELETE SET NULL,
    caller_name TEXT NOT NULL DEFAULT '',
    caller_number TEXT NOT NULL DEFAULT '',
    number_norm TEXT NOT NULL DEFAULT '',
    what TEXT NOT NULL,
    due_at TEXT NOT NULL,
    first_due_at TEXT NOT NULL,
    made_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'open',
    reason TEXT NOT NULL DEFAULT '',
    closed_at TEXT,
    source TEXT NOT NULL DEFAULT 'note',
    reminded_at TEXT
);
CREATE INDEX promises_open ON promises (due_at) WHERE state IN ('open', 'moved');
CREATE INDEX promises_number ON promises (number_norm) WHERE number_norm != '';
CREATE INDEX promises_call ON promises (call_id);
"""


def _migrate_v6(db: sqlite3.Connection) -> None:
    _run_script(db, _V6)


# Phrase searches the agent gave up on with no result (#19, core/team/records.py): what the
# team's library is missing.
_V7 = """
CREATE TABLE search_misses (
    id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    searched_at TEXT NOT NULL
);
CREATE INDEX search_misses_time ON search_misses (searched_at);
"""


def _migrate_v7(db: sqlite3.Connection) -> None:
    _run_script(db, _V7)


# Checklist answers the agent accepted as suggested (#19, core/aftercall/suggest.py), and the
# fan moment an agent marks on a call (counted in My record).
_V8 = """
ALTER TABLE checklist_answers ADD COLUMN suggested INTEGER NOT NULL DEFAULT 0;
ALTER TABLE calls ADD COLUMN fan_at TEXT;
CREATE INDEX calls_fan ON calls (fan_at) WHERE fan_at IS NOT NULL;
"""


def _migrate_v8(db: sqlite3.Connection) -> None:
    _run_script(db, _V8)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_v1,
    _migrate_v2,
    _migrate_v3,
    _migrate_v4,
    _migrate_v5,
    _migrate_v6,
    _migrate_v7,
    _migrate_v8,
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


def fts5_available(db: sqlite3.Connection) -> bool:
    """Whether this SQLite has FTS5; some builds leave it out."""
    try:
        db.execute("CREATE VIRTUAL TABLE temp.calldesk_fts5_probe USING fts5(x)")
    except sqlite3.OperationalError:
        return False
    db.execute("DROP TABLE temp.calldesk_fts5_probe")
    return True


def schema_version(db: sqlite3.Connection, path: Path) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreTooNew(
            f"The call database {path} was written by a newer calldesk "
            f"(schema {version}; this one knows up to {SCHEMA_VERSION}).",
            "Update calldesk, or point data_dir in config.toml at another folder.",
        )
    return version


def migrate(db: sqlite3.Connection, path: Path) -> None:
    if schema_version(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(db, path)
        for step in MIGRATIONS[version:]:
            step(db)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def read_meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def sync_search_index(db: sqlite3.Connection, fts5: bool) -> bool:
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
    in_sync = read_meta(db, "search_index") == SEARCH_INDEX_VERSION
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
