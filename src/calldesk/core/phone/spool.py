"""Softphone events kept while no calldesk was there to show them, as stored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from calldesk.core.clock import from_iso

if TYPE_CHECKING:
    from calldesk.core.db.database import Database


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A softphone event that arrived while no calldesk was there to show it."""

    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


def add_pending_event(db: Database, kind: str, payload: Mapping[str, Any]) -> int:
    """Keep an event to show when calldesk next looks; returns its id."""
    with db.write() as conn:
        cursor = conn.execute(
            "INSERT INTO pending_events (kind, payload, created_at) VALUES (?, ?, ?)",
            (kind, json.dumps(dict(payload), ensure_ascii=False), db.now()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def take_pending_events(db: Database) -> list[PendingEvent]:
    """The events not yet shown, oldest first; they are marked shown (kept, not deleted)."""
    with db.write() as conn:
        rows = conn.execute(
            "SELECT id, kind, payload, created_at FROM pending_events"
            " WHERE shown_at IS NULL ORDER BY id"
        ).fetchall()
        if rows:
            conn.execute(
                "UPDATE pending_events SET shown_at = ? WHERE shown_at IS NULL AND id <= ?",
                (db.now(), rows[-1]["id"]),
            )
    return [
        PendingEvent(row["id"], row["kind"], json.loads(row["payload"]), from_iso(row[3]))
        for row in rows
    ]
