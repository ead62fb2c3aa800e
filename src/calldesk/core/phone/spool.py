"""The one spool for phone events calldesk could not take live: a private JSON-lines file.

A hook that finds no calldesk appends its event here (under an exclusive lock); the app takes
them all when it starts. Older calldesks also kept such events in the database table
`pending_events`; whatever is still unshown there is taken once, and nothing writes there now.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from calldesk.core.clock import from_iso
from calldesk.core.files import ensure_private_dir, open_append, open_private
from calldesk.core.phone.events import MAX_LINE, PhoneEvent

if TYPE_CHECKING:
    from calldesk.core.db.database import Database

PENDING_FILE_NAME = "pending-events.jsonl"


def _lock_exclusive(fd: int) -> None:
    # fcntl is POSIX-only; where it is missing, O_APPEND writes of one line are the guard.
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def pending_file_path(data_dir: Path) -> Path:
    """Where the CLI keeps events when calldesk is not running and the store cannot take them."""
    return data_dir / PENDING_FILE_NAME


def append_pending_file(event: PhoneEvent, path: Path) -> None:
    """Add one event to the private (0600) pending file, safely against a concurrent reader.

    A symbolic link, a non-regular file or another user's file at `path` is refused
    (`FileRefused`, an OSError): the caller's details never land in a file not the user's own.
    """
    ensure_private_dir(path.parent)
    line = (json.dumps(event.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = open_append(path)
    try:
        _lock_exclusive(fd)
        os.write(fd, line)
    finally:
        os.close(fd)  # closing drops the lock


def read_pending_file(path: Path) -> list[PhoneEvent]:
    """The events kept in the pending file, oldest first; the file is emptied.

    Lines that are not valid events (a half-written line, garbage) are skipped. A missing file
    means no events. A file that is not the user's own (a link, another user's file) is
    refused with `FileRefused` (an OSError) and left as it is: its events could be forged.
    """
    try:
        fd = open_private(path, os.O_RDWR, create=False)
    except FileNotFoundError:
        return []
    try:
        _lock_exclusive(fd)
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    events: list[PhoneEvent] = []
    for line in b"".join(chunks).split(b"\n"):
        if not line.strip() or len(line) > MAX_LINE:
            continue
        try:
            events.append(PhoneEvent.from_dict(json.loads(line)))
        except (ValueError, RecursionError):
            continue
    return events


def keep_for_later(event: PhoneEvent, pending_file: Path) -> None:
    """Keep an event that could not be delivered, in the spool. OSError is left to the caller."""
    append_pending_file(event, pending_file)


def take_all_pending(db: Database | None, pending_file: Path) -> list[PhoneEvent]:
    """Every event kept while calldesk was away, oldest first; the spool is emptied.

    `db` is the open database, whose legacy table (filled by older calldesks) is drained too,
    or None. An event kept twice comes back once: copies are equal, down to the time the hook
    stamped. A hook that gave up waiting on a busy calldesk keeps its event even though
    calldesk may then take it live; PhoneEvent is hashable, so the app can drop those by
    comparing with the events it has already handled.
    """
    events = events_from_pending(take_legacy_events(db)) if db is not None else []
    events += read_pending_file(pending_file)
    return sorted(dict.fromkeys(events), key=lambda event: event.at)


# -- events older calldesks kept in the database -----------------------------------------------


class PendingRecord(Protocol):
    """A kept event as the legacy table holds it."""

    kind: str
    payload: dict[str, Any]
    created_at: datetime


def events_from_pending(records: Iterable[PendingRecord]) -> list[PhoneEvent]:
    """Turn kept records back into PhoneEvents, skipping any that do not parse."""
    events: list[PhoneEvent] = []
    for record in records:
        try:
            data = {**record.payload, "kind": record.kind}
            events.append(PhoneEvent.from_dict(data, default_at=record.created_at))
        except (ValueError, TypeError):
            continue
    return events


@dataclass(frozen=True, slots=True)
class PendingEvent:
    """A softphone event that arrived while no calldesk was there to show it."""

    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


def add_pending_event(db: Database, kind: str, payload: Mapping[str, Any]) -> int:
    """Keep an event in the legacy table as older calldesks did (for tests of the upgrade)."""
    with db.write() as conn:
        cursor = conn.execute(
            "INSERT INTO pending_events (kind, payload, created_at) VALUES (?, ?, ?)",
            (kind, json.dumps(dict(payload), ensure_ascii=False), db.now()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


def take_legacy_events(db: Database) -> list[PendingEvent]:
    """Unshown events in the legacy table, oldest first; they are marked shown (kept)."""
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
