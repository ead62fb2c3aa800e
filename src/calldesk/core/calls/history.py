"""Calls as read back: one call with its notes, the open one, the history list, search,
earlier calls from a number, counts, and every call in a period for export.

Each function takes the open `Database`; the writes are in `records.py`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.calls.model import Call, CallSummary, NoteEntry, Outcome, normalise_number
from calldesk.core.calls.rows import (
    CALL_COLUMNS,
    NOTE_COLUMNS,
    SUMMARY_SELECT,
    call_from_row,
    fts_term,
    like_term,
    note_from_row,
    read_call,
    search_terms,
    summary_from_row,
)
from calldesk.core.clock import to_iso

if TYPE_CHECKING:
    from calldesk.core.db.database import Database

ITER_BATCH = 500
"""Calls fetched per round trip by `iter_calls` (each batch's notes come in one more query)."""


def get_call(db: Database, call_id: int) -> Call:
    """The call with all its notes, oldest note first."""
    with db.read() as conn:
        return read_call(conn, call_id)


def open_call(db: Database) -> Call | None:
    """The most recent call not yet ended: the one to bring back after a crash."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT id FROM calls WHERE ended_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else read_call(conn, row["id"])


def last_ended_call(db: Database) -> Call | None:
    """The latest ended call: what F6 and F10 are about after a restart."""
    with db.read() as conn:
        row = conn.execute(
            # By id, newest first (the primary key: no scan of a long history at start-up).
            "SELECT id FROM calls WHERE ended_at IS NOT NULL ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else read_call(conn, row["id"])


def latest_call(db: Database) -> Call | None:
    """The call open now, else the last one recorded: where the newest notes went."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT id FROM calls ORDER BY ended_at IS NULL DESC, id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else read_call(conn, row["id"])


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
