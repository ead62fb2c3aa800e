"""After-call records: checklist answers, permanent fixes and breaks, as stored.

Storage only: which answers file a fix is decided in `aftercall/fixes.py`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from calldesk.core.aftercall.cooldown import CooldownState, Phase, representable
from calldesk.core.calls.model import display_caller
from calldesk.core.clock import from_iso, to_iso
from calldesk.core.db.errors import NotFound, call_not_found

if TYPE_CHECKING:
    import sqlite3

    from calldesk.core.db.database import Database


class FixStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    WONTFIX = "wontfix"


@dataclass(frozen=True, slots=True)
class PermanentFix:
    """The lasting fix an agent noted for a call's problem: what, where it is filed, who owns it."""

    id: int
    call_id: int
    call_started_at: datetime
    caller: str
    what: str
    where: str
    owner: str
    status: FixStatus
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RecentCall:
    """What recurrence spotting needs to know of one call."""

    call_id: int
    started_at: datetime
    tags: tuple[str, ...] = ()
    fix_texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChecklistAnswer:
    value: object
    skipped: bool
    answered_at: datetime
    suggested: bool = False
    """The agent accepted the answer calldesk suggested from the call, unchanged."""


_COOLDOWN_COLUMNS = (
    "id, call_id, duration_s, state, offered_at, started_at, snoozed_until, snoozes_used, "
    "ended_at, long_break, snooze_s, max_snoozes"
)


def _when(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _cooldown(row: sqlite3.Row) -> CooldownState:
    # Clamped: a stored break calldesk cannot time must never stop it from starting.
    return representable(
        CooldownState(
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


def save_checklist_answer(
    db: Database,
    call_id: int,
    item_id: str,
    value: object,
    skipped: bool = False,
    suggested: bool = False,
) -> None:
    """Store one checklist answer (any JSON value), replacing an earlier one for the item."""
    try:
        encoded = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError) as error:
        message = f"checklist answer for {item_id!r} is not JSON data: {error}"
        raise ValueError(message) from None
    with db.write() as conn:
        if conn.execute("SELECT 1 FROM calls WHERE id = ?", (call_id,)).fetchone() is None:
            raise call_not_found(call_id)
        conn.execute(
            "INSERT INTO checklist_answers"
            " (call_id, item_id, value, skipped, answered_at, suggested)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id, item_id) DO UPDATE SET"
            " value = excluded.value, skipped = excluded.skipped,"
            " answered_at = excluded.answered_at, suggested = excluded.suggested",
            (call_id, item_id, encoded, int(skipped), db.now(), int(suggested)),
        )


def file_fix(db: Database, call_id: int, item_id: str, what: str, where: str, owner: str) -> None:
    """Record the permanent fix noted for a checklist item (open), or update its texts.

    An unchanged fix keeps its time; a changed one keeps its status (done stays done).
    """
    now = db.now()
    with db.write() as conn:
        conn.execute(
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


def withdraw_open_fix(db: Database, call_id: int, item_id: str) -> None:
    """Delete the fix filed for a checklist item if it is still open (done or won't-fix stay)."""
    with db.write() as conn:
        conn.execute(
            "DELETE FROM permanent_fixes WHERE call_id = ? AND item_id = ? AND status = ?",
            (call_id, item_id, FixStatus.OPEN.value),
        )


def checklist_answers(db: Database, call_id: int) -> dict[str, ChecklistAnswer]:
    """item id -> answer, for one call."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT item_id, value, skipped, answered_at, suggested FROM checklist_answers"
            " WHERE call_id = ? ORDER BY answered_at, item_id",
            (call_id,),
        ).fetchall()
    return {
        row["item_id"]: ChecklistAnswer(
            json.loads(row["value"]),
            bool(row["skipped"]),
            from_iso(row["answered_at"]),
            bool(row["suggested"]),
        )
        for row in rows
    }


_FIX_SELECT = (
    "SELECT f.id, f.call_id, c.started_at, c.caller_name, c.caller_number, f.what,"
    " f.location, f.owner, f.status, f.updated_at"
    " FROM permanent_fixes f JOIN calls c ON c.id = f.call_id"
)


def list_fixes(db: Database, status: str | None = "open") -> list[PermanentFix]:
    """Permanent fixes with this status (None for all), newest first."""
    where, params = "", ()
    if status is not None:
        where, params = "WHERE f.status = ?", (FixStatus(status).value,)
    with db.read() as conn:
        rows = conn.execute(
            f"{_FIX_SELECT} {where} ORDER BY f.created_at DESC, f.id DESC", params
        ).fetchall()
    return [_fix(row) for row in rows]


def fixes_for_calls(
    db: Database, call_ids: Sequence[int], status: str | None = "open"
) -> list[PermanentFix]:
    """Permanent fixes recorded on these calls (this status, None for all), newest first."""
    if not call_ids:
        return []
    marks = ", ".join("?" * len(call_ids))
    where, params = f"WHERE f.call_id IN ({marks})", [*call_ids]
    if status is not None:
        where += " AND f.status = ?"
        params.append(FixStatus(status).value)
    with db.read() as conn:
        rows = conn.execute(
            f"{_FIX_SELECT} {where} ORDER BY f.created_at DESC, f.id DESC", params
        ).fetchall()
    return [_fix(row) for row in rows]


def set_fix_status(db: Database, fix_id: int, status: str) -> PermanentFix:
    """Mark a permanent fix open, done or wontfix."""
    value = FixStatus(status).value
    with db.write() as conn:
        cursor = conn.execute(
            "UPDATE permanent_fixes SET status = ?, updated_at = ? WHERE id = ?",
            (value, db.now(), fix_id),
        )
        if cursor.rowcount == 0:
            raise NotFound(f"There is no permanent fix {fix_id}.", "Refresh the list.")
        return _fix(conn.execute(f"{_FIX_SELECT} WHERE f.id = ?", (fix_id,)).fetchone())


def recent_calls_for_recurrence(db: Database, since: datetime) -> list[RecentCall]:
    """Tags and permanent-fix texts of the calls started since `since`, oldest first."""
    with db.read() as conn:
        calls = conn.execute(
            "SELECT id, started_at, tags FROM calls WHERE started_at >= ? ORDER BY started_at, id",
            (to_iso(since),),
        ).fetchall()
        fixes: dict[int, list[str]] = defaultdict(list)
        for row in conn.execute(
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


def save_cooldown(db: Database, state: CooldownState) -> CooldownState:
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
    with db.write() as conn:
        if state.id is None:
            marks = ", ".join("?" * len(values))
            cursor = conn.execute(f"INSERT INTO cooldowns ({columns}) VALUES ({marks})", values)
            assert cursor.lastrowid is not None
            cooldown_id = cursor.lastrowid
        else:
            assignments = ", ".join(f"{column} = ?" for column in columns.split(", "))
            cursor = conn.execute(
                f"UPDATE cooldowns SET {assignments} WHERE id = ?", (*values, state.id)
            )
            if cursor.rowcount == 0:
                raise NotFound(f"There is no break {state.id}.", "Offer a new one.")
            cooldown_id = state.id
        row = conn.execute(
            f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns WHERE id = ?", (cooldown_id,)
        ).fetchone()
    return _cooldown(row)


def active_cooldown(db: Database) -> CooldownState | None:
    """The latest break still offered, snoozed or running, to resume after a restart."""
    active = tuple(phase.value for phase in Phase if phase.is_active)
    with db.read() as conn:
        row = conn.execute(
            f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns WHERE state IN (?, ?, ?)"
            " ORDER BY offered_at DESC, id DESC LIMIT 1",
            active,
        ).fetchone()
    return None if row is None else _cooldown(row)


def cooldowns_between(db: Database, since: datetime, until: datetime) -> list[CooldownState]:
    """Breaks offered in [since, until), oldest first."""
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT {_COOLDOWN_COLUMNS} FROM cooldowns"
            " WHERE offered_at >= ? AND offered_at < ? ORDER BY offered_at, id",
            (to_iso(since), to_iso(until)),
        ).fetchall()
    return [_cooldown(row) for row in rows]
