"""Phone events on their way to the app: written to the journal before the hook hears ok,
taken from the spool while the app runs, handed to the app one at a time on a thread of
their own, and marked handled after."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calldesk.core.phone.events import PhoneEvent
from calldesk.core.phone.journal import EventJournal
from calldesk.core.phone.spool import Spooled, read_spooled, spool_waiting


def _logger() -> Any:
    # logging costs a few milliseconds to import; hooks never need it.
    import logging

    return logging.getLogger(__name__)


_STOP = object()


class Delivery:
    """Events kept in `journal` (if any) and handed to `on_event` (live) or `on_spooled`
    (taken from the spool), in arrival order, on the `calldesk-event-dispatch` thread.

    A callback that raises leaves its event unhandled in the journal (the next start shows
    it) and does not stop later events.
    """

    def __init__(
        self,
        on_event: Callable[[PhoneEvent], None],
        journal: EventJournal | None,
        on_spooled: Callable[[Spooled], None] | None,
    ) -> None:
        self._on_event = on_event
        self._journal = journal
        self._on_spooled = on_spooled
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._dispatch, name="calldesk-event-dispatch", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float) -> None:
        """Deliver what is queued, then stop; waits at most `timeout` seconds."""
        self._queue.put(_STOP)
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        self._queue = queue.Queue()

    def keep(self, events: list[PhoneEvent]) -> dict[str, object]:
        """Write `events` to the journal with one flush; the reply their hooks get."""
        if self._journal is not None:
            try:
                self._journal.keep(events)
            except OSError as error:
                _logger().warning("cannot write the phone journal: %s", error)
                return {
                    "ok": False,
                    "error": f"calldesk could not keep the event: {error.strerror or error}",
                }
        return {"ok": True}

    def put(self, event: PhoneEvent) -> None:
        self._queue.put(event)

    def take_spool(self, spool: Path) -> None:
        """Queue what hooks kept in `spool`, written to the journal first (a stat when empty)."""
        if not spool_waiting(spool):
            return
        journal = self._journal

        def write_down(kept: list[Spooled]) -> None:
            # Taken from the spool means the app answers for them: a quit before they are
            # handled must leave them for the next start, as for events taken live.
            if journal is not None:
                try:
                    journal.keep([spooled.event for spooled in kept])
                except OSError as error:  # handled now all the same: never stuck in the spool
                    _logger().warning("cannot write the phone journal: %s", error)

        try:
            kept = read_spooled(spool, write_down)
        except OSError as error:
            _logger().warning("cannot read the phone spool: %s", error)
            return
        for spooled in kept:
            self._queue.put(spooled)

    def _dispatch(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                if isinstance(item, Spooled):
                    assert self._on_spooled is not None
                    self._on_spooled(item)
                    event = item.event
                else:
                    assert isinstance(item, PhoneEvent)
                    self._on_event(item)
                    event = item
            except Exception:  # one bad callback must not stop later events
                _logger().exception("the softphone event callback failed")
                continue  # not handled: the next start shows it
            if self._journal is not None:
                try:
                    self._journal.handled([event.id])
                except OSError as error:
                    _logger().warning("cannot mark a phone event handled: %s", error)
