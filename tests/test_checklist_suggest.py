"""Checklist answers suggested from the call: blame phrases, #fix notes, promises, the rules."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.checklist import (
    DEFAULT_CHECKLIST,
    SuggestRule,
    load_checklist_file,
)
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.aftercall.suggest import CallEvidence, hhmm, suggest_answers
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Call, NoteEntry
from calldesk.core.clock import FakeClock
from calldesk.core.library import records as phrase_records
from calldesk.core.library.phrases import Phrase
from calldesk.core.promises.model import Promise
from calldesk.core.storage import Database

START = datetime(2026, 11, 24, 10, 40, tzinfo=UTC)
BUNDLED = Path(__file__).parent.parent / "phrases" / "checklist.yaml"

PHRASES = {
    "blame-thats-on-us": Phrase(
        "blame-thats-on-us", "That one's on us", "That one's on us.", "Blame", tags=("blame",)
    ),
    "hold-a-moment": Phrase("hold-a-moment", "One moment", "One moment.", "Hold", tags=("hold",)),
    "close-logged": Phrase(
        "close-logged",
        "Logged for a proper fix, too",
        "I've logged it.",
        "Closing",
        tags=("fix-twice", "permanent-fix"),
    ),
}


def call_with(*notes: tuple[int, str], ticket: str = "") -> Call:
    return Call(
        id=7,
        started_at=START,
        ended_at=START + timedelta(minutes=10),
        ticket=ticket,
        notes=[
            NoteEntry(i + 1, 7, START + timedelta(minutes=m), text)
            for i, (m, text) in enumerate(notes)
        ],
    )


def suggested(evidence: CallEvidence, checklist=DEFAULT_CHECKLIST) -> dict[str, tuple[object, str]]:
    return {
        s.item_id: (s.value, s.source) for s in suggest_answers(checklist, evidence, PHRASES.get)
    }


def test_a_blame_phrase_suggests_taking_the_blame_with_its_time() -> None:
    said = START + timedelta(minutes=2)
    found = suggested(
        CallEvidence(call_with(), inserts=[("hold-a-moment", START), ("blame-thats-on-us", said)])
    )
    assert found == {
        "blame": ("It was on us, and I said so.", f"phrase 'That one's on us' at {hhmm(said)}")
    }


def test_nothing_is_suggested_from_a_call_where_nothing_happened() -> None:
    assert (
        suggested(CallEvidence(call_with((1, "printer jam")), inserts=[("hold-a-moment", START)]))
        == {}
    )


def test_a_fix_note_fills_the_fix_fields_and_the_ticket_is_where() -> None:
    call = call_with((1, "printer jam"), (4, "#fix push driver 4.2 to the  fleet"), ticket="INC-42")
    value, source = suggested(CallEvidence(call))["permanent-fix"]
    assert value == {"what": "push driver 4.2 to the fleet", "where": "INC-42", "owner": ""}
    assert (
        source
        == f"note at {hhmm(START + timedelta(minutes=4))}: '#fix push driver 4.2 to the fleet'"
    )


def test_fix_is_a_whole_tag_not_the_start_of_a_word() -> None:
    call = call_with((1, "#fixed it by hand"), (2, "see ticket#fix"))
    assert "permanent-fix" not in suggested(CallEvidence(call))


def test_the_permanent_fix_phrase_suggests_the_note_it_went_into() -> None:
    used = START + timedelta(minutes=3)
    call = call_with((1, "printer jam"), (3, "I've logged it. Driver bug 881"))
    value, source = suggested(CallEvidence(call, inserts=[("close-logged", used)]))["permanent-fix"]
    assert value == {"what": "I've logged it. Driver bug 881", "where": "", "owner": ""}
    assert source.startswith("phrase 'Logged for a proper fix, too'")


def test_the_agents_own_fix_note_wins_over_the_phrase() -> None:
    call = call_with((3, "I've logged it."), (5, "#fix new driver"))
    evidence = CallEvidence(call, inserts=[("close-logged", START + timedelta(minutes=3))])
    assert suggested(evidence)["permanent-fix"][0]["what"] == "new driver"  # type: ignore[index]


def test_a_quick_fix_note_answers_the_quick_fix() -> None:
    call = call_with((2, "cleared the queue #quick-fix"), (3, "#quick-fix restarted spooler"))
    value, source = suggested(CallEvidence(call))["quick-fix"]
    assert value == "cleared the queue; restarted spooler"
    assert source.endswith("and 1 more")


def test_promises_made_are_suggested_with_their_due_time() -> None:
    due = START + timedelta(hours=5)
    promise = Promise(3, "call back about the RMA", due, START + timedelta(minutes=6), call_id=7)
    value, source = suggested(CallEvidence(call_with(), promises=[promise]))["promises-made"]
    assert value == f"call back about the RMA, due {hhmm(due)}"
    assert source == f"promise made at {hhmm(promise.made_at)}"


def test_note_text_is_kept_as_written_in_value_and_source() -> None:
    call = call_with((1, "#fix [bold]x[/] \x1b[31m"))
    value, source = suggested(CallEvidence(call))["permanent-fix"]
    assert value["what"] == "[bold]x[/] \x1b[31m"  # type: ignore[index]
    assert "[bold]x[/]" in source  # the screen shows it literally, escapes and all


def test_a_choice_is_only_suggested_with_one_of_its_options() -> None:
    checklist = DEFAULT_CHECKLIST
    item = checklist.get("blame")
    assert item is not None and item.suggest == SuggestRule(
        phrase_tag="blame", answer="It was on us, and I said so."
    )


def test_the_bundled_checklist_suggests_like_the_defaults() -> None:
    bundled, problems = load_checklist_file(BUNDLED)
    assert problems == [] and bundled is not None
    assert {i.id: i.suggest for i in bundled.items if i.suggest} == {
        "blame": SuggestRule(phrase_tag="blame", answer="It was on us, and I said so."),
        "quick-fix": SuggestRule(note_tag="quick-fix"),
        "permanent-fix": SuggestRule(note_tag="fix", phrase_tag="permanent-fix"),
        "promises-made": SuggestRule(promises=True),
    }


def _errors(tmp_path: Path, item: str) -> list[str]:
    path = tmp_path / "checklist.yaml"
    path.write_text("checklist:\n" + textwrap.indent(textwrap.dedent(item), "  "), encoding="utf-8")
    checklist, problems = load_checklist_file(path)
    assert checklist is None
    return [p.message for p in problems if p.is_error]


def test_a_trainers_suggest_rule_is_checked(tmp_path: Path) -> None:
    choice = """\
        - id: blame
          label: On us?
          kind: choice
          options: [yes, no]
          suggest: {phrase_tag: blame, answer: maybe}
        """
    assert _errors(tmp_path, choice) == ["the suggested answer must be one of the item's options"]
    assert _errors(tmp_path, "- id: a\n  label: A\n  suggest: {}\n") == [
        "'suggest' names no source"
    ]
    assert "unknown key" in _errors(tmp_path, "- id: a\n  label: A\n  suggest: {tag: x}\n")[0]
    assert _errors(tmp_path, "- id: a\n  label: A\n  suggest: blame\n") == [
        "'suggest' must be a mapping"
    ]


def test_phrase_inserts_and_accepted_suggestions_are_stored(tmp_path: Path) -> None:
    clock = FakeClock(START)
    with Database.open(tmp_path / "calls.db", clock) as store:
        call = call_records.start_call(store, "Ann", "020 7946 0000")
        phrase_records.record_phrase_use(store, "blame-thats-on-us", call.id, "insert")
        phrase_records.record_phrase_use(store, "hold-a-moment", call.id, "copy")
        assert phrase_records.phrase_inserts(store, call.id) == [("blame-thats-on-us", START)]
        save_answer(store, call.id, "blame", "It was on us, and I said so.", suggested=True)
        save_answer(store, call.id, "quick-fix", "restarted", suggested=False)
        answers = aftercall_records.checklist_answers(store, call.id)
        assert (answers["blame"].suggested, answers["quick-fix"].suggested) == (True, False)
