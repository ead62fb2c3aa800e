"""The app's phone journal: every event it took over the socket, on disk before it says ok.

One private JSON-lines file in the data folder. The server appends `{"event": {...}}` for each
event it accepts, and flushes it to the disk (fsync) before it replies `{"ok":true}`; once the
app has handled an event, `{"handled": "<id>"}` follows. At the next start, events with no
"handled" line are the ones calldesk took but closed (or crashed) before showing: they are
shown then, once. The ids handled lately are kept so that a copy of an event (a hook that gave
up waiting keeps its event in the spool, although calldesk may also have taken it) is dropped
by id, even after a restart.

Only the app that holds the socket lock writes here, so a thread lock is enough.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from calldesk.core.files import ensure_private_dir, open_append, open_private, write_private
from calldesk.core.phone.events import MAX_LINE, PhoneEvent

JOURNAL_FILE_NAME = "phone-journal.jsonl"
KEEP_HANDLED = 2000
"""Handled ids kept across a restart: far more than the copies any hook can still send."""


def journal_path(data_dir: Path) -> Path:
    """Where the app keeps the events it took over the socket."""
    return data_dir / JOURNAL_FILE_NAME


@dataclass(slots=True)
class Recovered:
    """What the journal held at start: events taken but never handled, and ids handled."""

    unhandled: list[PhoneEvent] = field(default_factory=list)
    handled: set[str] = field(default_factory=set)


class EventJournal:
    """Appends taken events (durably) and handled marks; reads them back at the next start.

    `durable=False` skips fsync (tests that do not test a crash). Every method may raise
    OSError (a full disk, a read-only folder); the caller decides what that means.
    """

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        self.path = Path(path)
        self._durable = durable
        self._lock = threading.Lock()
        self._fd: int | None = None

    def recover(self) -> Recovered:
        """Read the journal left by the last run, and shrink it to what is still needed.

        The rewritten journal keeps the unhandled events (until `handled` is called for them:
        a crash while they are shown loses nothing) and the last `KEEP_HANDLED` handled ids.
        """
        with self._lock:
            self._close()
            try:
                fd = open_private(self.path, os.O_RDONLY, create=False)
            except FileNotFoundError:
                return Recovered()
            try:
                chunks: list[bytes] = []
                while chunk := os.read(fd, 1 << 16):
                    chunks.append(chunk)
            finally:
                os.close(fd)
            taken: dict[str, PhoneEvent] = {}
            handled: dict[str, None] = {}
            for line in b"".join(chunks).split(b"\n"):
                if not line.strip() or len(line) > MAX_LINE:
                    continue
                try:
                    entry = json.loads(line)
                    if not isinstance(entry, dict):
                        continue
                    if isinstance(entry.get("handled"), str):
                        handled.pop(entry["handled"], None)
                        handled[entry["handled"]] = None  # the most recent last
                    elif "event" in entry:
                        event = PhoneEvent.from_dict(entry["event"])
                        taken.setdefault(event.id, event)
                except (ValueError, TypeError, RecursionError):
                    continue  # a line half-written by a crash: the rest still counts
            recent = list(handled)[-KEEP_HANDLED:]
            unhandled = sorted(
                (event for key, event in taken.items() if key not in handled),
                key=lambda event: event.at,
            )
            lines = [_line({"event": event.to_dict()}) for event in unhandled]
            lines += [_line({"handled": key}) for key in recent]
            write_private(self.path, b"".join(lines))
            return Recovered(unhandled, set(recent))

    def keep(self, events: Sequence[PhoneEvent]) -> None:
        """Append `events` and, if durable, flush them to the disk before returning."""
        self._append(b"".join(_line({"event": event.to_dict()}) for event in events))

    def handled(self, ids: Iterable[str]) -> None:
        """Mark events handled, so the next start does not show them again."""
        self._append(b"".join(_line({"handled": key}) for key in ids))

    def close(self) -> None:
        with self._lock:
            self._close()

    def _append(self, data: bytes) -> None:
        if not data:
            return
        with self._lock:
            if self._fd is None:
                ensure_private_dir(self.path.parent)
                self._fd = open_append(self.path)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
                if self._durable:
                    _sync(self._fd)
            except OSError:
                self._close()  # reopen next time: the file may have been replaced
                raise

    def _close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def _sync(fd: int) -> None:
    # fdatasync skips the file's times, which nothing here needs; macOS has only fsync.
    if hasattr(os, "fdatasync"):
        os.fdatasync(fd)
    else:
        os.fsync(fd)


def _line(entry: dict[str, object]) -> bytes:
    return (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
