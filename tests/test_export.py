"""Markdown export: front matter round-trips; user text stays text under a CommonMark parser."""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.checklist import Checklist, ChecklistItem, ItemKind
from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.aftercall.records import FixStatus, PermanentFix
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Call, NoteEntry, Outcome
from calldesk.core.clock import FakeClock
from calldesk.core.export.callrecord import (
    CallRecord,
    build_record,
    load_record,
    load_records,
    redact_record,
)
from calldesk.core.export.escape import escape_inline
from calldesk.core.export.files import (
    ExportExists,
    default_export_dir,
    export_call_to_dir,
    export_filename,
    slug,
)
from calldesk.core.export.markdown import front_matter, render_call, render_many
from calldesk.core.library import records as phrase_records
from calldesk.core.textsafe import has_hidden, visible

START = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MD = MarkdownIt("commonmark")

# Everything that would change a Markdown document's structure if it were not escaped.
HOSTILE = [
    "# not a heading",
    "## nor this #",
    "---",
    "***",
    "___",
    "- - -",
    "===",
    "a line\n===",
    "a line\n---",
    "- [ ] not a task",
    "- [x] done?",
    "* star item",
    "+ plus item",
    "1. first",
    "2) second",
    "123456789. long",
    "> quoted",
    ">> nested",
    "`code`",
    "```\nfenced\n```",
    "~~~python\nfenced\n~~~",
    "    indented code",
    "\tindented with a tab",
    "<script>alert(1)</script>",
    "<div>\nblock html\n</div>",
    "<!-- comment -->",
    "<https://example.com>",
    "&amp; &lt; &#65; &#x41; &copy;",
    "[link](https://example.com)",
    "![img](https://example.com/x.png)",
    "[ref]: https://example.com",
    "[ref]",
    "_emphasis_ and *strong* and __bold__",
    "snake_case_name and 2*3*4",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "trailing double spaces  \nnext line",
    "trailing backslash\\\nnext line",
    "ends in a backslash\\",
    "  two leading spaces",
    "   three",
    " ",
    "   ",
    "",
    "\n",
    "\n\nleading blank lines",
    "trailing blank lines\n\n",
    "blank\n\nin the middle",
    "blank with spaces\n   \nin the middle",
    "[bold]rich markup[/bold] [red]x[/]",
    "\\[escaped\\] \\* \\\\",
    "~~strike~~",
    "a\u00a0nbsp\u00a0",
    "\u00a0leading nbsp",
    "emoji 🎧 and ünïcödé",
    "line\u2028separator",
    "{curly} $dollar$ ^caret^ %percent% @at",
    "1.5 litres\n10) ten",
    "-",
    "+",
    "=",
    "#",
    "#hashtag",
]
# Text that must not reach a terminal raw; it is exported as visible escapes.
CONTROL = [
    "\x1b[31mred\x1b[0m",
    "bell\x07",
    "null\x00char",
    "cr\rreturn",
    "del\x7f and c1\x9b",
]
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Answer:
    value: object
    skipped: bool = False


CHECKLIST = Checklist(
    (
        ChecklistItem("took-blame", "I took the blame", ItemKind.CHECK),
        ChecklistItem("quick-fix", "The quick fix I gave", ItemKind.TEXT),
        ChecklistItem("channel", "How they reached us", ItemKind.CHOICE, options=("phone", "chat")),
        ChecklistItem("permanent-fix", "The permanent fix", ItemKind.FIX),
        ChecklistItem("kind", "Worded kindly", ItemKind.CHECK),
    )
)


def make_call(notes: list[str], call_id: int = 7, **fields: object) -> Call:
    call = Call(
        id=call_id,
        started_at=START,
        ended_at=START + timedelta(minutes=4, seconds=7),
        caller_name="Ann Smith",
        caller_number="+44 20 7946 0958",
        ticket="T-1234",
        outcome=Outcome.BAD,
        outcome_reason="shouted",
        tags=["printer"],
    )
    for name, value in fields.items():
        setattr(call, name, value)
    call.notes = [
        NoteEntry(index + 1, call.id, START + timedelta(seconds=10 * index), text)
        for index, text in enumerate(notes)
    ]
    return call


def split_front_matter(document: str) -> tuple[dict[str, object], str]:
    assert document.startswith("---\n")
    end = document.index("\n---\n", 3)
    data = yaml.safe_load(document[4 : end + 1])
    assert isinstance(data, dict)
    return data, document[end + 5 :]


def inline_text(children: list[Token]) -> str:
    """The text a renderer shows for inline tokens, failing on anything but plain text."""
    parts: list[str] = []
    for token in children:
        if token.type == "text":
            parts.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        else:
            raise AssertionError(f"user text produced a {token.type} token: {children}")
    return "".join(parts)


def section(tokens: list[Token], title: str) -> list[Token]:
    """The tokens between the `## title` heading and the next heading."""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and tokens[index + 1].content == title:
            start = index + 3
            break
    else:
        raise AssertionError(f"no section {title!r}")
    end = next(
        (i for i in range(start, len(tokens)) if tokens[i].type == "heading_open"), len(tokens)
    )
    return tokens[start:end]


def list_items(tokens: list[Token], level: int = 1) -> Iterator[list[Token]]:
    """The inline tokens of each list item at nesting `level` (1 = top)."""
    depth = 0
    for token in tokens:
        if token.type == "list_item_open":
            depth += 1
        elif token.type == "list_item_close":
            depth -= 1
        elif token.type == "inline" and depth == level:
            yield token.children or []


def note_texts(body: str) -> list[str]:
    texts = []
    for children in list_items(section(MD.parse(body), "Notes")):
        assert [t.type for t in children[:4]] == ["text", "strong_open", "text", "strong_close"]
        assert re.fullmatch(r"\d\d:\d\d:\d\d", children[2].content)
        text = inline_text(children[4:])
        assert text == "" or text.startswith(" ")
        texts.append(text[1:])
    return texts


FORBIDDEN = {
    "html_block",
    "html_inline",
    "link_open",
    "image",
    "code_inline",
    "code_block",
    "fence",
    "hr",
    "blockquote_open",
    "ordered_list_open",
    "table_open",
}


def assert_structure(body: str, calls: int = 1) -> list[Token]:
    tokens = MD.parse(body)
    every = [*tokens, *(child for t in tokens for child in (t.children or []))]
    assert not [t.type for t in every if t.type in FORBIDDEN]
    headings = [
        (t.tag, tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"
    ]
    assert [tag for tag, _ in headings if tag == "h1"] == ["h1"] * calls
    assert [title for tag, title in headings if tag == "h2"] == [
        "Notes",
        "Checklist",
        "Permanent fix",
        "Cooldown",
    ] * calls
    return tokens


# -- front matter ---------------------------------------------------------------------------


def test_front_matter_holds_the_call_fields() -> None:
    call = make_call(["hello"], tags=["printer", "vpn"])
    record = build_record(call, phrases_used=["own-it", "buy-time"])
    data, _ = split_front_matter(render_call(record))
    assert data == {
        "id": 7,
        "started": "2026-11-24T09:00:00+00:00",
        "ended": "2026-11-24T09:04:07+00:00",
        "duration": 247,
        "caller": "Ann Smith",
        "number": "+44 20 7946 0958",
        "ticket": "T-1234",
        "outcome": "bad",
        "outcome_reason": "shouted",
        "missed": False,
        "tags": ["printer", "vpn"],
        "phrases_used": ["own-it", "buy-time"],
    }
    assert data == front_matter(record)


def test_open_call_has_no_end_or_duration() -> None:
    call = make_call([], ended_at=None, outcome=None, outcome_reason="")
    document = render_call(build_record(call))
    data, body = split_front_matter(document)
    assert (data["ended"], data["duration"], data["outcome"]) == (None, None, None)
    assert "- **Ended:** still open" in body
    assert "- **Outcome:** not recorded" in body
    assert "No notes." in body


def test_a_missed_call_says_so() -> None:
    call = make_call([], outcome=None, outcome_reason="", missed=True)
    data, body = split_front_matter(render_call(build_record(call)))
    assert (data["missed"], data["outcome"]) == (True, None)
    assert "- **Outcome:** missed: the caller hung up while it rang" in body


HOSTILE_NAMES = ["--- \n: [x]", "---", "...", "a\n---\nb", "# x", "[bold]", "'\"", "null", "007"]


@pytest.mark.parametrize("name", HOSTILE_NAMES + CONTROL)
def test_front_matter_round_trips_hostile_fields(name: str) -> None:
    call = make_call([], caller_name=name, ticket=name, outcome_reason=name, tags=[name])
    data, body = split_front_matter(render_call(build_record(call)))
    assert (data["caller"], data["ticket"], data["outcome_reason"], data["tags"]) == (
        name,
        name,
        name,
        [name],
    )
    assert_structure(body)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    caller=st.text(),
    number=st.text(),
    ticket=st.text(),
    reason=st.text(),
    tags=st.lists(st.text(), max_size=3),
)
def test_front_matter_round_trips_any_text(
    caller: str, number: str, ticket: str, reason: str, tags: list[str]
) -> None:
    call = make_call(
        [],
        caller_name=caller,
        caller_number=number,
        ticket=ticket,
        outcome_reason=reason,
        tags=tags,
    )
    document = render_call(build_record(call))
    data, _ = split_front_matter(document)
    assert (data["caller"], data["number"], data["ticket"], data["outcome_reason"]) == (
        caller,
        number,
        ticket,
        reason,
    )
    assert data["tags"] == tags
    assert not RAW_CONTROL.search(document)
    assert not has_hidden(document)


def test_times_are_local_with_their_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        call = make_call(["x"])
        document = render_call(build_record(call))
        data, body = split_front_matter(document)
        assert data["started"] == "2026-11-24T04:00:00-05:00"
        assert "# Call with Ann Smith — 2026-11-24 04:00" in body
        assert "- **04:00:00** x" in body
        assert export_filename(call) == "2026-11-24_0400_ann-smith_7.md"
    finally:
        monkeypatch.setenv("TZ", "UTC")
        time.tzset()


# -- user text stays text -------------------------------------------------------------------


def test_hostile_notes_come_back_exactly() -> None:
    notes = HOSTILE + CONTROL
    _, body = split_front_matter(render_call(build_record(make_call(notes))))
    assert_structure(body)
    expected = [visible(note.replace("\r\n", "\n")) for note in notes]
    assert note_texts(body) == expected


def test_a_bidi_override_or_line_separator_in_the_caller_is_escaped_everywhere() -> None:
    name = "Pat \u202egpj.exe\u2028Smith\u2066"
    call = make_call([name], caller_name=name, caller_number="1001\u202e", ticket=name)
    document = render_call(build_record(call))
    assert not any(char in document for char in "\u202e\u2028\u2066")
    data, body = split_front_matter(document)
    assert (data["caller"], data["number"], data["ticket"]) == (name, "1001\u202e", name)
    tokens = assert_structure(body)
    first_h2 = next(i for i, t in enumerate(tokens) if t.tag == "h2")
    metadata = {
        children[2].content: inline_text(children[4:])[1:]
        for children in list_items(tokens[:first_h2])
    }
    assert metadata["Caller:"] == "Pat \\u202egpj.exe\\u2028Smith\\u2066"
    assert metadata["Number:"] == "1001\\u202e"
    assert note_texts(body) == [visible(name)]


def test_control_characters_never_reach_the_output() -> None:
    nasty = "\x1b[2J\x1b]0;pwned\x07"
    call = make_call([nasty], caller_name=nasty, ticket=nasty, outcome_reason=nasty, tags=[nasty])
    answers = {"quick-fix": Answer(nasty), "permanent-fix": Answer({"what": nasty})}
    document = render_call(build_record(call, answers=answers, checklist=CHECKLIST))
    assert not RAW_CONTROL.search(document)
    assert "\\x1b\\[2J" in document  # shown, escaped for Markdown, as readable text


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.text(st.characters(codec="utf-8").filter(lambda c: c.isprintable() or c == "\n")),
        min_size=1,
        max_size=4,
    )
)
@pytest.mark.slow
def test_any_printable_note_comes_back_exactly(notes: list[str]) -> None:
    _, body = split_front_matter(render_call(build_record(make_call(notes))))
    assert_structure(body)
    assert note_texts(body) == notes


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(st.characters(codec="utf-8").filter(lambda c: c.isprintable() or c == "\n")))
def test_any_printable_caller_stays_in_its_heading(name: str) -> None:
    call = make_call([], caller_name=name)
    _, body = split_front_matter(render_call(build_record(call)))
    tokens = assert_structure(body)
    heading = inline_text(tokens[1].children or [])
    shown = " ".join(name.split("\n")) if name else "+44 20 7946 0958"
    assert heading == f"Call with {shown} — 2026-11-24 09:00"


@pytest.mark.parametrize("text", [*HOSTILE, "ticket | with pipe", "reason\nover two lines"])
def test_metadata_and_checklist_answers_stay_text(text: str) -> None:
    # Blank answers count as unanswered and are not shown, so those get a stand-in.
    answer = text if text.strip() else "x"
    call = make_call([], caller_name=answer, ticket=answer, outcome_reason=text)
    answers = {
        "took-blame": Answer(True),
        "quick-fix": Answer(answer),
        "channel": Answer("phone"),
        "permanent-fix": Answer({"what": answer, "where": text, "owner": text}),
    }
    fix = PermanentFix(1, 7, START, "Ann", answer, text, text, FixStatus.OPEN, START)
    record = build_record(call, answers=answers, checklist=CHECKLIST, fixes=[fix])
    _, body = split_front_matter(render_call(record))
    tokens = assert_structure(body)
    # Shown as typed; hidden characters (the line separator) as visible escapes.
    shown, shown_text = visible(answer), visible(text)

    first_h2 = next(i for i, t in enumerate(tokens) if t.tag == "h2")
    metadata = {}
    for children in list_items(tokens[:first_h2]):
        assert [t.type for t in children[:4]] == ["text", "strong_open", "text", "strong_close"]
        metadata[children[2].content] = inline_text(children[4:])[1:]
    assert metadata["Caller:"] == shown
    assert metadata["Ticket:"] == shown
    assert metadata["Outcome:"] == ("bad — " + shown_text if text else "bad")

    checklist = section(tokens, "Checklist")
    labels = [inline_text(children) for children in list_items(checklist)]
    assert labels == [
        "[x] I took the blame",
        "[x] The quick fix I gave",
        "[x] How they reached us",
        "[x] The permanent fix",
        "[ ] Worded kindly",
    ]
    nested = [inline_text(children) for children in list_items(checklist, level=2)]
    assert nested == [shown, "phone", shown]

    fields = {}
    for children in list_items(section(tokens, "Permanent fix")):
        fields[children[2].content] = children[4:]
    assert inline_text(fields["What:"])[1:] == shown
    if text:
        assert inline_text(fields["Where:"])[1:] == shown_text
        assert inline_text(fields["Owner:"])[1:] == shown_text


def test_escape_inline_uses_backslashes_and_entities_only_where_needed() -> None:
    assert escape_inline("plain words, 3 of them.") == "plain words, 3 of them."
    assert escape_inline("# a_b *c* <d> & [e]") == "\\# a\\_b \\*c\\* \\<d\\> \\& \\[e\\]"
    assert escape_inline("1. x") == "1\\. x"
    assert escape_inline("1. x\n2. y", line_start=False) == "1. x\\\n2\\. y"
    assert escape_inline("  x  ") == "&#32; x &#32;"
    assert escape_inline("a\nb", "  ") == "a\\\n  b"
    assert escape_inline("a\n") == "a&#10;"


# -- sections -------------------------------------------------------------------------------


def test_checklist_labels_answers_skips_and_removed_items() -> None:
    answers = {
        "took-blame": Answer(True),
        "quick-fix": Answer("Power-cycled the router"),
        "kind": Answer(False, skipped=True),
        "retired-item": Answer("still here"),
    }
    record = build_record(make_call([]), answers=answers, checklist=CHECKLIST)
    _, body = split_front_matter(render_call(record))
    section_text = body.split("## Checklist\n\n", 1)[1].split("\n\n## ", 1)[0]
    assert section_text.splitlines() == [
        "- [x] I took the blame",
        "- [x] The quick fix I gave",
        "  - Power-cycled the router",
        "- [ ] How they reached us",
        "- [ ] The permanent fix",
        "- [ ] Worded kindly *(skipped)*",
        "- [x] retired-item *(no longer in the checklist)*",
        "  - still here",
    ]


def test_checklist_never_filled_in() -> None:
    _, body = split_front_matter(render_call(build_record(make_call([]), checklist=CHECKLIST)))
    assert "## Checklist\n\nNot filled in.\n" in body


def test_permanent_fix_from_the_store_or_from_the_answer() -> None:
    fix = PermanentFix(
        3, 7, START, "Ann", "Replace the print server", "OPS-12", "", FixStatus.DONE, START
    )
    _, body = split_front_matter(render_call(build_record(make_call([]), fixes=[fix])))
    assert (
        "## Permanent fix\n\n- **What:** Replace the print server\n- **Where:** OPS-12\n"
        "- **Owner:** *not given*\n- **Status:** done\n"
    ) in body

    answers = {"permanent-fix": Answer({"what": "Patch it", "where": "", "owner": "Sam"})}
    record = build_record(make_call([]), answers=answers, checklist=CHECKLIST)
    _, body = split_front_matter(render_call(record))
    assert "- **What:** Patch it\n- **Where:** *not given*\n- **Owner:** Sam\n" in body
    assert "- **Status:** not filed" in body


def test_cooldown_lines() -> None:
    taken = CooldownState(
        1,
        7,
        300,
        Phase.DONE,
        START,
        started_at=START,
        ended_at=START + timedelta(seconds=252),
        snoozes_used=1,
    )
    skipped = CooldownState(2, 7, 900, Phase.SKIPPED, START, ended_at=START, long_break=True)
    offered = CooldownState(3, 7, 300, Phase.OFFERED, START)
    record = build_record(make_call([]), cooldowns=[taken, skipped, offered])
    _, body = split_front_matter(render_call(record))
    assert body.rstrip().endswith(
        "## Cooldown\n\n"
        "- Taken: rested 4:12 of a 5:00 break, snoozed once\n"
        "- Skipped: a 15:00 long break was offered\n"
        "- Offered, not taken yet: a 5:00 break"
    )
    _, none = split_front_matter(render_call(build_record(make_call([]))))
    assert none.rstrip().endswith("## Cooldown\n\nNo break offered.")


def test_draft_is_exported_after_the_notes() -> None:
    call = make_call(["entered"], draft="still typing *this*", ended_at=None)
    _, body = split_front_matter(render_call(build_record(call)))
    assert "- **09:00:00** entered\n- *(draft, not entered)* still typing \\*this\\*\n" in body


# -- many calls -----------------------------------------------------------------------------


def test_render_many_has_one_front_matter_and_a_section_per_call() -> None:
    records = [
        build_record(make_call(["first # note"], call_id=1, caller_name="Ann")),
        build_record(make_call(["---\nsecond\n---"], call_id=2, caller_name="Bob")),
        build_record(make_call([], call_id=3, caller_name="", caller_number="")),
    ]
    exported = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    document = render_many(records, exported_at=exported, filters={"since": "2026-11-24"})
    data, body = split_front_matter(document)
    assert data == {
        "exported_at": "2026-11-25T08:00:00+00:00",
        "count": 3,
        "filters": {"since": "2026-11-24"},
    }
    assert "\n---\n" not in body  # the only front matter is the document's
    tokens = assert_structure(body, calls=3)
    titles = [
        tokens[i + 1].content for i, t in enumerate(tokens) if t.tag == "h1" and t.nesting == 1
    ]
    assert titles == [
        "Call with Ann — 2026-11-24 09:00",
        "Call with Bob — 2026-11-24 09:00",
        "Call with unknown caller — 2026-11-24 09:00",
    ]
    assert "- **Call:** 2\n" in body
    # Only a line that starts a line in the document needs its `---` escaped.
    assert "- **09:00:00** ---\\\n  second\\\n  \\---\n" in body


def test_render_many_of_nothing() -> None:
    data, body = split_front_matter(render_many([], filters={"all": True}))
    assert data["count"] == 0
    assert body == ""


# -- redaction ------------------------------------------------------------------------------

SECRETS = ["ann@example.com", "+44 20 7946 0958", "4111 1111 1111 1111"]


@pytest.mark.parametrize(
    ("number", "secret"),
    [
        ("1001", "1001"),
        ("sip:1001@pbx.example", "1001"),
        ("030/12345678", "12345678"),
        ("sip:alice@pbx.example", "alice"),
        ("+44 20 7946 0958", "7946"),
        ("0049\u00a030\u00a012345678", "12345678"),
    ],
)
@pytest.mark.parametrize("named", ["", "as the number", "Pat"])
def test_the_number_field_is_masked_whole_wherever_it_appears(
    number: str, secret: str, named: str
) -> None:
    name = number if named == "as the number" else named
    typed = number.replace("sip:", "").split("@")[0] if "alice" not in number else number
    call = make_call(
        [f"rang back on {typed} twice", "fixed"], caller_name=name, caller_number=number
    )
    fix = PermanentFix(1, 7, START, name or number, "swap", "", "", FixStatus.OPEN, START)
    record = build_record(call, fixes=[fix])
    for document in (render_call(record, redact=True), render_many([record], redact=True)):
        assert secret not in document
    document = render_call(record, redact=True)
    data, body = split_front_matter(document)
    assert data["number"] == "[phone]"
    assert data["caller"] == ("Pat" if named == "Pat" else "" if not named else "[phone]")
    who = "Pat" if named == "Pat" else "\\[phone\\]"
    assert body.lstrip("\n").startswith(f"# Call with {who} — 2026-11-24 09:00\n")
    assert "- **Number:** \\[phone\\]" in body
    filename = export_filename(call, redact=True)
    assert secret not in filename
    assert filename == f"2026-11-24_0900_{'pat' if named == 'Pat' else 'phone'}_7.md"


def test_redaction_reaches_every_user_field() -> None:
    secret = " / ".join(SECRETS)
    call = make_call(
        [f"note {secret}"],
        caller_name=f"Ann {SECRETS[0]}",
        caller_number=SECRETS[1],
        ticket=secret,
        outcome_reason=secret,
        tags=[secret],
        draft=f"draft {secret}",
    )
    answers = {
        "quick-fix": Answer(secret),
        "permanent-fix": Answer({"what": secret, "where": secret, "owner": secret}),
    }
    fix = PermanentFix(1, 7, START, secret, secret, secret, secret, FixStatus.OPEN, START)
    record = build_record(call, answers=answers, checklist=CHECKLIST, fixes=[fix])
    plain = render_call(record)
    assert all(s in plain for s in SECRETS[:2])
    for document in (render_call(record, redact=True), render_many([record], redact=True)):
        for s in (*SECRETS, "4111", "7946"):
            assert s not in document
        assert "\\[email\\] / \\[phone\\] / \\[card\\]" in document

    data, _ = split_front_matter(render_call(record, redact=True))
    assert data["caller"] == "Ann [email]"
    assert data["number"] == "[phone]"
    assert data["ticket"] == data["outcome_reason"] == "[email] / [phone] / [card]"
    assert data["tags"] == ["[email] / [phone] / [card]"]
    assert data["redacted"] is True
    assert redact_record(record).call.notes[0].text == "note [email] / [phone] / [card]"
    assert record.call.notes[0].text == f"note {secret}"  # the original is untouched


# -- files ----------------------------------------------------------------------------------


def test_file_names() -> None:
    assert export_filename(make_call([], caller_name="Zoë O'Brien", call_id=42)) == (
        "2026-11-24_0900_zoe-o-brien_42.md"
    )
    nameless = make_call([], caller_name="", call_id=5)
    assert export_filename(nameless) == "2026-11-24_0900_44-20-7946-0958_5.md"
    assert export_filename(nameless, redact=True) == "2026-11-24_0900_phone_5.md"
    assert export_filename(make_call([], caller_name="", caller_number="", call_id=6)) == (
        "2026-11-24_0900_unknown-caller_6.md"
    )
    assert slug("李雷") == "caller"
    assert slug("../../etc/passwd") == "etc-passwd"
    assert len(slug("x" * 200)) == 40


def test_export_call_to_dir_is_private_and_never_overwrites(tmp_path: Path) -> None:
    record = build_record(make_call(["hello"]))
    directory = tmp_path / "exports" / "nested"
    path = export_call_to_dir(record, directory)
    assert path == directory / "2026-11-24_0900_ann-smith_7.md"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert path.read_text(encoding="utf-8") == render_call(record)

    path.write_text("mine", encoding="utf-8")
    with pytest.raises(ExportExists, match="use --force"):
        export_call_to_dir(record, directory)
    assert path.read_text(encoding="utf-8") == "mine"
    assert export_call_to_dir(record, directory, force=True) == path
    assert path.read_text(encoding="utf-8") == render_call(record)


def test_default_export_dir_is_in_the_documents_folder(private_dirs: Path) -> None:
    assert default_export_dir() == private_dirs / "Documents" / "calldesk"


# -- from the store -------------------------------------------------------------------------


def test_records_from_the_store(tmp_path: Path) -> None:
    from calldesk.core.storage import Database, NotFound

    clock = FakeClock(START)
    store = Database.open(tmp_path / "calldesk.db", clock)
    try:
        first = call_records.start_call(store, "Ann", "+44 20 7946 0958", "T-1")
        call_records.add_note(store, first.id, "hello", at=START + timedelta(seconds=5))
        phrase_records.record_phrase_use(store, "own-it", first.id, "insert")
        call_records.end_call(store, first.id, at=START + timedelta(minutes=3))
        call_records.set_outcome(store, first.id, Outcome.BAD, "rude")
        save_answer(store, first.id, "took-blame", True)
        save_answer(
            store, first.id, "permanent-fix", {"what": "Fix DNS", "where": "OPS-1", "owner": "Sam"}
        )
        clock.advance(minutes=4)
        state = CooldownState(None, first.id, 300, Phase.SKIPPED, clock.now(), ended_at=clock.now())
        aftercall_records.save_cooldown(store, state)
        second = call_records.start_call(store, "Bob", at=START + timedelta(hours=1))

        records = list(load_records(store, list(call_history.iter_calls(store)), CHECKLIST))
        assert [r.call.id for r in records] == [first.id, second.id]
        one, two = records
        assert one.phrases_used == ("own-it",)
        assert [n.text for n in one.call.notes] == ["hello"]
        assert [(e.item_id, e.done) for e in one.checklist] == [
            ("took-blame", True),
            ("quick-fix", False),
            ("channel", False),
            ("permanent-fix", True),
            ("kind", False),
        ]
        assert [(f.what, f.where, f.owner) for f in one.fixes] == [("Fix DNS", "OPS-1", "Sam")]
        assert [c.state for c in one.cooldowns] == [Phase.SKIPPED]
        assert two == CallRecord(call=two.call)
        assert load_record(store, first.id, CHECKLIST) == one
        with pytest.raises(NotFound):
            load_record(store, 999)
    finally:
        store.close()
