"""The one spool for phone events calldesk could not take live: a private JSON-lines file.

A hook that finds no calldesk, or gets no answer in time, appends its event here (under an
exclusive lock) with the reason (`why`: the hook's send status, "not_running", "no_answer",
...); the app takes them all when it starts, and again every half second while it runs.
Copies of events it also took over the socket are dropped by event id. Older calldesks also
kept such events in the database table `pending_events`; whatever is still unshown there is
taken once, and nothing writes there now.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
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


@dataclass(frozen=True, slots=True)
class Spooled:
    """An event a hook kept, and why it could not hand it over ("" from older hooks)."""

    event: PhoneEvent
    why: str = ""

    @property
    def while_closed(self) -> bool:
        """The hook found no calldesk it could talk to (older hooks say nothing: they kept
        events only then); False when a running calldesk was too slow or could not keep it."""
        return self.why not in ("no_answer", "refused")


def spool_waiting(path: Path) -> bool:
    """Whether the spool holds anything: one stat, cheap enough to ask twice a second."""
    try:
        return os.stat(path).st_size > 0
    except OSError:
        return False


def append_pending_file(event: PhoneEvent, path: Path, why: str = "") -> None:
    """Add one event to the private (0600) pending file, safely against a concurrent reader.

    A symbolic link, a non-regular file or another user's file at `path` is refused
    (`FileRefused`, an OSError): the caller's details never land in a file not the user's own.
    """
    ensure_private_dir(path.parent)
    entry = {**event.to_dict(), "why": why} if why else event.to_dict()
    line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
    fd = open_append(path)
    try:
        _lock_exclusive(fd)
        os.write(fd, line)
    finally:
        os.close(fd)  # closing drops the lock


def read_pending_file(path: Path) -> list[PhoneEvent]:
    """The events kept in the pending file, in the order kept; the file is emptied."""
    return [spooled.event for spooled in read_spooled(path)]


def read_spooled(
    path: Path, before_emptying: Callable[[list[Spooled]], None] | None = None
) -> list[Spooled]:
    """The events kept in the pending file and why, in the order kept; the file is emptied.

    `before_emptying` is called with them while the file is still locked and whole (the app
    writes them to its journal there); if it raises, the file is left as it was.

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
        kept = _parse_spool(b"".join(chunks))
        if before_emptying is not None and kept:
            before_emptying(kept)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    return kept


def _parse_spool(data: bytes) -> list[Spooled]:
    kept: list[Spooled] = []
    for line in data.split(b"\n"):
        if not line.strip() or len(line) > MAX_LINE:
            continue
        try:
            data = json.loads(line)
            event = PhoneEvent.from_dict(data)
        except (ValueError, RecursionError):
            continue
        why = data.get("why")
        kept.append(Spooled(event, why[:40] if isinstance(why, str) else ""))
    return kept


def keep_for_later(event: PhoneEvent, pending_file: Path, why: str = "") -> None:
    """Keep an event that could not be delivered, in the spool. OSError is left to the caller."""
    append_pending_file(event, pending_file, why)


def take_all_pending(db: Database | None, pending_file: Path) -> list[PhoneEvent]:
    """Every event kept while calldesk was away, oldest first; the spool is emptied."""
    return [spooled.event for spooled in take_all_spooled(db, pending_file)]


def take_all_spooled(
    db: Database | None,
    pending_file: Path,
    before_emptying: Callable[[list[Spooled]], None] | None = None,
) -> list[Spooled]:
    """Every event kept in the spool and why, oldest first; the spool is emptied.

    `db` is the open database, whose legacy table (filled by older calldesks) is drained too,
    or None. An event kept twice comes back once (by event id). A hook that gave up waiting
    on a busy calldesk keeps its event even though calldesk may then take it live; the app
    drops those by id too (see `journal.EventJournal`).
    """
    legacy = events_from_pending(take_legacy_events(db)) if db is not None else []
    kept = [Spooled(event) for event in legacy] + read_spooled(pending_file, before_emptying)
    unique: dict[str, Spooled] = {}
    for spooled in kept:
        unique.setdefault(spooled.event.id, spooled)  # the first copy wins
    return sorted(unique.values(), key=lambda spooled: spooled.event.at)


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
