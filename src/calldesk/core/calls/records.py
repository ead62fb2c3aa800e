"""Calls and notes as written: every write of the calls and notes tables, and the next ids.

Each function takes the open `Database`; the desk runs them on its writer thread. Reading
calls back (one call, history, search, export) is `history.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.calls.model import Call, NoteEntry, Outcome, normalise_number
from calldesk.core.calls.rows import NOTE_COLUMNS, clean_tags, note_from_row, read_call, when
from calldesk.core.clock import from_iso, to_iso
from calldesk.core.db.errors import NotFound, call_not_found

if TYPE_CHECKING:
    from calldesk.core.db.database import Database


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
        return read_call(conn, cursor.lastrowid)


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
        return read_call(conn, call_id)


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
        return read_call(conn, call_id)


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
