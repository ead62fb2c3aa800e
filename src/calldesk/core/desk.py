"""The agent's desk: the open call, its notes and the phrases used, kept in step with the store.

The desk holds the truth in memory and hands every write to a `WriteBehind` queue, so a slow,
full or read-only disk never stalls typing and never loses what was typed: writes are retried
until they land, and the in-memory call can always be exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from calldesk.core.autosave import WriteBehind
from calldesk.core.calls import Call, NoteEntry, Outcome
from calldesk.core.clock import Clock

if TYPE_CHECKING:
    from calldesk.core.cooldown import CooldownState
    from calldesk.core.phrases import Phrase
    from calldesk.core.softphone import PhoneEvent
    from calldesk.core.store import Store


# `#printer` or `#vpn-drop` in a note tags the call; `#1234` (a ticket number) does not.
_HASHTAG = re.compile(r"(?<![\w#])#([^\W\d_][\w-]*)")


def hashtags(text: str) -> list[str]:
    """The `#tags` in a note, lower-cased, in order, without repeats."""
    return list(dict.fromkeys(tag.lower().rstrip("-") for tag in _HASHTAG.findall(text)))


class DeskError(Exception):
    """Something the agent asked for that cannot be done now; the message says what to do."""


class PhoneAction(StrEnum):
    """What the desk did with a softphone event."""

    STARTED = "started"  # a call record was opened with the caller filled in
    RINGING = "ringing"  # the phone rings; the record waits for the answer (start_on = answer)
    ENDED = "ended"  # the call the phone started was ended
    BUSY = "busy"  # another call rings while one is open: the agent decides
    HUNG_UP = "hung_up"  # the phone hung up on a call the agent opened by hand
    IGNORED = "ignored"  # nothing to do (a hangup of a call calldesk never saw)


@dataclass(frozen=True)
class PhoneOutcome:
    action: PhoneAction
    call: Call | None = None


class Desk:
    """One agent's desk: at most one open call at a time."""

    def __init__(
        self,
        store: Store | None,
        clock: Clock,
        agent_name: str = "",
        on_save_error: Callable[[BaseException], None] | None = None,
        on_save_recovered: Callable[[], None] | None = None,
        on_saved: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.agent_name = agent_name
        self.call: Call | None = None
        self.last_call: Call | None = None
        self._on_saved = on_saved
        self._local_ids = 0
        self._cooldown_ids: dict[tuple[int | None, datetime], int] = {}
        self.phone_call_id: str | None = None
        """The softphone's id of the open call, when the phone started it ("" if it gave none)."""
        self._ringing: dict[str, PhoneEvent] = {}
        from calldesk.core.store import NotFound

        self.writer = WriteBehind(
            on_error=on_save_error,
            on_recovered=on_save_recovered,
            give_up_on=(NotFound,),
            on_given_up=on_save_error,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def restore(self) -> Call | None:
        """Bring back the call that was open when calldesk last stopped, exactly as it was."""
        if self.store is not None and self.call is None:
            self.call = self.store.open_call()
        return self.call

    def close(self) -> bool:
        """Write out everything still queued. Returns False if some writes could not land."""
        return self.writer.close()

    def _submit(
        self, run: Callable[[], Any], key: Any = None, done: Callable[[Any], None] | None = None
    ) -> None:
        if self.store is None:
            return

        def finished(result: Any) -> None:
            if done is not None:
                done(result)
            if self._on_saved is not None:
                self._on_saved()

        self.writer.submit(run, key=key, on_done=finished)

    def _local_id(self) -> int:
        self._local_ids -= 1
        return self._local_ids

    # -- calls -----------------------------------------------------------------------------

    def require_call(self) -> Call:
        if self.call is None:
            raise DeskError("No call is open. Start one with F2.")
        return self.call

    def start_call(self, caller_name: str = "", caller_number: str = "", ticket: str = "") -> Call:
        if self.call is not None:
            raise DeskError("A call is already open. End it with F8 before starting another.")
        now = self.clock.now()
        call = Call(
            id=self._local_id(),
            started_at=now,
            caller_name=caller_name,
            caller_number=caller_number,
            ticket=ticket,
        )
        self.call = call
        store = self.store

        def run() -> Call:
            assert store is not None
            return store.start_call(caller_name, caller_number, ticket, at=now)

        def done(stored: Call) -> None:
            call.id = stored.id

        self._submit(run, done=done)
        return call

    def update_caller(self, **fields: str) -> None:
        """Change caller_name, caller_number or ticket of the open call."""
        call = self.require_call()
        for name, value in fields.items():
            setattr(call, name, value)
        store = self.store
        self._submit(
            lambda: store.update_call(
                call.id,
                caller_name=call.caller_name,
                caller_number=call.caller_number,
                ticket=call.ticket,
            ),
            key=("caller", id(call)),
        )

    def set_draft(self, text: str) -> None:
        """Remember the note being typed; saved too, so a crash cannot lose it."""
        call = self.require_call()
        call.draft = text
        store = self.store
        self._submit(lambda: store.save_draft(call.id, text), key=("draft", id(call)))

    def add_note(self, text: str) -> NoteEntry:
        call = self.require_call()
        text = text.rstrip()
        if not text.strip():
            raise DeskError("The note is empty.")
        entry = NoteEntry(
            id=self._local_id(), call_id=call.id, created_at=self.clock.now(), text=text
        )
        call.notes.append(entry)
        call.draft = ""
        store = self.store
        self._tag(call, text)

        def run() -> NoteEntry:
            assert store is not None
            return store.add_note(call.id, text, at=entry.created_at)

        def done(stored: NoteEntry) -> None:
            entry.id = stored.id
            entry.call_id = stored.call_id

        self._submit(run, done=done)
        return entry

    def edit_note(self, entry: NoteEntry, text: str) -> None:
        if self.call is None or entry not in self.call.notes:
            raise DeskError("Only notes of the open call can be edited.")
        text = text.rstrip()
        if not text.strip():
            raise DeskError("A note cannot be empty; delete it instead.")
        entry.text = text
        entry.edited_at = self.clock.now()
        store = self.store
        self._tag(self.call, text)
        self._submit(lambda: store.edit_note(entry.id, text, at=entry.edited_at))

    def delete_note(self, entry: NoteEntry) -> None:
        call = self.require_call()
        if entry not in call.notes:
            raise DeskError("Only notes of the open call can be deleted.")
        call.notes.remove(entry)
        store = self.store
        self._submit(lambda: store.delete_note(entry.id))

    def _tag(self, call: Call, text: str) -> None:
        """Tags typed as `#tag` in notes become the call's tags (for the recurring-problem hint)."""
        new = [tag for tag in hashtags(text) if tag not in call.tags]
        if not new:
            return
        call.tags.extend(new)
        tags = list(call.tags)
        store = self.store
        self._submit(lambda: store.update_call(call.id, tags=tags), key=("tags", id(call)))

    def end_call(self) -> Call:
        """End the open call: a draft still being typed is kept as a last note."""
        call = self.require_call()
        if call.draft.strip():
            self.add_note(call.draft)
        now = self.clock.now()
        call.ended_at = now
        store = self.store
        self._submit(lambda: store.end_call(call.id, at=now))
        self.last_call = call
        self.call = None
        self.phone_call_id = None
        return call

    def set_outcome(self, call: Call, outcome: Outcome, reason: str = "") -> None:
        call.outcome = outcome
        call.outcome_reason = reason
        store = self.store
        self._submit(lambda: store.set_outcome(call.id, outcome, reason))

    def save_checklist_answer(self, call: Call, item_id: str, value: Any, skipped: bool) -> None:
        store = self.store
        self._submit(
            lambda: store.save_checklist_answer(call.id, item_id, value, skipped=skipped),
            key=("checklist", id(call), item_id),
        )

    def save_cooldown(self, state: CooldownState) -> None:
        """Persist a break step; the first save of a break gives it the id later saves reuse."""
        store = self.store
        key = (state.call_id, state.offered_at)

        def run() -> CooldownState:
            assert store is not None
            return store.save_cooldown(replace(state, id=self._cooldown_ids.get(key, state.id)))

        def done(saved: CooldownState) -> None:
            if saved.id is not None:
                self._cooldown_ids[key] = saved.id

        self._submit(run, done=done)

    # -- the softphone ------------------------------------------------------------------------

    def on_phone_event(self, event: PhoneEvent, start_on: str = "ring") -> PhoneOutcome:
        """Open, fill or end the call record as the phone says; never a call it did not start."""
        if event.kind == "ring":
            self._ringing[event.call_id] = event
            if self.call is not None:
                return PhoneOutcome(PhoneAction.BUSY, self.call)
            if start_on == "answer":
                return PhoneOutcome(PhoneAction.RINGING)
            return PhoneOutcome(PhoneAction.STARTED, self._start_from_phone(event))
        if event.kind == "answer":
            ring = self._ringing.pop(event.call_id, None)
            if self.call is not None:
                return PhoneOutcome(PhoneAction.IGNORED, self.call)
            # An auto-answering phone sends no ring: the answer alone starts the record.
            return PhoneOutcome(PhoneAction.STARTED, self._start_from_phone(ring or event))
        if event.kind == "hangup":
            self._ringing.pop(event.call_id, None)
            if self.call is None:
                return PhoneOutcome(PhoneAction.IGNORED)
            if self.phone_call_id is None:
                return PhoneOutcome(PhoneAction.HUNG_UP, self.call)
            if event.call_id and self.phone_call_id and event.call_id != self.phone_call_id:
                return PhoneOutcome(PhoneAction.IGNORED, self.call)
            return PhoneOutcome(PhoneAction.ENDED, self.end_call())
        return PhoneOutcome(PhoneAction.IGNORED)

    def _start_from_phone(self, event: PhoneEvent) -> Call:
        call = self.start_call(caller_name=event.name, caller_number=event.number)
        self.phone_call_id = event.call_id
        return call

    # -- phrases ---------------------------------------------------------------------------

    def placeholder_values(self, call: Call | None = None) -> dict[str, str]:
        call = call or self.call
        values = {"agent": self.agent_name}
        if call is not None:
            values |= {
                "customer": call.caller_name,
                "number": call.caller_number,
                "ticket": call.ticket,
            }
        return values

    def phrase_text(self, phrase: Phrase) -> str:
        """The phrase's words with what the open call knows filled in."""
        from calldesk.core.phrases import render

        return render(phrase.say, self.placeholder_values()).strip()

    def use_phrase(self, phrase: Phrase, action: str) -> str:
        """Record that `phrase` was inserted or copied, and return its filled-in text."""
        from calldesk.core.phrases import placeholders

        values = self.placeholder_values()
        filled: Mapping[str, bool] = {
            name: bool(values.get(name)) for name in placeholders(phrase.say)
        }
        call_id_source = self.call
        store = self.store
        self._submit(
            lambda: store.record_phrase_use(
                phrase.id, call_id_source.id if call_id_source else None, action, filled
            )
        )
        return self.phrase_text(phrase)

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot(self, call: Call) -> Call:
        """A copy of `call` safe to hand to another thread (export, rendering)."""
        return replace(call, notes=[replace(note) for note in call.notes], tags=list(call.tags))
