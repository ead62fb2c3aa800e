"""Promises in the app: made from notes, keys and phrases, on the status line, rung in before due.

A plain object the app holds (`app.promises`), not a mixin: the app calls it where notes are
filed, phrases inserted and the app quits, and it keeps the open promises in memory so the
status line and the reminder never wait on the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text

from calldesk.core.promises.model import (
    Promise,
    PromiseSource,
    next_due,
    when_text,
)
from calldesk.core.promises.when import DueError, is_promise_note, parse_due, split_promise
from calldesk.tui.text import clip, visible

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call, NoteEntry
    from calldesk.core.library.phrases import Phrase
    from calldesk.tui.app import CalldeskApp

STATUS_WIDTH = 24
"""Room the next promise takes on the status line (80 columns hold it beside the call)."""

SHIFT_WINDOW = timedelta(hours=1)
"""A calldesk started more than this after the shift's end does not list them at once."""
RELOAD_EVERY = 30
"""Seconds between reading the open promises again (the command line may have changed them)."""


@dataclass(slots=True)
class _Held:
    """One open promise in memory; `promise.id` is negative until the write lands."""

    promise: Promise


class PromiseKeeper:
    """The desk's open promises: what to show, when to ring, what to list at the end."""

    def __init__(self, app: CalldeskApp) -> None:
        self.app = app
        self.held: list[_Held] = []
        self._local_ids = 0
        self._listed_at_quit = False
        self._ticks = 0
        self._shift_listed: date | None = None
        self._shown = Text()

    # -- start-up ----------------------------------------------------------------------------

    def start(self) -> None:
        """Load the open promises and check every second for one coming due."""
        self.load()
        self.app.set_interval(1.0, self.check, name="promises")

    def load(self) -> None:
        """Read the open promises in a thread; the status line shows them when they are in."""
        from calldesk.core.promises.records import list_promises

        store = self.app.store
        if store is None:
            return

        def read() -> None:
            promises = list_promises(store, open_only=True)
            self.app.call_from_thread(self._loaded, promises)

        self.app.run_worker(
            read, thread=True, exclusive=True, group="promises", exit_on_error=False
        )

    def _loaded(self, promises: list[Promise]) -> None:
        reminded = {held.promise.id: held.promise.reminded_at for held in self.held}
        made_meanwhile = [held for held in self.held if held.promise.id < 0]
        self.held = [
            _Held(replace(promise, reminded_at=promise.reminded_at or reminded.get(promise.id)))
            for promise in promises
        ] + made_meanwhile
        self.show()
        self.check()

    # -- what is open ------------------------------------------------------------------------

    @property
    def open_promises(self) -> list[Promise]:
        return sorted(
            (held.promise for held in self.held if held.promise.is_open),
            key=lambda promise: (promise.due_at, promise.id),
        )

    def status_text(self) -> Text:
        """`⏰ 15:30 call back Ann`: the next promise due, for the status line."""
        promise = next_due(self.open_promises)
        if promise is None:
            return Text()
        now = self.app.clock.now()
        when = when_text(promise.due_at, now).replace(" (overdue)", "!")
        who = promise.caller_name or promise.what
        style = "bold red" if promise.overdue(now) else "bold yellow"
        return Text(f" ⏰ {when} {visible(clip(who, STATUS_WIDTH - len(when)))} ", style=style)

    def show(self, only_if_changed: bool = False) -> None:
        shown = self.status_text()
        if only_if_changed and shown == self._shown:
            return  # the check runs every second; the line changes a few times a day
        self._shown = shown
        self.app._set_save_state(self.app.save_state)

    # -- reminders ---------------------------------------------------------------------------

    def check(self) -> None:
        """Ring for every promise within 5 minutes of due that has not been rung for yet."""
        if not self.app.is_running:
            return  # the timer can fire while Textual takes the screens down
        self._ticks += 1
        if self._ticks % RELOAD_EVERY == 0:
            self.load()  # `calldesk promises kept 12` may have closed one meanwhile
        now = self.app.clock.now()
        for held in self.held:
            promise = held.promise
            if not promise.needs_reminder(now):
                continue
            held.promise = replace(promise, reminded_at=now)
            self.app.bell()
            self.app.notify(
                f"{promise.who()}: {promise.what}",
                # due now means due now, not "overdue" by the second the timer took
                title=f"Promise due {when_text(promise.due_at, min(now, promise.due_at))}",
                severity="warning",
                timeout=60,
            )
            self._write(held, "remind", now)
        self._end_of_shift(now)
        self.show(only_if_changed=True)

    def _end_of_shift(self, now: datetime) -> None:
        """At `promises.shift_end`, list the open promises once a day (within the hour after)."""
        from calldesk.core.promises.when import clock_time

        setting = self.app.settings.promises.shift_end
        local = now.astimezone()
        if not setting or self._shift_listed == local.date():
            return
        end = clock_time(setting)
        if end is None:
            self._shift_listed = local.date()
            self.app.notify(
                f"promises.shift_end = {setting!r} is not a time: write it as HH:MM, e.g. 17:30",
                title="config.toml",
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
        self.app.notify(
            "\n".join(lines),
            title=f"End of shift: {len(promises)} open promise{'s' if len(promises) != 1 else ''}",
            severity="warning",
            timeout=120,
        )

    # -- making promises ---------------------------------------------------------------------

    def from_note(self, text: str) -> bool:
        """A filed note that says `/promise ...`: make the promise. False if not one."""
        if not is_promise_note(text):
            return False
        call = self.app.desk.call
        try:
            parsed = split_promise(text, self.app.clock.now())
        except DueError as error:
            self.app.notify(
                f"{error}\nThe note is filed; press p on it to make it a promise.",
                title="No promise made",
                severity="warning",
                timeout=15,
            )
            return True
        self.make(parsed.what, parsed.due, call, PromiseSource.NOTE)
        return True

    def from_entry(self, entry: NoteEntry) -> None:
        """The key on a note: its time if it names one, else ask when it is due."""
        from calldesk.tui.dialogs.promise import PromiseDialog

        call = self.app.desk.call
        try:
            parsed = split_promise(entry.text, self.app.clock.now())
        except DueError:
            what = entry.text.strip()

            def answered(due: datetime | None) -> None:
                if due is not None:
                    self.make(what, due, call, PromiseSource.KEY)

            self.app.push_screen(PromiseDialog(what, self.app.clock), answered)
            return
        self.make(parsed.what, parsed.due, call, PromiseSource.KEY)

    def offer_phrase(self, phrase: Phrase) -> None:
        """A phrase that promises something: ask when, with the trainer's suggested time."""
        from calldesk.tui.dialogs.promise import PromiseDialog

        offer = getattr(phrase, "promise", None)
        if offer is None or self.app.desk.call is None:
            return
        call = self.app.desk.call

        def answered(due: datetime | None) -> None:
            if due is not None:
                self.make(offer.what, due, call, PromiseSource.PHRASE)

        due = offer.due or "in 1h"
        try:
            parse_due(due, self.app.clock.now())
        except DueError:
            due = "in 1h"
        self.app.push_screen(PromiseDialog(offer.what, self.app.clock, due=due), answered)

    def make(self, what: str, due: datetime, call: Call | None, source: PromiseSource) -> None:
        """Keep the promise in memory now and on disk as soon as the disk allows."""
        now = self.app.clock.now()
        self._local_ids -= 1
        promise = Promise(
            id=self._local_ids,
            what=what,
            due_at=due,
            made_at=now,
            call_id=call.id if call is not None else None,
            caller_name=call.caller_name if call is not None else "",
            caller_number=call.caller_number if call is not None else "",
            source=source,
        )
        held = _Held(promise)
        self.held.append(held)
        self._write(held, "add", now, call)
        self.app.notify(
            f"{promise.what}\n{promise.who()}",
            title=f"Promise due {when_text(due, now)}",
            timeout=6,
        )
        self.check()

    def _write(self, held: _Held, what: str, at: datetime, call: Call | None = None) -> None:
        """Queue the write behind the call's own, so the call has its stored id by then."""
        from calldesk.core.promises import records

        store = self.app.store
        if store is None or self.app.read_only_reason:
            return

        def run() -> Promise | None:
            if what == "add":
                promise = held.promise
                if call is not None:  # the call's id and caller as they are when this runs
                    promise = replace(
                        promise,
                        call_id=call.id,
                        caller_name=call.caller_name or promise.caller_name,
                        caller_number=call.caller_number or promise.caller_number,
                    )
                return records.add_promise(store, promise)
            if held.promise.id > 0:
                records.mark_reminded(store, held.promise.id, at)
            return None

        def done(stored: Promise | None) -> None:
            if stored is not None:
                held.promise = replace(stored, reminded_at=held.promise.reminded_at)
                if held.promise.reminded_at is not None:
                    records.mark_reminded(store, stored.id, held.promise.reminded_at)

        self.app.desk.writer.submit(run, on_done=done)

    # -- the end of the shift ----------------------------------------------------------------

    def list_before_quit(self) -> bool:
        """Show the open promises before quitting, once; True if the agent is being asked."""
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        promises = self.open_promises
        if not promises or self._listed_at_quit:
            return False
        now = self.app.clock.now()
        lines = [
            f"{when_text(promise.due_at, now)} · {promise.who()} · {promise.what}"
            for promise in promises[:8]
        ]
        if len(promises) > 8:
            lines.append(f"… and {len(promises) - 8} more: calldesk promises")
        self._listed_at_quit = True

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.app.call_later(self.app.action_quit)
            else:
                self._listed_at_quit = False

        count = len(promises)
        self.app.push_screen(
            ConfirmDialog(
                f"{count} open promise{'s' if count != 1 else ''}. Quit anyway?",
                "\n".join(lines) + "\nThey stay open; `calldesk promises` marks them kept.",
            ),
            answered,
        )
        return True
