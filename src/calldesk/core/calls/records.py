"""Calls and notes as stored: every read and write of the calls and notes tables.

Each function takes the open `Database`; the desk runs the writes on its writer thread.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.calls.model import Call, CallSummary, NoteEntry, Outcome, normalise_number
from calldesk.core.calls.rows import (
    CALL_COLUMNS,
    NOTE_COLUMNS,
    SUMMARY_SELECT,
    call_from_row,
    clean_tags,
    fts_term,
    like_term,
    note_from_row,
    search_terms,
    summary_from_row,
    when,
)
from calldesk.core.clock import from_iso, to_iso
from calldesk.core.db.errors import NotFound, call_not_found

if TYPE_CHECKING:
    import sqlite3

    from calldesk.core.db.database import Database

ITER_BATCH = 500
"""Calls fetched per round trip by `iter_calls` (each batch's notes come in one more query)."""


def start_call(
    db: Database,
    caller_name: str = "",
    caller_number: str = "",
    ticket: str = "",
    *,
    at: datetime | None = None,
    answered: bool = True,
    call_id: int | None = None,
) -> Call:
    """Record a new open call; `at` is when it started (default: now).

    `answered=False` is a call still ringing: `mark_answered` records the answer later.
    `call_id` is the id the desk gave the call (see `next_ids`); None lets SQLite choose.
    """
    started = db.now(at)
    answered_at = started if answered else None
    with db.write() as conn:
        cursor = conn.execute(
            "INSERT INTO calls (id, started_at, answered_at, caller_name, caller_number,"
            " number_norm, ticket) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                call_id,
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
        answered_at=when(answered_at),
        caller_name=caller_name,
        caller_number=caller_number,
        ticket=ticket,
    )


def next_ids(db: Database) -> tuple[int, int]:
    """The next free call id and note id: the desk numbers what it creates from these.

    The desk is the only writer of calls and notes while it has the database (the lock file
    keeps a second calldesk out), so ids it hands out from here never collide.
    """
    with db.read() as conn:
        row = conn.execute(
            "SELECT (SELECT coalesce(max(id), 0) FROM calls),"
            " (SELECT coalesce(max(id), 0) FROM notes)"
        ).fetchone()
    return int(row[0]) + 1, int(row[1]) + 1


def mark_answered(db: Database, call_id: int, *, at: datetime | None = None) -> None:
    """Record when a ringing call was answered (a call answered already keeps its time)."""
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is None:
            raise call_not_found(call_id)
        conn.execute(
            "UPDATE calls SET answered_at = ? WHERE id = ? AND answered_at IS NULL",
            (db.now(at), call_id),
        )


def record_missed_call(
    db: Database,
    caller_name: str = "",
    caller_number: str = "",
    *,
    rang_at: datetime,
    ended_at: datetime | None = None,
    call_id: int | None = None,
) -> Call:
    """Record a call that rang from `rang_at` until the caller gave up (default: now)."""
    started, ended = db.now(rang_at), db.now(ended_at)
    with db.write() as conn:
        cursor = conn.execute(
            "INSERT INTO calls (id, started_at, ended_at, missed, caller_name, caller_number,"
            " number_norm) VALUES (?, ?, ?, 1, ?, ?, ?)",
            (call_id, started, ended, caller_name, caller_number, normalise_number(caller_number)),
        )
        assert cursor.lastrowid is not None
        return _get_call(conn, cursor.lastrowid)


def delete_untouched_call(db: Database, call_id: int) -> bool:
    """Delete a call nobody wrote anything in; False (and the call kept) if someone did.

    For the record of a call that rang and was never answered, set aside when the agent
    answered another call instead. Anything typed (notes, a draft, a ticket, checklist
    answers, an outcome) keeps the call.
    """
    with db.write() as conn:
        cursor = conn.execute(
            "DELETE FROM calls WHERE id = ? AND ended_at IS NULL AND outcome IS NULL"
            " AND trim(draft) = '' AND ticket = ''"
            " AND NOT EXISTS (SELECT 1 FROM notes WHERE call_id = calls.id)"
            " AND NOT EXISTS (SELECT 1 FROM checklist_answers WHERE call_id = calls.id)",
            (call_id,),
        )
        return cursor.rowcount > 0


def update_call(
    db: Database,
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
        changes["tags"] = json.dumps(clean_tags(tags), ensure_ascii=False)
    with db.write() as conn:
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            conn.execute(
                f"UPDATE calls SET {assignments} WHERE id = ?", (*changes.values(), call_id)
            )
        return _get_call(conn, call_id)


def set_fan(db: Database, call_id: int, at: datetime | None) -> None:
    """Mark a call a fan moment at `at`, or take the mark back (None)."""
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is None:
            raise call_not_found(call_id)
        conn.execute(
            "UPDATE calls SET fan_at = ? WHERE id = ?",
            (None if at is None else to_iso(at), call_id),
        )


def save_draft(db: Database, call_id: int, text: str) -> None:
    """Keep the note being typed, so a crash cannot lose it. Runs on every autosave."""
    with db.write() as conn:
        if conn.execute("UPDATE calls SET draft = ? WHERE id = ?", (text, call_id)).rowcount == 0:
            raise call_not_found(call_id)


def add_note(
    db: Database,
    call_id: int,
    text: str,
    *,
    at: datetime | None = None,
    note_id: int | None = None,
) -> NoteEntry:
    """Add a note entry and clear the draft it was typed in, in one transaction.

    `note_id` is the id the desk gave the note (see `next_ids`); None lets SQLite choose.
    """
    created = db.now(at)
    with db.write() as conn:
        if conn.execute("UPDATE calls SET draft = '' WHERE id = ?", (call_id,)).rowcount == 0:
            raise call_not_found(call_id)
        cursor = conn.execute(
            "INSERT INTO notes (id, call_id, created_at, text) VALUES (?, ?, ?, ?)",
            (note_id, call_id, created, text),
        )
        assert cursor.lastrowid is not None
        return NoteEntry(cursor.lastrowid, call_id, from_iso(created), text)


def edit_note(db: Database, note_id: int, text: str, *, at: datetime | None = None) -> NoteEntry:
    """Replace a note's text and record when it was edited."""
    with db.write() as conn:
        conn.execute(
            "UPDATE notes SET text = ?, edited_at = ? WHERE id = ?",
            (text, db.now(at), note_id),
        )
        row = conn.execute(f"SELECT {NOTE_COLUMNS} FROM notes WHERE id = ?", (note_id,))
        found = row.fetchone()
        if found is None:
            raise NotFound(f"There is no note {note_id}.", "It may have been deleted.")
        return note_from_row(found)


def delete_note(db: Database, note_id: int) -> bool:
    """Delete a note; False if it was already gone (so a retried delete is harmless)."""
    with db.write() as conn:
        return conn.execute("DELETE FROM notes WHERE id = ?", (note_id,)).rowcount > 0


def end_call(
    db: Database, call_id: int, *, at: datetime | None = None, missed: bool = False
) -> Call:
    """Mark the call ended. A draft still in it becomes its last note rather than vanish.

    `missed` records that the caller gave up before the call was answered. Ending an ended
    call changes nothing (its first end time stands).
    """
    when = db.now(at)
    with db.write() as conn:
        row = conn.execute("SELECT ended_at, draft FROM calls WHERE id = ?", (call_id,)).fetchone()
        if row is None:
            raise call_not_found(call_id)
        if row["draft"].strip():
            conn.execute(
                "INSERT INTO notes (call_id, created_at, text) VALUES (?, ?, ?)",
                (call_id, when, row["draft"]),
            )
            conn.execute("UPDATE calls SET draft = '' WHERE id = ?", (call_id,))
        if row["ended_at"] is None:
            conn.execute(
                "UPDATE calls SET ended_at = ?, missed = ? WHERE id = ?",
                (when, int(missed), call_id),
            )
        return _get_call(conn, call_id)


def set_outcome(db: Database, call_id: int, outcome: Outcome | None, reason: str = "") -> None:
    """Record how the call went (None clears it)."""
    value = None if outcome is None else Outcome(outcome).value
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE calls SET outcome = ?, outcome_reason = ? WHERE id = ?",
            (value, reason, call_id),
        )
        if cursor.rowcount == 0:
            raise call_not_found(call_id)


def get_call(db: Database, call_id: int) -> Call:
    """The call with all its notes, oldest note first."""
    with db.read() as conn:
        return _get_call(conn, call_id)


def open_call(db: Database) -> Call | None:
    """The most recent call not yet ended: the one to bring back after a crash."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT id FROM calls WHERE ended_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _get_call(conn, row["id"])


def last_ended_call(db: Database) -> Call | None:
    """The latest ended call: what F6 and F10 are about after a restart."""
    with db.read() as conn:
        row = conn.execute(
            # By id, newest first (the primary key: no scan of a long history at start-up).
            "SELECT id FROM calls WHERE ended_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _get_call(conn, row["id"])


def latest_call(db: Database) -> Call | None:
    """The call open now, else the last one recorded: where the newest notes went."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT id FROM calls ORDER BY ended_at IS NULL DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _get_call(conn, row["id"])


def list_calls(db: Database, limit: int = 50, offset: int = 0) -> list[CallSummary]:
    """Calls newest first, without their notes (see `CallSummary`)."""
    with db.read() as conn:
        rows = conn.execute(
            f"{SUMMARY_SELECT} ORDER BY c.started_at DESC, c.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        ).fetchall()
    return [summary_from_row(row) for row in rows]


def search_calls(db: Database, query: str, limit: int = 50) -> list[CallSummary]:
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
        if db.fts:
            params[key] = fts_term(term)
            clauses.append(
                f"c.id IN (SELECT rowid FROM calls_fts WHERE calls_fts MATCH :{key}"
                " UNION SELECT call_id FROM notes WHERE id IN"
                f" (SELECT rowid FROM notes_fts WHERE notes_fts MATCH :{key}))"
            )
        else:
            params[key] = like_term(term)
            like = f"LIKE :{key} ESCAPE '\\'"
            clauses.append(
                f"(c.caller_name {like} OR c.caller_number {like} OR c.ticket {like}"
                f" OR c.number_norm {like} OR EXISTS (SELECT 1 FROM notes n"
                f" WHERE n.call_id = c.id AND n.text {like}))"
            )
    where = " AND ".join(clauses)
    digits = normalise_number(query)
    if len(digits) >= 3 and digits.isdigit():
        params["digits"] = like_term(digits)
        where = f"({where}) OR c.number_norm LIKE :digits ESCAPE '\\'"
    with db.read() as conn:
        rows = conn.execute(
            f"{SUMMARY_SELECT} WHERE {where} ORDER BY c.started_at DESC, c.id DESC LIMIT :limit",
            params,
        ).fetchall()
    return [summary_from_row(row) for row in rows]


def calls_by_number(db: Database, number: str, limit: int = 20) -> list[CallSummary]:
    """Earlier calls from the same number however it was written, newest first."""
    normalised = normalise_number(number)
    if not normalised:
        return []
    with db.read() as conn:
        rows = conn.execute(
            # The repeated `!= ''` lets SQLite use the partial index on number_norm.
            f"{SUMMARY_SELECT} WHERE c.number_norm = ? AND c.number_norm != ''"
            " ORDER BY c.started_at DESC, c.id DESC LIMIT ?",
            (normalised, limit),
        ).fetchall()
    return [summary_from_row(row) for row in rows]


def count_calls(db: Database, since: datetime | None = None, until: datetime | None = None) -> int:
    """How many calls `iter_calls(db, since, until)` gives, without reading them."""
    bounds = [("started_at >= ?", since), ("started_at < ?", until)]
    given = [(condition, to_iso(moment)) for condition, moment in bounds if moment is not None]
    where = " AND ".join(condition for condition, _ in given)
    with db.read() as conn:
        row = conn.execute(
            f"SELECT count(*) FROM calls{' WHERE ' + where if where else ''}",
            [value for _, value in given],
        ).fetchone()
    return int(row[0])


def iter_calls(
    db: Database, since: datetime | None = None, until: datetime | None = None
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
        with db.read() as conn:
            rows = conn.execute(
                f"SELECT {CALL_COLUMNS} FROM calls {where} ORDER BY started_at, id LIMIT ?",
                (*args, ITER_BATCH),
            ).fetchall()
            if not rows:
                return
            ids = [row["id"] for row in rows]
            marks = ", ".join("?" * len(ids))
            notes: dict[int, list[NoteEntry]] = defaultdict(list)
            for note in conn.execute(
                f"SELECT {NOTE_COLUMNS} FROM notes WHERE call_id IN ({marks}) ORDER BY call_id, id",
                ids,
            ):
                notes[note["call_id"]].append(note_from_row(note))
        for row in rows:
            yield call_from_row(row, notes.get(row["id"], []))
        if len(rows) < ITER_BATCH:
            return
        after = (rows[-1]["started_at"], rows[-1]["id"])


def recent_outcomes(db: Database, limit: int, since: datetime | None = None) -> list[Outcome]:
    """Outcomes of the latest calls that have one, newest first (for the bad-call streak)."""
    query = "SELECT outcome FROM calls WHERE outcome IS NOT NULL"
    params: list[object] = []
    if since is not None:
        query += " AND started_at >= ?"
        params.append(to_iso(since))
    with db.read() as conn:
        rows = conn.execute(
            f"{query} ORDER BY started_at DESC, id DESC LIMIT ?", (*params, limit)
        ).fetchall()
    return [Outcome(row[0]) for row in rows]


def caller_names(db: Database) -> set[str]:
    """Every caller name stored (lower case, 3 letters or more), to keep them out of shared data."""
    with db.read() as conn:
        rows = conn.execute("SELECT DISTINCT caller_name FROM calls WHERE caller_name != ''")
        return {str(name).lower().strip() for (name,) in rows if len(str(name).strip()) >= 3}


def _get_call(conn: sqlite3.Connection, call_id: int) -> Call:
    row = conn.execute(f"SELECT {CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)).fetchone()
    if row is None:
        raise call_not_found(call_id)
    notes = conn.execute(
        f"SELECT {NOTE_COLUMNS} FROM notes WHERE call_id = ? ORDER BY id",
        (call_id,),
    ).fetchall()
    return call_from_row(row, [note_from_row(note) for note in notes])
