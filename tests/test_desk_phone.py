"""The desk's softphone rules: which record each ring, answer and hangup belongs to.

Sequences are written as a phone sends them: `ring 1001` is MicroSIP (a number, no call id),
`ring 1001 #a` carries the call id `a` (baresip, Twinkle), `ring anonymous` is a withheld
caller, `ring -` passes no number at all. Numbers reach the desk as sent: the desk must hold
even when nobody cleaned them up first (an old hook, another program on the socket).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.calls import history as call_history
from calldesk.core.calls.caller import lookup_caller
from calldesk.core.calls.desk import Desk
from calldesk.core.calls.model import Call
from calldesk.core.calls.phone_link import WAITING_FOR, PhoneAction, PhoneOutcome
from calldesk.core.clock import FakeClock
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.storage import Database

STARTED, RINGING, ANSWERED, ENDED, MISSED = (
    PhoneAction.STARTED,
    PhoneAction.RINGING,
    PhoneAction.ANSWERED,
    PhoneAction.ENDED,
    PhoneAction.MISSED,
)
BUSY, OTHER, HUNG_UP, UNMATCHED, IGNORED = (
    PhoneAction.BUSY,
    PhoneAction.OTHER_ANSWERED,
    PhoneAction.HUNG_UP,
    PhoneAction.UNMATCHED,
    PhoneAction.IGNORED,
)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Database]:
    store = Database.open(tmp_path / "data" / "calldesk.db", clock)
    yield store
    store.close()


@pytest.fixture
def desk(store: Database, clock: FakeClock) -> Iterator[Desk]:
    desk = Desk(store, clock)
    yield desk
    desk.close()


def event(text: str) -> PhoneEvent:
    """`ring 1001`, `hangup 2002 #b`, `answer -` (no number), as a phone would send them."""
    kind, number, *rest = text.split()
    call_id = rest[0].removeprefix("#") if rest else ""
    return PhoneEvent.create(kind, number="" if number == "-" else number, call_id=call_id)  # type: ignore[arg-type]


@dataclass
class Played:
    actions: list[PhoneAction]
    outcomes: list[PhoneOutcome]


def play(desk: Desk, clock: FakeClock, events: list[str], start_on: str = "ring") -> Played:
    outcomes = []
    for text in events:
        clock.advance(5)
        outcomes.append(desk.phone.on_event(event(text), start_on))
    return Played([outcome.action for outcome in outcomes], outcomes)


def stored_calls(desk: Desk, store: Database) -> list[Call]:
    assert desk.writes.writer.flush()
    return [
        call_history.get_call(store, summary.id)
        for summary in reversed(call_history.list_calls(store))
    ]


def summary(calls: list[Call]) -> list[tuple[str, str]]:
    """(number, state) for each stored call, oldest first: open, ringing, ended or missed."""

    def state(call: Call) -> str:
        if call.missed:
            return "missed"
        if call.ended_at is not None:
            return "ended"
        return "ringing" if call.answered_at is None else "open"

    return [(call.caller_number, state(call)) for call in calls]


# -- every sequence, and what it leaves ------------------------------------------------------

SEQUENCES = [
    pytest.param(
        "ring",
        ["ring 1001", "ring 2002", "hangup 2002"],
        [STARTED, BUSY, MISSED],
        [("1001", "ringing"), ("2002", "missed")],
        id="microsip-ring-ring-hangup-leaves-the-first-call-open",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "answer 1001", "ring 2002", "hangup 2002", "hangup 1001"],
        [STARTED, ANSWERED, BUSY, MISSED, ENDED],
        [("1001", "ended"), ("2002", "missed")],
        id="microsip-a-call-waiting-caller-gives-up",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "answer 1001", "hangup 1001"],
        [STARTED, ANSWERED, ENDED],
        [("1001", "ended")],
        id="microsip-taken",
    ),
    pytest.param(
        "ring",
        ["ring +44(20)7946.0958", "answer +442079460958", "hangup 0044-20-7946-0958"],
        [STARTED, ANSWERED, ENDED],
        [("+44(20)7946.0958", "ended")],
        id="microsip-numbers-match-however-written",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "hangup 1001"],
        [STARTED, MISSED],
        [("1001", "missed")],
        id="microsip-abandoned-while-ringing",
    ),
    pytest.param(
        "answer",
        ["ring 1001", "hangup 1001"],
        [RINGING, MISSED],
        [("1001", "missed")],
        id="start-on-answer-abandoned-while-ringing",
    ),
    pytest.param(
        "answer",
        ["ring 1001", "answer 1001", "ring 2002", "answer 2002", "hangup 2002", "hangup 1001"],
        [RINGING, STARTED, BUSY, OTHER, IGNORED, ENDED],
        [("1001", "ended")],
        id="start-on-answer-a-second-call-taken-while-one-is-open",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "ring 2002", "answer 2002", "hangup 1001", "hangup 2002"],
        [STARTED, BUSY, STARTED, MISSED, ENDED],
        [("1001", "missed"), ("2002", "ended")],
        id="two-rings-then-answer-of-the-second",
    ),
    pytest.param(
        "answer",
        ["ring 1001", "ring 2002", "answer 2002", "hangup 1001", "hangup 2002"],
        [RINGING, RINGING, STARTED, MISSED, ENDED],
        [("1001", "missed"), ("2002", "ended")],
        id="start-on-answer-two-rings-then-answer-of-the-second",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "ring 2002", "hangup 1001", "answer 2002", "hangup 2002"],
        [STARTED, BUSY, MISSED, ANSWERED, ENDED],
        [("1001", "missed"), ("2002", "ended")],
        id="the-first-gives-up-and-the-second-takes-its-place",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "ring 1001", "answer 1001", "answer 1001", "hangup 1001", "hangup 1001"],
        [STARTED, IGNORED, ANSWERED, ANSWERED, ENDED, IGNORED],
        [("1001", "ended")],
        id="events-sent-twice",
    ),
    pytest.param(
        "ring",
        ["answer 1001", "hangup 1001"],
        [STARTED, ENDED],
        [("1001", "ended")],
        id="auto-answer-sends-no-ring",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "answer 1001", "hangup 2002", "hangup -", "hangup anonymous"],
        [STARTED, ANSWERED, IGNORED, UNMATCHED, UNMATCHED],
        [("1001", "open")],
        id="a-hangup-without-a-matching-number-never-ends-the-call",
    ),
    pytest.param(
        "ring",
        ["ring 1001 #a", "ring 1001 #b", "answer 1001 #a", "hangup 1001 #b", "hangup - #a"],
        [STARTED, BUSY, ANSWERED, MISSED, ENDED],
        [("1001", "ended"), ("1001", "missed")],
        id="call-ids-decide-when-both-sides-have-one",
    ),
    pytest.param(
        "ring",
        ["ring 1001 #a", "answer 1001 #a", "hangup 1001 #zz"],
        [STARTED, ANSWERED, IGNORED],
        [("1001", "open")],
        id="another-call-id-is-another-call-even-from-the-same-number",
    ),
    pytest.param(
        "ring",
        ["ring 1001 #a", "answer 1001", "hangup 1001"],
        [STARTED, ANSWERED, ENDED],
        [("1001", "ended")],
        id="an-id-on-one-side-only-falls-back-to-the-number",
    ),
    pytest.param(
        "ring",
        ["ring anonymous", "answer anonymous", "hangup anonymous"],
        [STARTED, ANSWERED, UNMATCHED],
        [("anonymous", "open")],
        id="withheld-taken-the-agent-ends-it",
    ),
    pytest.param(
        "ring",
        ["ring anonymous", "hangup anonymous"],
        [STARTED, UNMATCHED],
        [("anonymous", "ringing")],
        id="withheld-abandoned-the-agent-ends-it",
    ),
    pytest.param(
        "ring",
        ["ring anonymous", "ring anonymous", "hangup anonymous"],
        [STARTED, BUSY, UNMATCHED],
        [("anonymous", "ringing")],
        id="two-withheld-callers-are-never-taken-for-one",
    ),
    pytest.param(
        "answer",
        ["ring anonymous", "hangup anonymous", "answer -", "hangup -"],
        [RINGING, IGNORED, STARTED, UNMATCHED],
        [("", "open")],
        id="start-on-answer-withheld",
    ),
    pytest.param(
        "ring",
        ["ring 1001", "ring anonymous", "answer anonymous", "hangup 1001"],
        [STARTED, BUSY, STARTED, MISSED],
        [("1001", "missed"), ("anonymous", "open")],
        id="a-withheld-call-answered-while-1001-rings-gets-its-own-record",
    ),
    pytest.param(
        "ring",
        ["hangup 1001", "answer 2002 #x", "hangup - #y"],
        [IGNORED, STARTED, IGNORED],
        [("2002", "open")],
        id="hangups-of-calls-never-seen",
    ),
]


@pytest.mark.parametrize(("start_on", "events", "actions", "calls"), SEQUENCES)
def test_each_event_touches_only_its_own_callers_record(
    desk: Desk,
    store: Database,
    clock: FakeClock,
    start_on: str,
    events: list[str],
    actions: list[PhoneAction],
    calls: list[tuple[str, str]],
) -> None:
    assert play(desk, clock, events, start_on).actions == actions
    assert summary(stored_calls(desk, store)) == calls
    open_calls = [number for number, state in calls if state in ("open", "ringing")]
    assert (desk.call.caller_number if desk.call else None) == (
        open_calls[0] if open_calls else None
    )


def test_microsip_ring_ring_hangup_leaves_the_first_call_as_it_was(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    played = play(desk, clock, ["ring 1001", "answer 1001"])
    desk.notes.add("printer offline")
    first = desk.call
    played = play(desk, clock, ["ring 2002", "hangup 2002"])
    assert played.actions == [BUSY, MISSED]
    assert desk.call is first and first.ended_at is None and first.outcome is None
    assert [note.text for note in first.notes] == ["printer offline"]
    missed = played.outcomes[1].call
    assert (missed.caller_number, missed.missed, missed.outcome) == ("2002", True, None)
    assert desk.last_call is None  # F6 and F10 are not about a missed call


# -- missed calls -----------------------------------------------------------------------------


def test_a_missed_call_keeps_when_it_rang_and_has_no_outcome_and_no_checklist(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    rang = clock.now() + timedelta(seconds=5)
    played = play(desk, clock, ["ring 1001", "hangup 1001"])
    assert played.actions == [STARTED, MISSED]
    [call] = stored_calls(desk, store)
    assert (call.started_at, call.ended_at) == (rang, clock.now())
    assert call.missed and call.answered_at is None and call.outcome is None
    assert aftercall_records.checklist_answers(store, call.id) == {}
    assert call_history.recent_outcomes(store, 5) == []  # the bad-call streak does not see it


def test_a_remembered_ring_that_takes_the_record_keeps_when_it_rang(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    """Found by a tester: a ring remembered at 04:55:58 became the ringing record, then a
    missed call, with `Started: 05:00:53`; `started` is when it rang."""
    play(desk, clock, ["ring 1001"])
    rang = clock.advance(5)
    assert desk.phone.on_event(event("ring 2002")).action is BUSY
    clock.advance(minutes=5)
    played = play(desk, clock, ["hangup 1001", "hangup 2002"])
    assert played.actions == [MISSED, MISSED]
    assert played.outcomes[0].started is not None
    assert played.outcomes[0].started.started_at == rang
    second = stored_calls(desk, store)[1]
    assert (second.caller_number, second.missed, second.started_at) == ("2002", True, rang)


def test_a_ring_that_arrives_late_starts_the_record_when_it_rang(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    """A ring a hook kept, taken a moment late, is dated by the event, not by its arrival."""
    rang = clock.now() - timedelta(seconds=40)
    ring = PhoneEvent.create("ring", number="1001", at=rang)
    assert desk.phone.on_event(ring).action is STARTED
    assert desk.call is not None and desk.call.started_at == rang
    [call] = stored_calls(desk, store)
    assert call.started_at == rang


def test_the_caller_card_says_when_the_last_call_was_missed(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001", "hangup 1001", "ring 1001"])
    assert desk.writes.writer.flush()
    card = lookup_caller(store, "1001", clock.now(), exclude_call_id=desk.call.id)
    assert card is not None and card.lines()[0].startswith("Called once before; last on")
    assert card.lines()[0].endswith("(missed).")


def test_a_ringing_call_the_agent_wrote_in_is_kept_as_a_call(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001"])
    desk.notes.add("caller card: asked for a callback")
    desk.notes.set_draft("half a sentence")
    played = play(desk, clock, ["hangup 1001"])
    assert played.actions == [ENDED]
    [call] = stored_calls(desk, store)
    assert not call.missed and call.answered_at is None
    assert [note.text for note in call.notes] == [
        "caller card: asked for a callback",
        "half a sentence",
    ]


@pytest.mark.parametrize(
    "write",
    [
        lambda desk: desk.notes.set_draft("x"),
        lambda desk: desk.update_caller(ticket="T-1"),
        lambda desk: desk.update_caller(caller_name="Ann"),
        lambda desk: desk.update_caller(caller_number="1002"),
    ],
    ids=["draft", "ticket", "caller-name", "caller-number"],
)
def test_anything_the_agent_typed_makes_a_ringing_record_a_call(
    desk: Desk, store: Database, clock: FakeClock, write: object
) -> None:
    play(desk, clock, ["ring 1001"])
    write(desk)  # type: ignore[operator]
    assert play(desk, clock, ["hangup 1001"]).actions == [ENDED]
    assert not stored_calls(desk, store)[0].missed


def test_ending_an_untouched_ringing_record_by_hand_makes_it_a_missed_call(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring anonymous", "hangup anonymous"])
    call = desk.end_call()  # F8, after the notice that the phone hung up
    assert call.missed
    assert summary(stored_calls(desk, store)) == [("anonymous", "missed")]


def test_a_call_opened_by_hand_is_never_missed(desk: Desk, store: Database) -> None:
    desk.start_call()
    assert not desk.end_call().missed


def test_a_ringing_record_the_agent_wrote_in_stays_when_another_call_is_answered(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001", "ring 2002"])
    desk.notes.add("about to call back")
    played = play(desk, clock, ["answer 2002", "hangup 2002"])
    assert played.actions == [OTHER, IGNORED]
    assert desk.call is not None and desk.call.caller_number == "1001"


def test_the_next_ringing_call_takes_the_place_of_one_given_up(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    played = play(desk, clock, ["ring 1001", "ring 2002", "hangup 1001"])
    started = played.outcomes[-1].started
    assert started is desk.call and started.caller_number == "2002"
    assert desk.is_ringing(started)


def test_a_ring_remembered_for_too_long_is_forgotten(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001", "answer 1001", "ring 2002"])
    clock.advance(WAITING_FOR.total_seconds() + 1)
    assert play(desk, clock, ["hangup 2002"]).actions == [IGNORED]


def test_rings_remembered_are_capped(desk: Desk, store: Database, clock: FakeClock) -> None:
    play(desk, clock, ["ring 1", "answer 1"])
    play(desk, clock, [f"ring {2000 + n}" for n in range(100)])
    assert play(desk, clock, ["hangup 2000"]).actions == [IGNORED]
    assert play(desk, clock, ["hangup 2099"]).actions == [MISSED]


# -- calls the agent opened by hand --------------------------------------------------------


def test_the_phone_never_ends_a_call_the_agent_opened_by_hand(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    desk.start_call()
    assert play(desk, clock, ["hangup 1001", "hangup - #c9"]).actions == [HUNG_UP, HUNG_UP]
    desk.update_caller(caller_number="1001")
    assert play(desk, clock, ["hangup 2002", "hangup 1001"]).actions == [IGNORED, HUNG_UP]
    assert desk.call is not None and desk.call.ended_at is None


def test_a_ring_while_a_hand_opened_call_is_open_is_shown_and_may_be_missed(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    desk.start_call()
    assert play(desk, clock, ["ring 1001", "hangup 1001"]).actions == [BUSY, MISSED]


def test_a_restored_ringing_record_ends_as_missed_if_untouched(
    store: Database, clock: FakeClock
) -> None:
    first = Desk(store, clock)
    first.phone.on_event(event("ring 1001"))
    first.close()
    desk = Desk(store, clock)
    call = desk.restore()
    assert call is not None and desk.is_ringing(call)
    assert desk.end_call().missed
    desk.close()


def test_the_phone_still_finds_a_ringing_record_restored_after_a_restart(
    store: Database, clock: FakeClock
) -> None:
    first = Desk(store, clock)
    first.phone.on_event(event("ring 1001 #a"))
    first.close()
    desk = Desk(store, clock)
    desk.restore()
    assert play(desk, clock, ["hangup 2002 #b", "answer 1001 #a", "hangup 1001 #a"]).actions == [
        IGNORED,
        ANSWERED,
        ENDED,
    ]
    desk.close()


# -- withheld callers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    [
        "anonymous",
        "Anonymous",
        "ANONYMOUS",
        "unknown",
        "private",
        "Restricted",
        "unavailable",
        "withheld",
        "",
        "+",
        "sip:anonymous@anonymous.invalid",
        "Anonymous <sip:anonymous@anonymous.invalid>",
        "sip:unknown@pbx.example",
        "sip:someone@anonymous.invalid",
        "Private Number",
    ],
)
def test_withheld_callers_never_share_a_caller_card(
    desk: Desk, store: Database, clock: FakeClock, number: str
) -> None:
    first = desk.start_call(caller_number=number)
    desk.notes.add("Mr Smith's router, account 991")
    desk.end_call()
    assert desk.writes.writer.flush()
    assert call_history.calls_by_number(store, number) == []
    assert lookup_caller(store, number, clock.now()) is None
    desk.start_call(caller_number=number)
    assert desk.writes.writer.flush()
    assert lookup_caller(store, number, clock.now(), exclude_call_id=desk.call.id) is None
    assert first.id > 0


def test_a_hangup_while_the_agent_is_busy_leaves_the_record_open(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001 #a", "answer 1001 #a"])
    call = desk.call
    held = desk.phone.on_event(event("hangup 1001 #a"), agent_busy=True)
    assert (held.action, desk.call) == (PhoneAction.HELD, call)
    assert desk.phone.on_event(event("hangup 1001 #a")).action is PhoneAction.ENDED


def test_a_call_that_only_rang_is_missed_even_while_the_agent_is_busy(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001 #a"])
    missed = desk.phone.on_event(event("hangup 1001 #a"), agent_busy=True)
    assert missed.action is PhoneAction.MISSED and desk.call is None


def test_a_call_answered_while_a_held_record_is_open_opens_when_it_ends(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001 #a", "answer 1001 #a"])
    assert desk.phone.on_event(event("hangup 1001 #a"), agent_busy=True).action is PhoneAction.HELD
    assert play(desk, clock, ["ring 2002 #b", "answer 2002 #b"]).actions == [
        PhoneAction.BUSY,
        PhoneAction.OTHER_ANSWERED,
    ]
    assert desk.phone.answered_waiting
    desk.end_call()
    second = desk.phone.open_answered()
    assert second is not None and desk.call is second and second.caller_number == "2002"
    assert second.answered_at is not None
    assert desk.phone.on_event(event("hangup 2002 #b")).action is PhoneAction.ENDED


def test_a_call_answered_and_over_while_a_held_record_is_open_opens_nothing(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001", "answer 1001"])
    desk.phone.on_event(event("hangup 1001"), agent_busy=True)
    play(desk, clock, ["ring 2002", "answer 2002", "hangup 2002"])
    assert not desk.phone.answered_waiting
    desk.end_call()
    assert desk.phone.open_answered() is None and desk.call is None


def test_a_held_record_ends_when_the_phone_hung_up_not_when_the_agent_ends_it(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    play(desk, clock, ["ring 1001 #a", "answer 1001 #a"])
    clock.advance(60)
    hung_up = clock.now()
    assert desk.phone.on_event(event("hangup 1001 #a"), agent_busy=True).action is PhoneAction.HELD
    clock.advance(90)  # the agent finishes the note, then ends the record (F8)
    desk.phone.on_event(event("hangup 1001 #a"), agent_busy=True)  # a second hook: same hangup
    clock.advance(30)
    call = desk.end_call()
    assert call.ended_at == hung_up
    assert stored_calls(desk, store)[-1].ended_at == hung_up
    # The next record the agent ends is ended when they end it.
    desk.start_call()
    clock.advance(45)
    assert desk.end_call().ended_at == clock.now()
