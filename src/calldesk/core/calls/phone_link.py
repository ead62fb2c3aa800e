"""The desk's link to the softphone: what each ring, answer and hangup does to the call records.

The rules are in `PhoneLink.on_event`. An event belongs to the open record only when it is
about the same call (`same_call`), so one caller's notes never end up in another's record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Call, normalise_number

if TYPE_CHECKING:
    from calldesk.core.calls.writes import Writes
    from calldesk.core.clock import Clock
    from calldesk.core.phone.events import PhoneEvent


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
    HELD = "held"  # the open call hung up while the agent was busy in it: the record stays open
    UNMATCHED = "unmatched"  # a hangup that cannot be told apart from the open call's
    IGNORED = "ignored"  # nothing to do (a repeated ring, a hangup of another call)


@dataclass(frozen=True)
class PhoneOutcome:
    action: PhoneAction
    call: Call | None = None
    started: Call | None = None
    """With MISSED: the record opened for a call still ringing, if one took its place."""


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
class _Tie:
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


def _answer_key(answered: tuple[_Ring | None, PhoneEvent]) -> tuple[str, str]:
    """The call id and number an answered call's later events are matched by."""
    ring, answer = answered
    source = ring.event if ring is not None else answer
    return source.call_id or answer.call_id, event_number(source) or event_number(answer)


def same_call(event: PhoneEvent, call_id: str, number: str) -> bool:
    """Whether `event` is about the call the phone knows as `call_id`, from `number`.

    Call ids decide when both sides have one. Otherwise only the caller's number can, and
    only when both are usable (`normalise_number`): a withheld caller matches nothing.
    """
    if event.call_id and call_id:
        return event.call_id == call_id
    return bool(number) and event_number(event) == number


class OpenCall(Protocol):
    """What the phone link asks of the desk: the open call and its lifecycle."""

    @property
    def call(self) -> Call | None: ...

    def start_call(
        self,
        caller_name: str = "",
        caller_number: str = "",
        ticket: str = "",
        *,
        answered: bool = True,
        at: datetime | None = None,
    ) -> Call: ...

    def end_call(self) -> Call: ...

    def mark_answered(self) -> None: ...

    def set_aside(self, call: Call) -> None: ...

    def is_ringing(self, call: Call) -> bool: ...

    def untouched(self, call: Call) -> bool: ...


class PhoneLink:
    """Softphone events turned into call records: opened, answered, ended, missed."""

    def __init__(self, desk: OpenCall, writes: Writes, clock: Clock) -> None:
        self._desk = desk
        self._writes = writes
        self._clock = clock
        self._tie: _Tie | None = None
        """How the open record is tied to a call on the phone; None if the agent opened it."""
        self._waiting: list[_Ring] = []
        self._hung_up_at: datetime | None = None
        """When the open record's call hung up while the agent was busy (HELD), else None:
        the record ends then, whenever the agent ends it."""
        self._answered_next: tuple[_Ring | None, PhoneEvent] | None = None
        """A call answered while a held record was open: its record opens when that one ends."""

    def restore(self, call: Call | None) -> None:
        """Tie a record brought back after a restart to the phone, if it is still ringing."""
        if call is not None and self._desk.is_ringing(call):
            # Only the phone opens a record before the answer: its events still find it,
            # by number (the call id was not kept).
            caller = (call.caller_name, call.caller_number)
            self._tie = _Tie("", normalise_number(call.caller_number), None, caller)

    def forget(self) -> None:
        """The open record is gone or was opened by the agent: nothing ties it to the phone."""
        self._tie = None
        self._hung_up_at = None

    @property
    def hung_up_at(self) -> datetime | None:
        """When the open record's call hung up, if it was held open for the agent (HELD)."""
        return self._hung_up_at

    @property
    def answered_waiting(self) -> bool:
        """A call was answered while a held record was open; it opens when that one ends."""
        return self._answered_next is not None

    def open_answered(self) -> Call | None:
        """After the agent ended a held record: open the one for the call answered meanwhile."""
        answered, self._answered_next = self._answered_next, None
        if answered is None or self._desk.call is not None:
            return None
        return self._start_from_phone(*answered)

    def caller_kept(self, call: Call) -> bool:
        """Whether the open record's caller is still as the phone gave it (or no phone gave it)."""
        tie = self._tie
        return tie is None or (call.caller_name, call.caller_number) == tie.caller

    def on_event(
        self, event: PhoneEvent, start_on: str = "ring", *, agent_busy: bool = False
    ) -> PhoneOutcome:
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
                `agent_busy` (typing a note, or a dialog open): the open call's hangup leaves
                its record open (HELD); the agent's end-call key ends it. Never a missed one.
        """
        if event.kind == "ring":
            return self._on_ring(event, start_on)
        if event.kind == "answer":
            return self._on_answer(event)
        if event.kind == "hangup":
            return self._on_hangup(event, start_on, agent_busy)
        return PhoneOutcome(PhoneAction.IGNORED)

    def _is_open_phone_call(self, event: PhoneEvent) -> bool:
        tie = self._tie
        return (
            self._desk.call is not None
            and tie is not None
            and same_call(event, tie.call_id, tie.number)
        )

    def _on_ring(self, event: PhoneEvent, start_on: str) -> PhoneOutcome:
        desk = self._desk
        if self._is_open_phone_call(event):
            return PhoneOutcome(PhoneAction.IGNORED, desk.call)  # two hooks for one ring
        ring = _Ring(event, event_number(event), min(event.at, self._clock.now()))
        self._take_waiting(event)  # a newer ring of the same call replaces an older one
        if desk.call is None and start_on == "ring":
            return PhoneOutcome(PhoneAction.STARTED, self._start_from_phone(ring, None))
        if ring.event.call_id or ring.number:
            # A ring that nothing can match later (withheld, no call id) is not kept.
            self._waiting = [*self._waiting, ring][-WAITING_LIMIT:]
        if desk.call is not None:
            return PhoneOutcome(PhoneAction.BUSY, desk.call)
        return PhoneOutcome(PhoneAction.RINGING)

    def _on_answer(self, event: PhoneEvent) -> PhoneOutcome:
        desk = self._desk
        if self._is_open_phone_call(event):
            desk.mark_answered()
            return PhoneOutcome(PhoneAction.ANSWERED, desk.call)
        ring = self._take_waiting(event)
        call, tie = desk.call, self._tie
        if call is not None and tie is not None and desk.is_ringing(call):
            if not (tie.call_id or tie.number or event.call_id or event_number(event)):
                # Neither side names a caller, so no caller's data can be crossed: this is
                # the withheld caller of the open record answering, as far as anyone can say.
                desk.mark_answered()
                return PhoneOutcome(PhoneAction.ANSWERED, call)
            if desk.untouched(call):
                self._set_aside(call)
        if desk.call is not None:
            if self._hung_up_at is not None:  # held: this one gets a record once it is ended
                self._answered_next = (ring, event)
            return PhoneOutcome(PhoneAction.OTHER_ANSWERED, desk.call)
        # Also an auto-answering phone, which sends no ring: the answer alone opens the record.
        return PhoneOutcome(PhoneAction.STARTED, self._start_from_phone(ring, event))

    def _on_hangup(self, event: PhoneEvent, start_on: str, agent_busy: bool) -> PhoneOutcome:
        desk = self._desk
        if self._is_open_phone_call(event):
            open_call = desk.call
            assert open_call is not None  # _is_open_phone_call
            if agent_busy and not (desk.is_ringing(open_call) and desk.untouched(open_call)):
                # Ending it now would take the keys being typed as the outcome's answers.
                if self._hung_up_at is None:  # a second hook for the same hangup keeps the first
                    self._hung_up_at = min(event.at, self._clock.now())
                return PhoneOutcome(PhoneAction.HELD, open_call)
            call = desk.end_call()
            if not call.missed:
                return PhoneOutcome(PhoneAction.ENDED, call)
            started = None
            if start_on == "ring" and (ring := self._latest_waiting()) is not None:
                started = self._start_from_phone(ring, None)
            return PhoneOutcome(PhoneAction.MISSED, call, started)
        ring = self._take_waiting(event)
        if ring is not None:
            return PhoneOutcome(PhoneAction.MISSED, self._record_missed(ring))
        answered = self._answered_next
        if answered is not None and same_call(event, *_answer_key(answered)):
            self._answered_next = None  # over before the held record was ended: nothing to open
        call = desk.call
        if call is None:
            return PhoneOutcome(PhoneAction.IGNORED)
        tie = self._tie
        number = event_number(event)
        if tie is None:
            other = bool(number) and normalise_number(call.caller_number) not in ("", number)
            return PhoneOutcome(PhoneAction.IGNORED if other else PhoneAction.HUNG_UP, call)
        if (event.call_id and tie.call_id) or (number and tie.number):
            return PhoneOutcome(PhoneAction.IGNORED, call)  # clearly another call
        return PhoneOutcome(PhoneAction.UNMATCHED, call)

    def _start_from_phone(self, ring: _Ring | None, answer: PhoneEvent | None) -> Call:
        """Open the record for a call that rings (`answer` None) or was answered."""
        source = ring.event if ring is not None else answer
        assert source is not None
        call = self._desk.start_call(
            caller_name=source.name,
            caller_number=source.number,
            answered=answer is not None,
            at=ring.at if ring is not None else None,  # a ringing record started when it rang
        )
        call_id = source.call_id or (answer.call_id if answer is not None else "")
        number = normalise_number(source.number)
        if not number and answer is not None:
            number = normalise_number(answer.number)
        self._tie = _Tie(call_id, number, ring, (source.name, source.number))
        return call

    def _set_aside(self, call: Call) -> None:
        """Drop the record of a ringing call the agent wrote nothing in; remember its ring."""
        tie = self._tie
        if tie is not None and tie.ring is not None:
            ring = tie.ring
            if ring.event.call_id or ring.number:
                self._waiting = [*self._waiting, ring][-WAITING_LIMIT:]
        self._desk.set_aside(call)

    def _record_missed(self, ring: _Ring) -> Call:
        """A missed-call entry for a ring the caller gave up."""
        now = self._clock.now()
        event = ring.event
        call = Call(
            id=self._writes.new_call_id(),
            started_at=ring.at,
            ended_at=now,
            caller_name=event.name,
            caller_number=event.number,
            missed=True,
        )
        store = self._writes.store

        call_id = call.id

        def run() -> Call:
            assert store is not None
            return call_records.record_missed_call(
                store, event.name, event.number, rang_at=ring.at, ended_at=now, call_id=call_id
            )

        self._writes.submit_insert(call_id, run)
        return call

    def _fresh_waiting(self) -> list[_Ring]:
        cutoff = self._clock.now() - WAITING_FOR
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
