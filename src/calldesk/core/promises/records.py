"""Promises as stored: the reads and writes on the promises table (made in core/db/schema.py v6)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.core.calls.model import normalise_number
from calldesk.core.clock import Clock, from_iso, to_iso
from calldesk.core.promises.model import Promise, PromiseSource, PromiseState

if TYPE_CHECKING:
    from calldesk.core.db.database import Database


class PromiseNotFound(LookupError):
    """No promise with that id."""


_COLUMNS = (
    "id, call_id, caller_name, caller_number, what, due_at, first_due_at, made_at, state,"
    " reason, closed_at, source, reminded_at"
)


def _promise(row: sqlite3.Row | tuple[object, ...]) -> Promise:
    (
        promise_id,
        call_id,
        name,
        number,
        what,
        due_at,
        first_due_at,
        made_at,
        state,
        reason,
        closed_at,
        source,
        reminded_at,
    ) = tuple(row)
    first = from_iso(str(first_due_at))
    due = from_iso(str(due_at))
    return Promise(
        id=int(promise_id),  # type: ignore[arg-type]
        what=str(what),
        due_at=due,
        made_at=from_iso(str(made_at)),
        call_id=None if call_id is None else int(call_id),  # type: ignore[arg-type]
        caller_name=str(name),
        caller_number=str(number),
        state=PromiseState(str(state)),
        reason=str(reason),
        first_due_at=None if first == due else first,
        closed_at=None if closed_at is None else from_iso(str(closed_at)),
        source=PromiseSource(str(source)),
        reminded_at=None if reminded_at is None else from_iso(str(reminded_at)),
    )


def add_promise(db: Database, promise: Promise) -> Promise:
    """Store a new promise and return it as stored.

    A positive `id` is kept (the app numbers what it makes, as it does calls: see
    `last_promise_id`); 0 or less lets the database choose one.
    """
    with db.write() as conn:
        call_id = promise.call_id
        known = call_id is not None and call_id > 0
        if known and not conn.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone():
            known = False
        if not known:
            call_id = None  # a call that never reached the disk: the promise still stands
        cursor = conn.execute(
            "INSERT INTO promises (id, call_id, caller_name, caller_number, number_norm, what,"
            " due_at, first_due_at, made_at, state, reason, source, reminded_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                promise.id if promise.id > 0 else None,
                call_id,
                promise.caller_name,
                promise.caller_number,
                normalise_number(promise.caller_number),
                promise.what,
                to_iso(promise.due_at),
                to_iso(promise.first_due_at or promise.due_at),
                to_iso(promise.made_at),
                str(promise.state),
                promise.reason,
                str(promise.source),
                None if promise.reminded_at is None else to_iso(promise.reminded_at),
            ),
        )
        new_id = int(cursor.lastrowid or 0)
        return _get(conn, new_id)


def last_promise_id(db: Database) -> int:
    """The highest promise id stored (0 for none): the app numbers new promises after it.

    The app is the only one that adds promises while it has the database (the command line
    only marks them kept, moved or dropped), so the ids it hands out never collide.
    """
    with db.read() as conn:
        row = conn.execute("SELECT coalesce(max(id), 0) FROM promises").fetchone()
    return int(row[0])


def _get(db: sqlite3.Connection, promise_id: int) -> Promise:
    row = db.execute(f"SELECT {_COLUMNS} FROM promises WHERE id = ?", (promise_id,)).fetchone()
    if row is None:
        raise PromiseNotFound(f"there is no promise {promise_id}")
    return _promise(row)


def get_promise(db: Database, promise_id: int) -> Promise:
    with db.read() as conn:
        return _get(conn, promise_id)


def list_promises(
    db: Database,
    *,
    open_only: bool = False,
    due_before: datetime | None = None,
    since: datetime | None = None,
) -> list[Promise]:
    """Promises by due time: only open ones, only due before a time, only made since a time."""
    where, params = ["1"], []
    if open_only:
        where.append("state IN ('open', 'moved')")
    if due_before is not None:
        where.append("due_at < ?")
        params.append(to_iso(due_before))
    if since is not None:
        where.append("made_at >= ?")
        params.append(to_iso(since))
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM promises WHERE {' AND '.join(where)} ORDER BY due_at, id",
            params,
        ).fetchall()
    return [_promise(row) for row in rows]


def open_promises_for_number(db: Database, number: str) -> list[Promise]:
    """Open promises made to `number` (normalised), soonest first; none for an unusable one."""
    norm = normalise_number(number)
    if not norm:
        return []
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM promises WHERE number_norm = ?"
            " AND state IN ('open', 'moved') ORDER BY due_at, id",
            (norm,),
        ).fetchall()
    return [_promise(row) for row in rows]


def promises_for_calls(db: Database, call_ids: Iterable[int]) -> dict[int, list[Promise]]:
    """Every promise made on each of `call_ids`, in the order they were made."""
    ids = sorted(set(call_ids))
    found: dict[int, list[Promise]] = {}
    with db.read() as conn:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in conn.execute(
                f"SELECT {_COLUMNS} FROM promises WHERE call_id IN ({marks}) ORDER BY made_at, id",
                chunk,
            ):
                promise = _promise(row)
                found.setdefault(promise.call_id or 0, []).append(promise)
    return found


def close_promise(
    db: Database, promise_id: int, state: PromiseState, reason: str = "", *, at: datetime
) -> Promise:
    """Mark a promise kept or dropped (with the agent's reason)."""
    if state not in (PromiseState.KEPT, PromiseState.DROPPED):
        raise ValueError(f"a promise is closed as kept or dropped, not {state}")
    with db.write() as conn:
        _get(conn, promise_id)
        conn.execute(
            "UPDATE promises SET state = ?, reason = ?, closed_at = ? WHERE id = ?",
            (str(state), reason, to_iso(at), promise_id),
        )
        return _get(conn, promise_id)


def move_promise(db: Database, promise_id: int, due_at: datetime, reason: str = "") -> Promise:
    """Give a promise a new due time (agreed with the caller); it is reminded again."""
    with db.write() as conn:
        _get(conn, promise_id)
        conn.execute(
            "UPDATE promises SET state = 'moved', due_at = ?, reason = ?, reminded_at = NULL,"
            " closed_at = NULL WHERE id = ?",
            (to_iso(due_at), reason, promise_id),
        )
        return _get(conn, promise_id)


def mark_reminded(db: Database, promise_id: int, at: datetime) -> None:
    """The reminder was given: a restart does not ring the bell for it again."""
    with db.write() as conn:
        conn.execute("UPDATE promises SET reminded_at = ? WHERE id = ?", (to_iso(at), promise_id))


def open_beside_app(path: Path, clock: Clock) -> Database:
    """The database for writing promises while a running calldesk holds its lock.

    The app's lock keeps a second app from recording calls; marking one promise kept from the
    command line is a single-row change that SQLite's own locking makes safe (the app waits
    at most its busy timeout), and the app reads the open promises again within a minute.
    Only the functions in this module may be used on what this returns.
    """
    from calldesk.core.db.connection import connect, translated
    from calldesk.core.db.database import Database

    with translated(path, readonly=False):
        conn = connect(path, readonly=False)
        try:
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'promises'"
            ).fetchone()
        except BaseException:
            conn.close()
            raise
    if has_table is None:
        conn.close()
        raise PromiseNotFound(
            f"the call database {path} has no promises yet: start calldesk once to update it"
        )
    return Database(conn, clock, path, lock_fd=None, readonly=False, fts=False)
