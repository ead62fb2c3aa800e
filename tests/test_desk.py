"""The desk without any UI: calls, notes, phrases and the softphone policy, against a real store."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.caller import lookup_caller
from calldesk.core.calls.desk import Desk
from calldesk.core.calls.errors import DeskError
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Database:
    store = Database.open(tmp_path / "data" / "calldesk.db", clock)
    yield store
    store.close()


@pytest.fixture
def desk(store: Database, clock: FakeClock) -> Desk:
    desk = Desk(store, clock, agent_name="Pat")
    yield desk
    desk.close()


def test_notes_and_the_draft_reach_the_store_in_order(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    desk.start_call(caller_name="Ann")
    desk.notes.set_draft("typing")
    first = desk.notes.add("one")
    clock.advance(10)
    desk.notes.add("two\nlines")
    desk.notes.edit(first, "one, corrected")
    desk.notes.set_draft("half")
    assert desk.writes.writer.flush()
    call = call_history.open_call(store)
    assert [note.text for note in call.notes] == ["one, corrected", "two\nlines"]
    assert call.notes[1].created_at == clock.now()
    assert call.draft == "half"
    assert first.id == call.notes[0].id  # the in-memory entry learned its stored id


def test_a_second_call_cannot_start_while_one_is_open(desk: Desk) -> None:
    desk.start_call()
    with pytest.raises(DeskError, match="already open"):
        desk.start_call()


def test_ending_keeps_an_unfinished_draft_as_the_last_note(desk: Desk, store: Database) -> None:
    call = desk.start_call()
    desk.notes.set_draft("said they'd call back")
    desk.end_call()
    assert desk.writes.writer.flush()
    stored = call_history.get_call(store, call.id)
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
    assert desk.phrases.use(phrase, "insert") == "Hi Ann, Pat here about {ticket}."


def test_the_caller_card_shows_earlier_calls_and_their_open_fixes(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    earlier = call_records.start_call(store, "Ann", "sip:+442079460958@pbx;user=phone")
    call_records.add_note(store, earlier.id, "printer offline")
    call_records.end_call(store, earlier.id)
    save_answer(
        store,
        earlier.id,
        "permanent-fix",
        {"what": "replace the driver", "where": "", "owner": "Sam"},
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
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    from calldesk.core.calls.model import Outcome

    long_fix = (
        "Printer at reception drops off the network every Monday: give it a fixed address "
        "and take it out of the DHCP pool"
    )
    earlier = call_records.start_call(store, "Ann", "0161 496 0000")
    call_records.add_note(
        store, earlier.id, "swore from the first word, said he knew where we park"
    )
    call_records.end_call(store, earlier.id)
    call_records.set_outcome(
        store, earlier.id, Outcome.ABUSIVE, "threatened to wait for me in the car park"
    )
    save_answer(
        store, earlier.id, "permanent-fix", {"what": long_fix, "where": "IT-9", "owner": "Sam"}
    )
    clock.advance(days=1)
    card = lookup_caller(store, "0161 496 0000", clock.now())
    lines = card.lines()
    assert lines[0] == (
        "⚠ Last call from this number was ABUSIVE: threatened to wait for me in the car park"
    )
    assert lines[2] == 'First note: "swore from the first word, said he knew where we park"'
    assert lines[3] == f"Open permanent fix: {long_fix} (owner: Sam)"


def test_hashtags_in_notes_tag_the_call(desk: Desk, store: Database) -> None:
    from calldesk.core.calls.notes import hashtags

    assert hashtags("#Printer jam, see #1234 and #vpn-drop; again #printer") == [
        "printer",
        "vpn-drop",
    ]
    assert hashtags("mail a#b or ##x") == []
    call = desk.start_call()
    desk.notes.add("toner again #printer")
    desk.notes.add("#printer #driver")
    assert call.tags == ["printer", "driver"]
    assert desk.writes.writer.flush()
    assert call_history.get_call(store, call.id).tags == ["printer", "driver"]


def test_three_calls_tagged_alike_in_a_week_are_called_recurring(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    from calldesk.core.aftercall.fixes import recurring_problems

    for _ in range(3):
        desk.start_call()
        desk.notes.add("paper jam #printer")
        desk.end_call()
        clock.advance(days=2)
    assert desk.writes.writer.flush()
    (problem,) = recurring_problems(
        aftercall_records.recent_calls_for_recurrence(store, clock.now() - timedelta(days=7)),
        clock.now(),
    )
    assert problem.kind == "tag" and problem.label == "printer" and len(problem.call_ids) == 3


# -- ids ----------------------------------------------------------------------------------------


def test_calls_and_notes_have_their_stored_ids_before_any_write_lands(
    store: Database, clock: FakeClock
) -> None:
    earlier = call_records.start_call(store, "Earlier")
    call_records.add_note(store, earlier.id, "already there")
    desk = Desk(store, clock)
    gate = threading.Event()
    desk.writes.writer.submit(gate.wait)  # the disk is stuck: nothing below lands yet
    call = desk.start_call(caller_name="Ann")
    note = desk.notes.add("printer jams")
    ids = (call.id, note.id, note.call_id)
    assert ids == (earlier.id + 1, 2, earlier.id + 1)
    assert not desk.writes.is_stored(call)
    assert desk.writes.is_stored(call_history.get_call(store, earlier.id))
    gate.set()
    assert desk.writes.writer.flush()
    assert (call.id, note.id, note.call_id) == ids  # the writer changed nothing
    assert desk.writes.is_stored(call)
    stored = call_history.get_call(store, call.id)
    assert (stored.caller_name, [(n.id, n.text) for n in stored.notes]) == (
        "Ann",
        [(note.id, "printer jams")],
    )
    desk.close()


def test_without_a_database_ids_are_local_and_nothing_is_stored(clock: FakeClock) -> None:
    desk = Desk(None, clock)
    call = desk.start_call()
    note = desk.notes.add("kept in memory")
    assert call.id < 0 and note.id < 0 and note.call_id == call.id
    assert not desk.writes.is_stored(call)
    desk.close()


def test_a_read_after_writes_sees_what_the_desk_queued_before_it(
    desk: Desk, store: Database
) -> None:
    import threading

    call = desk.start_call("Ann Lee")
    desk.notes.add("printer offline")
    answered = threading.Event()
    found: list[object] = []

    def done(value: object) -> None:
        found.append(value)
        answered.set()

    # Asked before the writes land: the call's stored id is read on the writer thread.
    desk.writes.read_after_writes(
        lambda: [n.text for n in call_history.get_call(store, call.id).notes], done
    )
    assert answered.wait(5)
    assert found == [["printer offline"]]


def test_a_note_edit_not_kept_is_offered_back_only_for_its_note_in_the_open_call(
    desk: Desk, store: Database, clock: FakeClock
) -> None:
    desk.start_call()
    first = desk.notes.add("printer jams")
    second = desk.notes.add("rebooted")
    desk.notes.set_edit_draft(first, "printer jams on tray 3")
    assert desk.writes.writer.flush()

    def restarted() -> Desk:
        again = Desk(store, clock)
        again.restore()
        again.close()
        return again

    restored = restarted().notes.restored_edit
    assert restored is not None and (restored[0].id, restored[1]) == (
        first.id,
        "printer jams on tray 3",
    )
    desk.notes.set_edit_draft(second, "rebooted")  # the text as it is: nothing to offer
    assert desk.writes.writer.flush()
    assert restarted().notes.restored_edit is None
    desk.notes.set_edit_draft(second, "rebooted twice")
    desk.notes.delete(second)  # its note is gone: nothing to offer
    assert desk.writes.writer.flush()
    assert restarted().notes.restored_edit is None
    desk.notes.set_edit_draft(first, "kept or left")
    desk.notes.clear_edit_draft()  # the dialog closed
    assert desk.writes.writer.flush()
    assert restarted().notes.restored_edit is None
