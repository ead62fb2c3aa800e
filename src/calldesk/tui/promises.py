"""Promises in the app: kept and stored as they are made, on the status line, rung in before due.

The `Promises` controller, owned by the app: `PromiseTaking` (`tui/promise_taking.py`) hands it
each promise the agent makes from a note, a key or a phrase, the app's timer asks it once a
second whether one is coming due, and the app asks it before quitting. It keeps the open
promises in memory, so the status line and the bell never wait on the disk; reads and writes go
through `host.data`, behind the desk's writes. It also opens My record, the agent's week by
week (promises kept are most of its story).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from calldesk.core.promises.model import Promise, PromiseSource, next_due, when_text
from calldesk.tui.text import clip, visible

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call
    from calldesk.core.storage import Database
    from calldesk.tui.host import Host

STATUS_WIDTH = 24
"""Room the next promise takes on the status line (80 columns hold it beside the call)."""

SHIFT_WINDOW = timedelta(hours=1)
"""A calldesk started more than this after the shift's end does not list them at once."""
RELOAD_EVERY = 30
"""Seconds between reading the open promises again (the command line may have changed them)."""


class Promises:
    """The desk's open promises: what to show, when to ring, what to list at the end.

    Promises are numbered when they are made, as the desk numbers calls: after the highest id
    stored, read with the open promises at start-up. One made before that read is back keeps
    a local (negative) number and is written when it is.
    """

    def __init__(self, host: Host) -> None:
        self.host = host
        self.held: list[Promise] = []
        self._next_id: int | None = None
        """The next stored id to hand out; None until the first read is back."""
        self._local_ids = 0
        self._loading = False
        self._listed_at_quit = False
        self._ticks = 0
        self._shift_listed: date | None = None

    # -- reading -----------------------------------------------------------------------------

    def start(self) -> None:
        """Read the open promises (and the ids in use) once the app is up."""
        self.load()

    def _writable(self) -> Database | None:
        """The database promises are written to; None in a read-only or unsaved window."""
        host = self.host
        return None if host.read_only_reason else host.store

    def load(self) -> None:
        """Read the open promises behind the queued writes; the status line shows them then."""
        from calldesk.core.promises import records

        store = self.host.store
        if store is None or self._loading:
            return
        self._loading = True

        def read() -> tuple[list[Promise], int]:
            return records.list_promises(store, open_only=True), records.last_promise_id(store)

        self.host.data.read(read, self._loaded, self._load_failed)

    def _load_failed(self, error: BaseException) -> None:
        # The save state already says when the disk fails; the next reload tries again.
        self._loading = False

    def _loaded(self, answer: tuple[list[Promise], int]) -> None:
        promises, last_id = answer
        self._loading = False
        if self._next_id is None:
            self._next_id = last_id + 1
            self._number_the_waiting()
        reminded = {promise.id: promise.reminded_at for promise in self.held}
        # Made since the read was queued (or never stored): not in the answer yet, still open.
        newer = [promise for promise in self.held if promise.id > last_id or promise.id < 0]
        self.held = [
            replace(promise, reminded_at=promise.reminded_at or reminded.get(promise.id))
            for promise in promises
        ] + newer
        self.show()
        self.check()

    def _number_the_waiting(self) -> None:
        """Promises made before the ids were known get theirs now, and are written."""
        if self._writable() is None or self._next_id is None:
            return
        for index, promise in enumerate(self.held):
            if promise.id < 0:
                self.held[index] = promise = replace(promise, id=self._next_id)
                self._next_id += 1
                self._write_new(promise)

    # -- what is open ------------------------------------------------------------------------

    @property
    def open_promises(self) -> list[Promise]:
        return sorted(
            (promise for promise in self.held if promise.is_open),
            key=lambda promise: (promise.due_at, promise.id),
        )

    def status_text(self) -> Text:
        """`⏰ 15:30 call back Ann`: the next promise due, for the status line."""
        promise = next_due(self.open_promises)
        if promise is None:
            return Text()
        now = self.host.clock.now()
        when = when_text(promise.due_at, now).replace(" (overdue)", "!")
        who = promise.caller_name or promise.what
        style = "bold red" if promise.overdue(now) else "bold yellow"
        return Text(f" ⏰ {when} {visible(clip(who, STATUS_WIDTH - len(when)))} ", style=style)

    def show(self) -> None:
        """Put the next promise on the status line; it is redrawn only when this changes."""
        shown = self.status_text()
        current = self.host.promise_status
        # Text compares its words and spans, not its own style: red when late is a change too.
        if (shown.plain, shown.style) != (current.plain, current.style):
            self.host.promise_status = shown

    # -- reminders ---------------------------------------------------------------------------

    def check(self) -> None:
        """Ring for every promise within 5 minutes of due that has not been rung for yet.

        The app's timer calls this once a second.
        """
        from calldesk.core.promises import records

        if not self.host.is_running:
            return  # a last tick can come while Textual takes the screens down
        self._ticks += 1
        if self._ticks % RELOAD_EVERY == 0:
            self.load()  # `calldesk promises kept 12` may have closed one meanwhile
        now = self.host.clock.now()
        store = self._writable()
        for index, promise in enumerate(self.held):
            if not promise.needs_reminder(now):
                continue
            self.held[index] = replace(promise, reminded_at=now)
            self.host.bell()
            self.host.notify(
                f"{promise.who()}: {promise.what}",
                # due now means due now, not "overdue" by the second the timer took
                title=f"Promise due {when_text(promise.due_at, min(now, promise.due_at))}",
                severity="warning",
                timeout=60,
            )
            if store is not None and promise.id > 0:  # one not numbered yet is stored rung
                self.host.data.write(
                    lambda promise_id=promise.id: records.mark_reminded(store, promise_id, now)
                )
        self._end_of_shift(now)
        self.show()

    def _end_of_shift(self, now: datetime) -> None:
        """At `promises.shift_end`, list the open promises once a day (within the hour after)."""
        from calldesk.core.promises.when import clock_time

        setting = self.host.settings.promises.shift_end
        local = now.astimezone()
        if not setting or self._shift_listed == local.date():
            return
        end = clock_time(setting)
        if end is None:  # load_settings refuses it; only settings made in code get here
            self._shift_listed = local.date()
            self.host.notify(
                f"promises.shift_end = {setting!r} is not a time: write it as HH:MM, e.g. 17:30",
                title=str(self.host.settings.config_file),
                severity="warning",
            )
            return
        at = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
        if not at <= local < at + SHIFT_WINDOW:
            return
        self._shift_listed = local.date()
        promises = self.open_promises
        if not promises:
            return
        lines = [
            f"{when_text(promise.due_at, now)} · {promise.who()} · {promise.what}"
            for promise in promises[:6]
        ]
        self.host.notify(
            "\n".join(lines),
            title=f"End of shift: {len(promises)} open promise{'s' if len(promises) != 1 else ''}",
            severity="warning",
            timeout=120,
        )

    # -- making promises ---------------------------------------------------------------------

    def make(self, what: str, due: datetime, call: Call | None, source: PromiseSource) -> None:
        """Keep the promise in memory now, numbered, and queue its write."""
        now = self.host.clock.now()
        writable = self._writable() is not None
        if writable and self._next_id is not None:
            promise_id = self._next_id
            self._next_id += 1
        else:
            self._local_ids -= 1  # numbered when the ids are known; never, if nothing saves
            promise_id = self._local_ids
        promise = Promise(
            id=promise_id,
            what=what,
            due_at=due,
            made_at=now,
            call_id=call.id if call is not None else None,
            caller_name=call.caller_name if call is not None else "",
            caller_number=call.caller_number if call is not None else "",
            source=source,
        )
        self.held.append(promise)
        if promise_id > 0:
            self._write_new(promise, call)
        self.host.notify(
            f"{promise.what}\n{promise.who()}",
            title=f"Promise due {when_text(due, now)}",
            timeout=6,
        )
        self.check()

    def _write_new(self, promise: Promise, call: Call | None = None) -> None:
        """Queue the insert behind the call's own writes, so the call is stored by then."""
        from calldesk.core.promises import records

        store = self._writable()
        if store is None:
            return

        def write() -> None:
            stored = promise
            if call is not None and call.id == promise.call_id:
                # The caller as the agent has typed them by now (often after the promise).
                stored = replace(
                    promise,
                    caller_name=call.caller_name or promise.caller_name,
                    caller_number=call.caller_number or promise.caller_number,
                )
            records.add_promise(store, stored)

        self.host.data.write(write)

    # -- the end of the shift ----------------------------------------------------------------

    def list_before_quit(self, proceed: Callable[[], object]) -> bool:
        """Show the open promises before quitting, once; True if the agent is being asked.

        `proceed` is called if the agent quits anyway.
        """
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        promises = self.open_promises
        if not promises or self._listed_at_quit:
            return False
        now = self.host.clock.now()
        lines = [
            f"{when_text(promise.due_at, now)} · {promise.who()} · {promise.what}"
            for promise in promises[:8]
        ]
        if len(promises) > 8:
            lines.append(f"… and {len(promises) - 8} more: calldesk promises")
        self._listed_at_quit = True

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                proceed()
            else:
                self._listed_at_quit = False

        count = len(promises)
        self.host.push_screen(
            ConfirmDialog(
                f"{count} open promise{'s' if count != 1 else ''}. Quit anyway?",
                "\n".join(lines) + "\nThey stay open; `calldesk promises` marks them kept.",
            ),
            answered,
        )
        return True

    # -- my record ---------------------------------------------------------------------------

    def open_record(self) -> None:
        """My record: the last weeks' calls, promises kept, fixes, breaks and practice."""
        from calldesk.tui.screens.record import RecordScreen

        host = self.host
        if host.store is None:
            host.notify("Your record needs the database, which could not be opened.")
        elif not isinstance(host.screen, RecordScreen):
            host.push_screen(RecordScreen(host.store, host.clock, host.data))
