"""The desk without any UI: calls, notes, phrases and the softphone policy, against a real store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from calldesk.core.calls.caller import lookup_caller
from calldesk.core.calls.desk import Desk, DeskError
from calldesk.core.clock import FakeClock
from calldesk.core.db.store import Store


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Store:
    store = Store.open(tmp_path / "data" / "calldesk.db", clock)
    yield store
    store.close()


@pytest.fixture
def desk(store: Store, clock: FakeClock) -> Desk:
    desk = Desk(store, clock, agent_name="Pat")
    yield desk
    desk.close()


def test_notes_and_the_draft_reach_the_store_in_order(
    desk: Desk, store: Store, clock: FakeClock
) -> None:
    desk.start_call(caller_name="Ann")
    desk.set_draft("typing")
    first = desk.add_note("one")
    clock.advance(10)
    desk.add_note("two\nlines")
    desk.edit_note(first, "one, corrected")
    desk.set_draft("half")
    assert desk.writer.flush()
    call = store.open_call()
    assert [note.text for note in call.notes] == ["one, corrected", "two\nlines"]
    assert call.notes[1].created_at == clock.now()
    assert call.draft == "half"
    assert first.id == call.notes[0].id  # the in-memory entry learned its stored id


def test_a_second_call_cannot_start_while_one_is_open(desk: Desk) -> None:
    desk.start_call()
    with pytest.raises(DeskError, match="already open"):
        desk.start_call()


def test_ending_keeps_an_unfinished_draft_as_the_last_note(desk: Desk, store: Store) -> None:
    call = desk.start_call()
    desk.set_draft("said they'd call back")
    desk.end_call()
    assert desk.writer.flush()
    stored = store.get_call(call.id)
    assert stored.ended_at is not None
    assert [note.text for note in stored.notes] == ["said they'd call back"]


def test_phrase_text_fills_what_the_call_knows_and_leaves_the_rest_visible(desk: Desk) -> None:
    from calldesk.core.library.phrases import Phrase

    phrase = Phrase(
        id="p",
        title="t",
        say="Hi {customer}, {agent} here about {ticket}.",
        category="c",
        tags=(),
        when="",
        instead_of="",
        sets=(),
        source=Path("x.yaml"),
        line=1,
    )
    desk.start_call(caller_name="Ann")
    assert desk.use_phrase(phrase, "insert") == "Hi Ann, Pat here about {ticket}."


def test_the_caller_card_shows_earlier_calls_and_their_open_fixes(
    desk: Desk, store: Store, clock: FakeClock
) -> None:
    earlier = store.start_call("Ann", "sip:+442079460958@pbx;user=phone")
    store.add_note(earlier.id, "printer offline")
    store.end_call(earlier.id)
    store.save_checklist_answer(
        earlier.id, "permanent-fix", {"what": "replace the driver", "where": "", "owner": "Sam"}
    )
    clock.advance(days=1)
    card = lookup_caller(store, "+44 20 7946 0958", clock.now())
    assert card is not None and card.known
    assert [call.id for call in card.previous] == [earlier.id]
    assert [fix.what for fix in card.open_fixes] == ["replace the driver"]
    assert card.lines()[0].startswith("Called once before; last on")
    assert card.lines()[1] == 'First note: "printer offline"'
    assert card.lines()[2] == "Open permanent fix: replace the driver (owner: Sam)"
    assert card.warning == ""
    assert lookup_caller(store, "", clock.now()) is None
    assert not lookup_caller(store, "0161 000 0000", clock.now()).known


def test_the_caller_card_leads_with_an_abusive_last_call_and_keeps_the_whole_fix(
    desk: Desk, store: Store, clock: FakeClock
) -> None:
    from calldesk.core.calls.model import Outcome

    long_fix = (
        "Printer at reception drops off the network every Monday: give it a fixed address "
        "and take it out of the DHCP pool"
    )
    earlier = store.start_call("Ann", "0161 496 0000")
    store.add_note(earlier.id, "swore from the first word, said he knew where we park")
    store.end_call(earlier.id)
    store.set_outcome(earlier.id, Outcome.ABUSIVE, "threatened to wait for me in the car park")
    store.save_checklist_answer(
        earlier.id, "permanent-fix", {"what": long_fix, "where": "IT-9", "owner": "Sam"}
    )
    clock.advance(days=1)
    card = lookup_caller(store, "0161 496 0000", clock.now())
    lines = card.lines()
    assert lines[0] == (
        "⚠ Last call from this number was ABUSIVE: threatened to wait for me in the car park"
    )
    assert lines[2] == 'First note: "swore from the first word, said he knew where we park"'
    assert lines[3] == f"Open permanent fix: {long_fix} (owner: Sam)"


def test_hashtags_in_notes_tag_the_call(desk: Desk, store: Store) -> None:
    from calldesk.core.calls.desk import hashtags

    assert hashtags("#Printer jam, see #1234 and #vpn-drop; again #printer") == [
        "printer",
        "vpn-drop",
    ]
    assert hashtags("mail a#b or ##x") == []
    call = desk.start_call()
    desk.add_note("toner again #printer")
    desk.add_note("#printer #driver")
    assert call.tags == ["printer", "driver"]
    assert desk.writer.flush()
    assert store.get_call(call.id).tags == ["printer", "driver"]


def test_three_calls_tagged_alike_in_a_week_are_called_recurring(
    desk: Desk, store: Store, clock: FakeClock
) -> None:
    from calldesk.core.aftercall.fixes import recurring_problems

    for _ in range(3):
        desk.start_call()
        desk.add_note("paper jam #printer")
        desk.end_call()
        clock.advance(days=2)
    assert desk.writer.flush()
    (problem,) = recurring_problems(
        store.recent_calls_for_recurrence(clock.now() - timedelta(days=7)), clock.now()
    )
    assert problem.kind == "tag" and problem.label == "printer" and len(problem.call_ids) == 3
