"""checklist.yaml: the built-in defaults, reading a trainer's file, its errors, required items."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from calldesk.core.aftercall.checklist import (
    DEFAULT_CHECKLIST,
    Checklist,
    ChecklistItem,
    ItemKind,
    load_checklist_file,
    missing_required,
)

FIXTURES = Path(__file__).parent / "fixtures" / "phrases"


def checklist_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "checklist.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors(tmp_path: Path, text: str) -> list[tuple[int, int, str, str]]:
    checklist, problems = load_checklist_file(checklist_file(tmp_path, text))
    assert checklist is None  # any error refuses the whole file
    return [(p.line, p.column, p.message, p.hint) for p in problems if p.is_error]


def test_the_defaults_ask_what_applies_to_how_the_call_went() -> None:
    items = {item.id: item for item in DEFAULT_CHECKLIST.items}
    after_a_call = [
        ("blame", ItemKind.CHOICE, True),
        ("quick-fix", ItemKind.TEXT, True),
        ("permanent-fix", ItemKind.FIX, True),
        ("basics-kindly", ItemKind.CHECK, False),
        ("pointed-onward", ItemKind.CHECK, False),
        ("promises-made", ItemKind.TEXT, False),
    ]
    for outcome in ("fine", "bad", None):
        asked = DEFAULT_CHECKLIST.for_outcome(outcome).items
        assert [(i.id, i.kind, i.required) for i in asked] == after_a_call
    assert [(i.id, i.kind, i.required) for i in DEFAULT_CHECKLIST.for_outcome("abusive").items] == [
        ("warning-given", ItemKind.CHOICE, True),
        ("what-was-said", ItemKind.TEXT, True),
        ("who-was-told", ItemKind.TEXT, True),
    ]
    assert items["blame"].options == (
        "It was on us, and I said so.",
        "Nothing on our side.",
        "Not yet.",
    )
    assert "owns" in items["permanent-fix"].help
    assert all(item.label and item.help for item in DEFAULT_CHECKLIST.items)
    assert DEFAULT_CHECKLIST.source is None


def test_the_bundled_checklist_asks_the_same_questions_as_the_defaults() -> None:
    from calldesk import paths

    bundled, problems = load_checklist_file(paths.bundled_phrase_dir() / "checklist.yaml")
    assert problems == [] and bundled is not None
    for outcome in ("fine", "bad", "abusive", None):
        ours = bundled.for_outcome(outcome).items
        defaults = DEFAULT_CHECKLIST.for_outcome(outcome).items
        assert [(i.kind, i.required) for i in ours] == [(i.kind, i.required) for i in defaults]
    blame = bundled.get("blame")
    assert blame is not None and "abusive" not in blame.outcomes


@pytest.mark.parametrize(
    ("applies_when", "message"),
    [
        ("abusive", "'applies_when' must be a mapping"),
        ("{outcomes: [abusive]}", "unknown key 'outcomes' in applies_when"),
        ("{outcome: [rude]}", "unknown outcome 'rude'"),
        ("{outcome: []}", "no outcome listed"),
        ("{}", "'applies_when' needs 'outcome'"),
    ],
)
def test_a_wrong_applies_when_is_refused_with_the_line(
    tmp_path: Path, applies_when: str, message: str
) -> None:
    path = tmp_path / "checklist.yaml"
    path.write_text(
        f"checklist:\n  - id: a\n    label: A\n    applies_when: {applies_when}\n",
        encoding="utf-8",
    )
    checklist, problems = load_checklist_file(path)
    assert checklist is None
    assert any(message in problem.message and problem.line == 4 for problem in problems), problems


def test_the_fixture_checklist_loads_in_order() -> None:
    checklist, problems = load_checklist_file(FIXTURES / "good" / "checklist.yaml")
    assert problems == []
    assert checklist is not None
    assert checklist.source == FIXTURES / "good" / "checklist.yaml"
    assert [item.id for item in checklist.items] == [
        "took-blame",
        "quick-fix",
        "permanent-fix",
        "mood",
    ]
    mood = checklist.get("mood")
    assert mood == ChecklistItem(
        id="mood",
        label="How did the customer leave?",
        kind=ItemKind.CHOICE,
        required=False,
        options=("happy", "neutral", "still upset"),
    )
    took_blame = checklist.get("took-blame")
    assert took_blame is not None and took_blame.help == 'Saying "that\'s on us" costs nothing.'


def test_kind_defaults_to_check(tmp_path: Path) -> None:
    checklist, problems = load_checklist_file(
        checklist_file(tmp_path, "checklist:\n  - id: a\n    label: A\n")
    )
    assert problems == [] and checklist is not None
    assert checklist.items[0].kind is ItemKind.CHECK and not checklist.items[0].required


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        """
        checklist:
          - id: a
            label: A
            requierd: true
        """,
    )
    assert found == [
        (4, 5, "unknown key 'requierd' in a checklist item", "did you mean 'required'?")
    ]


def test_missing_label_and_bad_kind(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        """
        checklist:
          - id: a
            kind: tickbox
        """,
    )
    assert found == [
        (2, 5, "this checklist item has no 'label'", "add 'label: ...'"),
        (3, 11, "unknown kind 'tickbox'", "use one of: check, text, choice, fix"),
    ]


def test_choice_needs_two_different_options_and_others_take_none(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        """
        checklist:
          - id: mood
            label: Mood
            kind: choice
          - id: one
            label: One option
            kind: choice
            options: [only]
          - id: twice
            label: Twice
            kind: choice
            options: [same, same]
          - id: tick
            label: Tick
            options: [a, b]
        """,
    )
    assert [(line, message) for line, _, message, _ in found] == [
        (2, "a choice item needs 'options'"),
        (8, "a choice needs at least 2 different options"),
        (12, "the same option appears twice"),
        (12, "a choice needs at least 2 different options"),
        (15, "'options' only apply to kind: choice"),
    ]


def test_required_must_be_true_or_false(tmp_path: Path) -> None:
    found = errors(tmp_path, "checklist:\n  - id: a\n    label: A\n    required: maybe\n")
    assert found == [
        (
            4,
            15,
            "'required' must be true or false, not text",
            "write required: true or required: false",
        )
    ]


def test_duplicate_ids_report_both_places(tmp_path: Path) -> None:
    found = errors(
        tmp_path,
        """
        checklist:
          - id: a
            label: A
          - id: a
            label: Again
        """,
    )
    assert sorted((line, message) for line, _, message, _ in found) == [
        (2, "duplicate id 'a' (again on line 4)"),
        (4, "duplicate id 'a' (first on line 2)"),
    ]


def test_an_empty_checklist_is_an_error(tmp_path: Path) -> None:
    [(line, _, message, hint)] = errors(tmp_path, "checklist: []\n")
    assert (line, message) == (1, "the checklist has no items")
    assert "built-in" in hint


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- id: a\n  label: A\n", "a checklist file must start with 'checklist:'"),
        ("items:\n  - id: a\n", "unknown key 'items' in the checklist file"),
        ("checklist:\n  id: a\n", "'checklist' must be a list of items"),
        ("checklist:\n  - just text\n", "each checklist item must be a mapping"),
        ("checklist:\n  - id: Bad Id\n    label: A\n", "bad id 'Bad Id'"),
        ("checklist:\n  - id: a\n    label: '  '\n", "'label' is blank"),
        ("checklist:\n  - id: a\n\t  label: A\n", "a tab is used for indentation"),
    ],
)
def test_each_mistake_is_reported(tmp_path: Path, text: str, message: str) -> None:
    assert message in [found[2] for found in errors(tmp_path, text)]


def test_missing_required_ignores_answered_and_skipped_items() -> None:
    checklist = DEFAULT_CHECKLIST.for_outcome("bad")
    assert [i.id for i in missing_required(checklist, set(), set())] == [
        "blame",
        "quick-fix",
        "permanent-fix",
    ]
    assert [i.id for i in missing_required(checklist, {"blame"}, {"quick-fix"})] == [
        "permanent-fix"
    ]
    everything = {"blame", "quick-fix", "permanent-fix"}
    assert missing_required(checklist, everything, ()) == []
    assert missing_required(Checklist(items=()), (), ()) == []
