"""The agent's desk: the open call, its notes and the phrases used, kept in step with the store.

The desk holds the truth in memory and hands every write to a `WriteBehind` queue, so a slow,
full or read-only disk never stalls typing and never loses what was typed: writes are retried
until they land, and the in-memory call can always be exported.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import records as call_records
from calldesk.core.calls.autosave import WriteBehind
from calldesk.core.calls.bigtext import NOTE_LIMIT, OVERFLOW_FOLDER, Fitted, fit, overflow_path
from calldesk.core.calls.model import Call, NoteEntry, Outcome, normalise_number
from calldesk.core.clock import Clock
from calldesk.core.db.errors import NotFound
from calldesk.core.files import FileRefused, refuse_unsafe_dir, write_private
from calldesk.core.library import records as phrase_records

if TYPE_CHECKING:
    from pathlib import Path

    from calldesk.core.aftercall.cooldown import CooldownState
    from calldesk.core.db.database import Database
    from calldesk.core.db.vanish import Recreated
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.phone.events import PhoneEvent


T = TypeVar("T")

# `#printer` or `#vpn-drop` in a note tags the call; `#1234` (a ticket number) does not.
_HASHTAG = re.compile(r"(?<![\w#])#([^\W\d_][\w-]*)")


def hashtags(text: str) -> list[str]:
    """The `#tags` in a note, lower-cased, in order, without repeats."""
    return list(dict.fromkeys(tag.lower().rstrip("-") for tag in _HASHTAG.findall(text)))


class DeskError(Exception):
    """Something the agent asked for that cannot be done now; the message says what to do.

    Keys appear as `{key:<binding id>}` placeholders: the screen names the key bound now.
    """


def key(action_id: str) -> str:
    """A message's placeholder for the key of an action (`start-call`): core knows no keys."""
    return "{key:" + action_id + "}"


class PhoneAction(StrEnum):
    """What the desk did with a softphone event."""

    STARTED = "started"  # a call record was opened with the caller filled in
    RINGING = "ringing"  # the phone rings; the record waits for the answer (start_on = answer)
    ANSWERED = "answered"  # the open call was answered
    ENDED = "ended"  # the call the phone started was ended: the after-call steps follow
    MISSED = "missed"  # the caller gave up while it rang: `call` is the missed-call entry
    BUSY = "busy"  # another call rings while one is open: the agent decides
    OTHER_ANSWERED = "other_answered"  # the agent answered another call while one is open
    HUNG_UP = "hung_up"  # the phone hung up while a call the agent opened by hand is open
    UNMATCHED = "unmatched"  # a hangup that cannot be told apart from the open call's
    IGNORED = "ignored"  # nothing to do (a repeated ring, a hangup of another call)


@dataclass(frozen=True)
class PhoneOutcome:
    action: PhoneAction
    call: Call | None = None
    started: Call | None = None
    """With MISSED: the record opened for a call still ringing, if one took its place."""


EDIT_DRAFT_KEY = "edit_draft"
"""The `meta` row holding the note edit being typed (JSON: call id, note id, text)."""

WAITING_LIMIT = 20
"""Most rings remembered while a call is open or the record waits for the answer."""
WAITING_FOR = timedelta(minutes=30)
"""After this long a remembered ring is forgotten: its hangup was lost, or it was taken."""


@dataclass(frozen=True, slots=True)
class _Ring:
    """A ring the desk has seen and not yet seen answered or given up."""

    event: PhoneEvent
    number: str
    """The caller's number, normalised; "" when the caller cannot be told apart."""
    at: datetime
    """When it rang: the event's own time (a ring a hook kept arrives late), never later than
    the desk's clock."""


@dataclass(frozen=True, slots=True)
class _PhoneLink:
    """What ties the open record to a call on the phone."""

    call_id: str
    """The phone's id for the call; "" when the phone gives none (MicroSIP)."""
    number: str
    """The caller's number, normalised; "" when the caller cannot be told apart."""
    ring: _Ring | None
    """The ring that opened the record (start_on = "ring"), if one did."""
    caller: tuple[str, str]
    """Name and number as the phone gave them, to tell whether the agent changed them."""


def event_number(event: PhoneEvent) -> str:
    """The event's caller number, normalised; "" when it cannot tell callers apart."""
    return normalise_number(event.number)


def same_call(event: PhoneEvent, call_id: str, number: str) -> bool:
    """Whether `event` is about the call the phone knows as `call_id`, from `number`.

    Call ids decide when both sides have one. Otherwise only the caller's number can, and
    only when both are usable (`normalise_number`): a withheld caller matches nothing.
    """
    if event.call_id and call_id:
        return event.call_id == call_id
    return bool(number) and event_number(event) == number


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
        self._on_store_recreated = on_store_recreated
        self._recreate_queued = False
        self.overflow_dir = overflow_dir
        """Where the rest of a text too long for a note goes; None: beside the database."""
        self.on_overflow: Callable[[Fitted], None] | None = None
        """Hears of every text that did not fit in a note (on the caller's thread)."""
        self._overflows = 0
        self.agent_name = agent_name
        self.call: Call | None = None
        self.last_call: Call | None = None
        self.restored_edit: tuple[NoteEntry, str] | None = None
        """A note edit typed but not kept when calldesk stopped (`restore`), to offer back."""
        self._on_saved = on_saved
        self._local_ids = 0
        self._unsaved: set[int] = set()
        """Ids of calls whose first write has not landed yet (added here, removed by the writer)."""
        self._next_ids: list[int] | None = None
        self.store = store
        self._cooldown_ids: dict[tuple[int | None, datetime], int] = {}
        self._link: _PhoneLink | None = None
        """How the open record is tied to a call on the phone; None if the agent opened it."""
        self._waiting: list[_Ring] = []
        self.writer = WriteBehind(
            on_error=on_save_error,
            on_recovered=on_save_recovered,
            give_up_on=(NotFound,),
            on_given_up=on_save_error,
            before_write=self._keep_store_in_place,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def restore(self) -> Call | None:
        """Bring back the call that was open when calldesk last stopped, exactly as it was."""
        if self.store is not None and self.call is None:
            self.call = call_records.open_call(self.store)
            if self.last_call is None:  # F6 and F10 still reach the last call after a restart
                self.last_call = call_records.last_ended_call(self.store)
            call = self.call
            if call is not None and self.is_ringing(call):
                # Only the phone opens a record before the answer: its events still find it,
                # by number (the call id was not kept).
                caller = (call.caller_name, call.caller_number)
                self._link = _PhoneLink("", normalise_number(call.caller_number), None, caller)
            if call is not None and len(call.draft) > NOTE_LIMIT:
                # Saved before notes had a limit: every keystroke would rewrite all of it.
                self.set_draft(self.fit(call.draft).text)
            self.restored_edit = self._stored_edit_draft()
        return self.call

    def _stored_edit_draft(self) -> tuple[NoteEntry, str] | None:
        """The note edit that was open (typed, not kept) when calldesk stopped, if its note is
        still in the open call and the text differs from it."""
        if self.store is None or self.call is None:
            return None
        try:
            saved = json.loads(self.store.get_meta(EDIT_DRAFT_KEY) or "null")
        except ValueError:
            return None
        if not isinstance(saved, dict) or saved.get("call_id") != self.call.id:
            return None
        text = saved.get("text")
        for entry in self.call.notes:
            if entry.id == saved.get("note_id") and isinstance(text, str) and text != entry.text:
                return entry, text
        return None

    def close(self) -> bool:
        """Write out everything still queued. Returns False if some writes could not land."""
        return self.writer.close()

    def check_store(self) -> bool:
        """Whether the database file vanished (deleted, renamed, replaced); if it did, its
        re-creation is queued on the writer thread. One `lstat`: the app calls it every second,
        so a vanished file is noticed within a second even when nothing is being written."""
        store = self._store
        if store is None or store.vanished() is None:
            return False
        if not self._recreate_queued:
            self._recreate_queued = True

            def done(_: object) -> None:
                self._recreate_queued = False

            # An empty write: the check before every write does the work, in order.
            self.writer.submit(lambda: None, key="keep-store-in-place", on_done=done)
        return True

    def _keep_store_in_place(self) -> None:
        """Before every write, on the writer thread: a vanished database file is re-created
        from the open connection first, so the write lands where calldesk will find it."""
        store = self._store
        if store is None or store.vanished() is None:
            return
        recreated = store.recreate()
        if recreated is not None and self._on_store_recreated is not None:
            self._on_store_recreated(recreated)

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

    def _submit_insert(self, call_id: int, run: Callable[[], Any]) -> None:
        """Queue the write that creates call `call_id`; `is_stored` is False until it lands."""
        if self.store is None:
            return
        self._unsaved.add(call_id)
        self._submit(run, done=lambda _: self._unsaved.discard(call_id))

    @property
    def store(self) -> Database | None:
        return self._store

    @store.setter
    def store(self, store: Database | None) -> None:
        """Attach the database: from now on calls and notes get their stored ids as they are made.

        Ids are handed out here, on the caller's thread, from the next free ones in the database
        (the desk is its only writer of calls and notes); the writer thread never changes a
        call or note object. Without a database, ids are local and negative.
        """
        self._store = store
        self._next_ids = list(call_records.next_ids(store)) if store is not None else None

    def _new_id(self, table: int) -> int:
        if self._next_ids is None:
            self._local_ids -= 1
            return self._local_ids
        new = self._next_ids[table]
        self._next_ids[table] += 1
        return new

    def _new_call_id(self) -> int:
        return self._new_id(0)

    def _new_note_id(self) -> int:
        return self._new_id(1)

    def is_stored(self, call: Call) -> bool:
        """Whether `call` is in the database: it has a stored id and its first write landed."""
        return call.id > 0 and call.id not in self._unsaved

    def write(self, run: Callable[[], T], done: Callable[[T], None] | None = None) -> None:
        """Queue a store write that is not about the open call (a practice grade, a fix's
        status): it lands in order with the rest, and a failure is reported like theirs.
        `done` hears its result on the writer thread."""
        self._submit(run, done=done)

    def read_after_writes(
        self,
        read: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `read` on the writer thread once the writes queued so far have landed.

        Its result goes to `done` (or its error to `failed`), on the writer thread: a screen
        turns that into a message. While the store fails to write, the read runs at once and
        sees what is stored (`writer.failing` says so), so no screen waits on a broken disk.
        """
        self.writer.submit_read(read, on_done=done, on_failed=failed)

    # -- calls -----------------------------------------------------------------------------

    def require_call(self) -> Call:
        if self.call is None:
            raise DeskError(f"No call is open. Start one with {key('start-call')}.")
        return self.call

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
            id=self._new_call_id(),
            started_at=started,
            answered_at=started if answered else None,
            caller_name=caller_name,
            caller_number=caller_number,
            ticket=ticket,
        )
        self.call = call
        self._link = None
        store = self.store

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

        self._submit_insert(call_id, run)
        return call

    def update_caller(self, **fields: str) -> None:
        """Change caller_name, caller_number or ticket of the open call."""
        call = self.require_call()
        for name, value in fields.items():
            setattr(call, name, value)
        store = self.store
        self._submit(
            lambda: call_records.update_call(
                store,
                call.id,
                caller_name=call.caller_name,
                caller_number=call.caller_number,
                ticket=call.ticket,
            ),
            key=("caller", id(call)),
        )

    def fit(self, text: str, room: int = NOTE_LIMIT) -> Fitted:
        """`text` made to fit in `room` characters of a note; the rest is saved to a new
        private file in the data folder (queued like every write) and `on_overflow` hears of it.

        Without a data folder (no database open) nothing is cut: there is nowhere to put the rest.
        """
        folder = self.overflow_dir
        if folder is None and self.store is not None:
            folder = self.store.path.parent / OVERFLOW_FOLDER
        if len(text) <= room or folder is None:
            return Fitted(text)
        try:
            refuse_unsafe_dir(folder)
        except FileRefused as error:
            fitted = Fitted(text, refused=str(error))  # nowhere safe for the rest: keep it all
            if self.on_overflow is not None:
                self.on_overflow(fitted)
            return fitted
        now = self.clock.now()
        call_id = self.call.id if self.call is not None else 0
        while True:
            self._overflows += 1
            path = overflow_path(folder, call_id, now, self._overflows)
            if not path.exists():
                break
        fitted = fit(text, room, path)
        rest = fitted.rest
        self.writer.submit(lambda: write_private(path, rest))
        if self.on_overflow is not None:
            self.on_overflow(fitted)
        return fitted

    def set_draft(self, text: str) -> None:
        """Remember the note being typed; saved too, so a crash cannot lose it.

        An unchanged draft is not written again, and a queued draft write is replaced by a newer
        one, so a save costs the draft's length (at most about `NOTE_LIMIT`) once per change.
        """
        call = self.require_call()
        if text == call.draft:
            return
        call.draft = text
        store = self.store
        self._submit(lambda: call_records.save_draft(store, call.id, text), key=("draft", id(call)))

    def set_edit_draft(self, entry: NoteEntry, text: str) -> None:
        """Remember the text of a note being edited (its dialog is open, nothing kept yet):
        saved like the draft, so a crash cannot lose it; `restore` offers it back."""
        value = json.dumps({"call_id": entry.call_id, "note_id": entry.id, "text": text})
        store = self.store
        self._submit(lambda: store.set_meta(EDIT_DRAFT_KEY, value), key=("edit-draft",))

    def clear_edit_draft(self) -> None:
        """The edit dialog closed (kept or left): no edit is waiting any more."""
        self.restored_edit = None
        store = self.store
        self._submit(lambda: store.set_meta(EDIT_DRAFT_KEY, ""), key=("edit-draft",))

    def add_note(self, text: str) -> NoteEntry:
        call = self.require_call()
        text = text.rstrip()
        if not text.strip():
            raise DeskError("The note is empty.")
        text = self.fit(text).text
        entry = NoteEntry(
            id=self._new_note_id(), call_id=call.id, created_at=self.clock.now(), text=text
        )
        call.notes.append(entry)
        call.draft = ""
        store = self.store
        self._tag(call, text)

        call_id, note_id, at = call.id, entry.id, entry.created_at

        def run() -> NoteEntry:
            assert store is not None
            return call_records.add_note(store, call_id, text, at=at, note_id=note_id)

        self._submit(run)
        return entry

    def edit_note(self, entry: NoteEntry, text: str) -> None:
        if self.call is None or entry not in self.call.notes:
            raise DeskError("Only notes of the open call can be edited.")
        text = text.rstrip()
        if not text.strip():
            raise DeskError("A note cannot be empty; delete it instead.")
        text = self.fit(text).text
        entry.text = text
        entry.edited_at = self.clock.now()
        store = self.store
        self._tag(self.call, text)
        self._submit(lambda: call_records.edit_note(store, entry.id, text, at=entry.edited_at))

    def delete_note(self, entry: NoteEntry) -> None:
        call = self.require_call()
        if entry not in call.notes:
            raise DeskError("Only notes of the open call can be deleted.")
        call.notes.remove(entry)
        store = self.store
        self._submit(lambda: call_records.delete_note(store, entry.id))

    def _tag(self, call: Call, text: str) -> None:
        """Tags typed as `#tag` in notes become the call's tags (for the recurring-problem hint)."""
        new = [tag for tag in hashtags(text) if tag not in call.tags]
        if not new:
            return
        call.tags.extend(new)
        tags = list(call.tags)
        store = self.store
        self._submit(
            lambda: call_records.update_call(store, call.id, tags=tags), key=("tags", id(call))
        )

    def end_call(self) -> Call:
        """End the open call: a draft still being typed is kept as a last note.

        A record opened when the phone rang, never answered and holding nothing the agent
        typed ends as a missed call (`call.missed`): no outcome, no checklist, no break. Once
        the agent has written anything in it, it is a call like any other.
        """
        call = self.require_call()
        missed = self.is_ringing(call) and self._untouched(call)
        if call.draft.strip():
            self.add_note(call.draft)
        now = self.clock.now()
        call.ended_at = now
        call.missed = missed
        store = self.store
        self._submit(lambda: call_records.end_call(store, call.id, at=now, missed=missed))
        if not missed:
            self.last_call = call  # F6 and F10 are about the last call the agent took
        self.call = None
        self._link = None
        return call

    @staticmethod
    def is_ringing(call: Call) -> bool:
        """Whether `call` is a record opened when the phone rang, not answered yet."""
        return call.answered_at is None and call.ended_at is None

    def _untouched(self, call: Call) -> bool:
        """Whether the agent has written nothing in `call`: notes, a draft, a ticket, the caller."""
        link = self._link
        caller_kept = link is None or (call.caller_name, call.caller_number) == link.caller
        return not (call.notes or call.draft.strip() or call.ticket or call.tags) and caller_kept

    def mark_answered(self) -> None:
        """The open call was answered (the phone said so)."""
        call = self.require_call()
        if call.answered_at is not None:
            return
        now = self.clock.now()
        call.answered_at = now
        store = self.store
        self._submit(lambda: call_records.mark_answered(store, call.id, at=now))

    def set_outcome(self, call: Call, outcome: Outcome, reason: str = "") -> None:
        call.outcome = outcome
        call.outcome_reason = reason
        store = self.store
        self._submit(lambda: call_records.set_outcome(store, call.id, outcome, reason))

    def fan_call(self) -> Call:
        """The call a fan moment is about: the open one, else the one that just ended."""
        call = self.call or self.last_call
        if call is None:
            raise DeskError(
                "A fan moment marks a call: start one with {key:start-call}, or mark it "
                "right after it ends."
            )
        return call

    def toggle_fan(self, call: Call) -> bool:
        """Mark `call` a fan moment, or take the mark back; True when it is marked now."""
        call.fan_at = None if call.fan_at is not None else self.clock.now()
        at, store = call.fan_at, self.store
        self._submit(lambda: call_records.set_fan(store, call.id, at), key=("fan", id(call)))
        return at is not None

    def save_checklist_answer(
        self, call: Call, item_id: str, value: Any, skipped: bool, suggested: bool = False
    ) -> None:
        store = self.store
        self._submit(
            lambda: save_answer(
                store, call.id, item_id, value, skipped=skipped, suggested=suggested
            ),
            key=("checklist", id(call), item_id),
        )

    def save_cooldown(self, state: CooldownState) -> None:
        """Persist a break step; the first save of a break gives it the id later saves reuse."""
        store = self.store
        key = (state.call_id, state.offered_at)

        def run() -> CooldownState:
            assert store is not None
            return aftercall_records.save_cooldown(
                store, replace(state, id=self._cooldown_ids.get(key, state.id))
            )

        def done(saved: CooldownState) -> None:
            if saved.id is not None:
                self._cooldown_ids[key] = saved.id

        self._submit(run, done=done)

    # -- the softphone ------------------------------------------------------------------------

    def on_phone_event(self, event: PhoneEvent, start_on: str = "ring") -> PhoneOutcome:
        """Open, fill or end call records as the phone says; never touch another caller's.

        An event belongs to the open record only by `same_call`: the same call id, or, when
        the phone gives none (MicroSIP), the same usable number. Withheld callers match
        nothing; the agent decides for them (F8). The rules, event by event:

        ring    the open call ringing again: ignored. No record open and start_on = "ring":
                opens one, ringing. Otherwise the ring is remembered (BUSY or RINGING).
        answer  the open call's: marks it answered. No record open: opens one, answered,
                with the remembered ring's caller. A record open for a call still ringing
                that the agent wrote nothing in: it is set aside (deleted; its ring is
                remembered again) and the answered call gets the record. Any other open
                record stays as it is (OTHER_ANSWERED).
        hangup  the open call's: ends it, as a missed call if it was never answered and holds
                nothing the agent wrote (a ring still remembered then takes its place with
                start_on = "ring"). A remembered ring's: a missed-call entry. Otherwise the
                open record stays: HUNG_UP if the agent opened it, UNMATCHED if the hangup
                cannot be told apart from its call, IGNORED if it is clearly another call.
        """
        if event.kind == "ring":
            return self._on_ring(event, start_on)
        if event.kind == "answer":
            return self._on_answer(event)
        if event.kind == "hangup":
            return self._on_hangup(event, start_on)
        return PhoneOutcome(PhoneAction.IGNORED)

    def _is_open_phone_call(self, event: PhoneEvent) -> bool:
        link = self._link
        return (
            self.call is not None
            and link is not None
            and same_call(event, link.call_id, link.number)
        )

    def _on_ring(self, event: PhoneEvent, start_on: str) -> PhoneOutcome:
        if self._is_open_phone_call(event):
            return PhoneOutcome(PhoneAction.IGNORED, self.call)  # two hooks for one ring
        ring = _Ring(event, event_number(event), min(event.at, self.clock.now()))
        self._take_waiting(event)  # a newer ring of the same call replaces an older one
        if self.call is None and start_on == "ring":
            return PhoneOutcome(PhoneAction.STARTED, self._start_from_phone(ring, None))
        if ring.event.call_id or ring.number:
            # A ring that nothing can match later (withheld, no call id) is not kept.
            self._waiting = [*self._waiting, ring][-WAITING_LIMIT:]
        if self.call is not None:
            return PhoneOutcome(PhoneAction.BUSY, self.call)
        return PhoneOutcome(PhoneAction.RINGING)

    def _on_answer(self, event: PhoneEvent) -> PhoneOutcome:
        if self._is_open_phone_call(event):
            self.mark_answered()
            return PhoneOutcome(PhoneAction.ANSWERED, self.call)
        ring = self._take_waiting(event)
        call, link = self.call, self._link
        if call is not None and link is not None and self.is_ringing(call):
            if not (link.call_id or link.number or event.call_id or event_number(event)):
                # Neither side names a caller, so no caller's data can be crossed: this is
                # the withheld caller of the open record answering, as far as anyone can say.
                self.mark_answered()
                return PhoneOutcome(PhoneAction.ANSWERED, call)
            if self._untouched(call):
                self._set_aside(call)
        if self.call is not None:
            return PhoneOutcome(PhoneAction.OTHER_ANSWERED, self.call)
        # Also an auto-answering phone, which sends no ring: the answer alone opens the record.
        return PhoneOutcome(PhoneAction.STARTED, self._start_from_phone(ring, event))

    def _on_hangup(self, event: PhoneEvent, start_on: str) -> PhoneOutcome:
        if self._is_open_phone_call(event):
            call = self.end_call()
            if not call.missed:
                return PhoneOutcome(PhoneAction.ENDED, call)
            started = None
            if start_on == "ring" and (ring := self._latest_waiting()) is not None:
                started = self._start_from_phone(ring, None)
            return PhoneOutcome(PhoneAction.MISSED, call, started)
        ring = self._take_waiting(event)
        if ring is not None:
            return PhoneOutcome(PhoneAction.MISSED, self._record_missed(ring))
        call = self.call
        if call is None:
            return PhoneOutcome(PhoneAction.IGNORED)
        link = self._link
        number = event_number(event)
        if link is None:
            other = bool(number) and normalise_number(call.caller_number) not in ("", number)
            return PhoneOutcome(PhoneAction.IGNORED if other else PhoneAction.HUNG_UP, call)
        if (event.call_id and link.call_id) or (number and link.number):
            return PhoneOutcome(PhoneAction.IGNORED, call)  # clearly another call
        return PhoneOutcome(PhoneAction.UNMATCHED, call)

    def _start_from_phone(self, ring: _Ring | None, answer: PhoneEvent | None) -> Call:
        """Open the record for a call that rings (`answer` None) or was answered."""
        source = ring.event if ring is not None else answer
        assert source is not None
        call = self.start_call(
            caller_name=source.name,
            caller_number=source.number,
            answered=answer is not None,
            at=ring.at if ring is not None else None,  # a ringing record started when it rang
        )
        call_id = source.call_id or (answer.call_id if answer is not None else "")
        number = normalise_number(source.number)
        if not number and answer is not None:
            number = normalise_number(answer.number)
        self._link = _PhoneLink(call_id, number, ring, (source.name, source.number))
        return call

    def _set_aside(self, call: Call) -> None:
        """Drop the record of a ringing call the agent wrote nothing in; remember its ring."""
        link = self._link
        if link is not None and link.ring is not None:
            ring = link.ring
            if ring.event.call_id or ring.number:
                self._waiting = [*self._waiting, ring][-WAITING_LIMIT:]
        self.call = None
        self._link = None
        store = self.store
        # Should the store find something written after all, the call is kept, as missed.
        self._submit(
            lambda: (
                call_records.delete_untouched_call(store, call.id)
                or call_records.end_call(store, call.id, missed=True)
            )
        )

    def _record_missed(self, ring: _Ring) -> Call:
        """A missed-call entry for a ring the caller gave up."""
        now = self.clock.now()
        event = ring.event
        call = Call(
            id=self._new_call_id(),
            started_at=ring.at,
            ended_at=now,
            caller_name=event.name,
            caller_number=event.number,
            missed=True,
        )
        store = self.store

        call_id = call.id

        def run() -> Call:
            assert store is not None
            return call_records.record_missed_call(
                store, event.name, event.number, rang_at=ring.at, ended_at=now, call_id=call_id
            )

        self._submit_insert(call_id, run)
        return call

    def _fresh_waiting(self) -> list[_Ring]:
        cutoff = self.clock.now() - WAITING_FOR
        self._waiting = [ring for ring in self._waiting if ring.at >= cutoff]
        return self._waiting

    def _take_waiting(self, event: PhoneEvent) -> _Ring | None:
        """The remembered ring `event` is about (the latest), forgotten from now on."""
        for ring in reversed(self._fresh_waiting()):
            if same_call(event, ring.event.call_id, ring.number):
                self._waiting = [other for other in self._waiting if other is not ring]
                return ring
        return None

    def _latest_waiting(self) -> _Ring | None:
        waiting = self._fresh_waiting()
        return waiting.pop() if waiting else None

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
        from calldesk.core.library.phrases import render

        return render(phrase.say, self.placeholder_values()).strip()

    def use_phrase(self, phrase: Phrase, action: str) -> str:
        """Record that `phrase` was inserted or copied, and return its filled-in text."""
        from calldesk.core.library.phrases import placeholders

        values = self.placeholder_values()
        filled: Mapping[str, bool] = {
            name: bool(values.get(name)) for name in placeholders(phrase.say)
        }
        call_id_source = self.call
        store = self.store
        self._submit(
            lambda: phrase_records.record_phrase_use(
                store, phrase.id, call_id_source.id if call_id_source else None, action, filled
            )
        )
        return self.phrase_text(phrase)

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot(self, call: Call) -> Call:
        """A copy of `call` safe to hand to another thread (export, rendering)."""
        return replace(call, notes=[replace(note) for note in call.notes], tags=list(call.tags))
