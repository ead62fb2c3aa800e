"""The agent's desk: the open call and its lifecycle, and the parts that serve it.

The desk holds the truth in memory; every write goes through `writes` (`core/calls/writes.py`)
to one writer thread, so a slow, full or read-only disk never stalls typing and never loses
what was typed. Its parts, one job each:

    writes   ids, the queue of writes, reads behind it, a vanished database put back
    notes    the draft, notes, an edit in progress, `#tags`, texts too long for a note
    phone    softphone events into call records (`phone_link.py`)
    wrapup   outcome, fan moment, checklist answers, breaks (`wrapup.py`)
    phrases  phrases filled in for the open call, and their use counted (`phrase_use.py`)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.errors import DeskError, key, require_call
from calldesk.core.calls.model import Call
from calldesk.core.calls.notes import Notes
from calldesk.core.calls.phone_link import PhoneLink
from calldesk.core.calls.phrase_use import CallPhrases
from calldesk.core.calls.wrapup import WrapUp
from calldesk.core.calls.writes import Writes
from calldesk.core.clock import Clock

if TYPE_CHECKING:
    from pathlib import Path

    from calldesk.core.db.database import Database
    from calldesk.core.db.vanish import Recreated


class Desk:
    """One agent's desk: at most one open call at a time."""

    def __init__(
        self,
        store: Database | None,
        clock: Clock,
        agent_name: str = "",
        on_save_error: Callable[[BaseException], None] | None = None,
        on_save_recovered: Callable[[], None] | None = None,
        on_saved: Callable[[], None] | None = None,
        on_store_recreated: Callable[[Recreated], None] | None = None,
        overflow_dir: Path | None = None,
    ) -> None:
        self.clock = clock
        self.call: Call | None = None
        self.last_call: Call | None = None
        self.writes = Writes(
            store,
            on_save_error=on_save_error,
            on_save_recovered=on_save_recovered,
            on_saved=on_saved,
            on_store_recreated=on_store_recreated,
        )
        self.notes = Notes(self.writes, clock, lambda: self.call, overflow_dir)
        self.phone = PhoneLink(self, self.writes, clock)
        self.wrapup = WrapUp(self.writes, clock)
        self.phrases = CallPhrases(self.writes, agent_name, lambda: self.call)

    def restore(self) -> Call | None:
        """Bring back the call that was open when calldesk last stopped, exactly as it was."""
        store = self.writes.store
        if store is not None and self.call is None:
            self.call = call_history.open_call(store)
            if self.last_call is None:  # F6 and F10 still reach the last call after a restart
                self.last_call = call_history.last_ended_call(store)
            self.phone.restore(self.call)
            self.notes.restore(self.call)
        return self.call

    def close(self) -> bool:
        """Write out everything still queued. Returns False if some writes could not land."""
        return self.writes.close()

    # -- the open call -------------------------------------------------------------------------

    def require_call(self) -> Call:
        return require_call(self.call)

    def start_call(
        self,
        caller_name: str = "",
        caller_number: str = "",
        ticket: str = "",
        *,
        answered: bool = True,
        at: datetime | None = None,
    ) -> Call:
        """Open a call record; `answered=False` for a call still ringing, which started `at`
        (when it rang; default now)."""
        if self.call is not None:
            raise DeskError(
                f"A call is already open. End it with {key('end-call')} before starting another."
            )
        started = self.clock.now() if at is None or answered else at
        call = Call(
            id=self.writes.new_call_id(),
            started_at=started,
            answered_at=started if answered else None,
            caller_name=caller_name,
            caller_number=caller_number,
            ticket=ticket,
        )
        self.call = call
        self.phone.forget()
        store = self.writes.store

        call_id = call.id

        def run() -> Call:
            assert store is not None
            return call_records.start_call(
                store,
                caller_name,
                caller_number,
                ticket,
                at=started,
                answered=answered,
                call_id=call_id,
            )

        self.writes.submit_insert(call_id, run)
        return call

    def update_caller(self, **fields: str) -> None:
        """Change caller_name, caller_number or ticket of the open call."""
        call = self.require_call()
        for name, value in fields.items():
            setattr(call, name, value)
        store = self.writes.store
        self.writes.submit(
            lambda: call_records.update_call(
                store,
                call.id,
                caller_name=call.caller_name,
                caller_number=call.caller_number,
                ticket=call.ticket,
            ),
            key=("caller", id(call)),
        )

    def mark_answered(self) -> None:
        """The open call was answered (the phone said so)."""
        call = self.require_call()
        if call.answered_at is not None:
            return
        now = self.clock.now()
        call.answered_at = now
        store = self.writes.store
        self.writes.submit(lambda: call_records.mark_answered(store, call.id, at=now))

    def end_call(self) -> Call:
        """End the open call: a draft still being typed is kept as a last note.

        A record opened when the phone rang, never answered and holding nothing the agent
        typed ends as a missed call (`call.missed`): no outcome, no checklist, no break. Once
        the agent has written anything in it, it is a call like any other.
        """
        call = self.require_call()
        missed = self.is_ringing(call) and self.untouched(call)
        if call.draft.strip():
            self.notes.add(call.draft)
        now = self.clock.now()
        hung_up = self.phone.hung_up_at  # held open while the agent typed: it ended back then
        if hung_up is not None:
            now = min(max(hung_up, call.started_at), now)
        call.ended_at = now
        call.missed = missed
        store = self.writes.store
        self.writes.submit(lambda: call_records.end_call(store, call.id, at=now, missed=missed))
        if not missed:
            self.last_call = call  # F6 and F10 are about the last call the agent took
        self.call = None
        self.phone.forget()
        return call

    def set_aside(self, call: Call) -> None:
        """Drop the open record of a ringing call the agent wrote nothing in (another call
        was answered instead); should the store find something written after all, the call
        is kept, as missed."""
        self.call = None
        self.phone.forget()
        store = self.writes.store
        self.writes.submit(
            lambda: (
                call_records.delete_untouched_call(store, call.id)
                or call_records.end_call(store, call.id, missed=True)
            )
        )

    @staticmethod
    def is_ringing(call: Call) -> bool:
        """Whether `call` is a record opened when the phone rang, not answered yet."""
        return call.answered_at is None and call.ended_at is None

    def untouched(self, call: Call) -> bool:
        """Whether the agent has written nothing in `call`: notes, a draft, a ticket, the caller."""
        written = call.notes or call.draft.strip() or call.ticket or call.tags
        return not written and self.phone.caller_kept(call)

    def fan_call(self) -> Call:
        """The call a fan moment is about: the open one, else the one that just ended."""
        call = self.call or self.last_call
        if call is None:
            raise DeskError(
                "A fan moment marks a call: start one with {key:start-call}, or mark it "
                "right after it ends."
            )
        return call

    def snapshot(self, call: Call) -> Call:
        """A copy of `call` safe to hand to another thread (export, rendering)."""
        return replace(call, notes=[replace(note) for note in call.notes], tags=list(call.tags))
