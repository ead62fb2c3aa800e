"""Loading phrase folders: the model, placeholders, each validation error, overrides, hot reload."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from calldesk.core.aftercall.checklist import DEFAULT_CHECKLIST
from calldesk.core.library.loader import PhraseLibrary, load_library, load_phrase_file
from calldesk.core.library.phrases import KNOWN_PLACEHOLDERS, Phrase, placeholders, render
from calldesk.core.library.problems import Problem, Severity

FIXTURES = Path(__file__).parent / "fixtures" / "phrases"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path) -> list[tuple[int, int, str, str, Severity]]:
    result = load_phrase_file(path)
    return [(p.line, p.column, p.message, p.hint, p.severity) for p in result.problems]


def only_error(path: Path) -> tuple[int, int, str, str]:
    result = load_phrase_file(path)
    errors = [p for p in result.problems if p.is_error]
    assert len(errors) == 1, result.problems
    assert result.phrases == ()  # a file with an error is skipped as a whole
    return errors[0].line, errors[0].column, errors[0].message, errors[0].hint


GOOD_PHRASE = """
    category: Printers
    phrases:
      - id: printer-offline
        title: Printer offline
        say: Let's check the printer together.
"""


# -- the model ---------------------------------------------------------------------------------


def test_good_fixtures_load_with_merged_tags_sets_and_categories() -> None:
    library = load_library([FIXTURES / "good"])
    assert library.problems == ()
    assert len(library) == 5
    blame = library.get("blame-our-mistake")
    assert blame is not None
    assert blame.title == "That one is on us"
    assert blame.say == (
        "You're right, {customer}, and I'm sorry: that one is on us.\nLet me put it right."
    )
    assert blame.category == "Taking the blame"
    assert blame.tags == ("blame", "apology", "ownership")  # file tags first, no duplicates
    assert blame.sets == ("essentials",)
    assert blame.when == "Our product or process caused the problem."
    assert blame.instead_of == "Well, it worked when we shipped it."
    assert blame.source == FIXTURES / "good" / "blame.yaml"
    assert blame.line == 5
    cafe = library.get("cafe-wifi")
    assert cafe is not None and cafe.category == "Network" and cafe.tags == ("billing",)
    charged = library.get("double-charge")
    assert charged is not None and charged.sets == ("billing-week",) and charged.when == ""
    assert library.get("no-such-id") is None


def test_library_order_is_category_then_title() -> None:
    library = load_library([FIXTURES / "good"])
    assert [p.id for p in library.phrases] == [
        "double-charge",  # Billing and refunds: "Charged twice"
        "refund-on-its-way",  # Billing and refunds: "The refund is on its way"
        "cafe-wifi",  # Network
        "blame-not-your-fault",  # Taking the blame: "Not your fault at all"
        "blame-our-mistake",  # Taking the blame: "That one is on us"
    ]


def test_the_folder_checklist_is_picked_up() -> None:
    library = load_library([FIXTURES / "good"])
    assert library.checklist.source == FIXTURES / "good" / "checklist.yaml"
    assert [item.id for item in library.checklist.items][-1] == "mood"


def test_phrases_are_frozen() -> None:
    phrase = Phrase(id="a", title="A", say="Hi", category="C")
    with pytest.raises(AttributeError):
        phrase.title = "B"  # type: ignore[misc]


# -- placeholders ------------------------------------------------------------------------------


def test_known_placeholders_each_have_a_description() -> None:
    assert set(KNOWN_PLACEHOLDERS) == {"customer", "number", "ticket", "agent"}
    assert all(text and "\n" not in text for text in KNOWN_PLACEHOLDERS.values())


def test_placeholders_lists_names_in_order_once() -> None:
    text = "{customer}, your ticket is {ticket}. Thanks {customer}! {{not}} {bogus}"
    assert placeholders(text) == ["customer", "ticket", "bogus"]


def test_render_fills_known_values_and_keeps_the_rest_visible() -> None:
    values = {"customer": "Ana", "ticket": "", "bogus": "no"}
    text = "Hi {customer}, ticket {ticket}, {agent} here, {bogus}, {{literal}} and }}."
    assert (
        render(text, values) == "Hi Ana, ticket {ticket}, {agent} here, {bogus}, {literal} and }."
    )


def test_render_leaves_lone_braces_alone() -> None:
    assert render("a { b } {customer", {"customer": "Ana"}) == "a { b } {customer"


def test_unknown_placeholder_is_a_warning_at_its_exact_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Email
        phrases:
          - id: spam
            title: Spam folder
            say: |
              Could you check the spam folder,
              {custmer}? It sometimes hides there.
        """,
    )
    result = load_phrase_file(path)
    assert result.ok and len(result.phrases) == 1
    [problem] = result.problems
    assert problem.severity is Severity.WARNING
    assert (problem.line, problem.column) == (7, 7)
    assert problem.message == "unknown placeholder {custmer} stays as it is"
    assert problem.hint == "did you mean {customer}?"


def test_a_lone_brace_is_a_warning(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Email
        phrases:
          - id: spam
            title: Spam folder
            say: "Use the {customer name} field"
        """,
    )
    [(line, column, message, _, severity)] = problems_of(path)
    assert severity is Severity.WARNING
    assert (line, column) == (5, 19)
    assert message == "a lone '{' is shown as it is"


# -- each kind of error, with its line ---------------------------------------------------------


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        phrases:
          - id: printer-offline
            title: Printer offline
            say: Check the cable.
            tgas: [printer]
        """,
    )
    assert only_error(path) == (6, 5, "unknown key 'tgas' in a phrase", "did you mean 'tags'?")


def test_unknown_file_key_suggests_too(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "tgas: [printer]\n" + textwrap.dedent(GOOD_PHRASE))
    line, column, message, hint = only_error(path)
    assert (line, column, message) == (1, 1, "unknown key 'tgas' in the phrase file")
    assert hint == "did you mean 'tags'?"


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        phrases:
          - id: a
            say: Hello.
          - id: b
            title: B
        """,
    )
    errors = [(p[0], p[2]) for p in problems_of(path)]
    assert errors == [(3, "this phrase has no 'title'"), (5, "this phrase has no 'say'")]


def test_tags_must_be_a_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        phrases:
          - id: a
            title: A
            say: Hello.
            tags: printer
        """,
    )
    line, column, message, hint = only_error(path)
    assert (line, column) == (6, 11)
    assert message == "'tags' must be a list, not text"
    assert hint == "write tags: [printer]"


def test_a_tag_must_be_text(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        tags: [ok, 12]
        phrases:
          - id: a
            title: A
            say: Hello.
        """,
    )
    assert only_error(path)[:3] == (2, 12, "each entry of 'tags' must be text, not a number")


def test_say_must_be_text_not_a_number(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        phrases:
          - id: a
            title: A
            say: 42
        """,
    )
    assert only_error(path) == (5, 10, "'say' must be text, not a number", "put the text in quotes")


def test_whitespace_only_text_is_blank(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        phrases:
          - id: a
            title: "   "
            say: Hello.
        """,
    )
    assert only_error(path)[:3] == (4, 12, "'title' is blank")


def test_an_empty_value_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: Printers
        phrases:
          - id: a
            title: A
            say:
        """,
    )
    assert only_error(path)[2] == "'say' is empty"


@pytest.mark.parametrize(
    ("raw", "suggestion"),
    [("Printer Offline", "printer-offline"), ("-lead", "lead"), ("émoji!", None)],
)
def test_bad_id_format(tmp_path: Path, raw: str, suggestion: str | None) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        f"""
        category: Printers
        phrases:
          - title: A
            say: Hello.
            id: "{raw}"
        """,
    )
    line, column, message, hint = only_error(path)
    assert (line, column, message) == (5, 9, f"bad id {raw!r}")
    if suggestion:
        assert hint.endswith(f"e.g. '{suggestion}'")


def test_a_numeric_id_must_be_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "category: C\nphrases:\n  - {id: 404, title: A, say: B}\n")
    assert only_error(path) == (3, 10, "'id' must be text, not a number", "quote it")


def test_duplicate_id_within_a_folder_reports_both_places(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", GOOD_PHRASE)
    write(
        tmp_path,
        "b.yaml",
        "# copy\n# of a\n" + textwrap.dedent(GOOD_PHRASE).replace("Printer", "A"),
    )
    library = load_library([tmp_path])
    found = sorted((p.path.name, p.line, p.message) for p in library.errors)
    assert found == [
        ("a.yaml", 3, "duplicate id 'printer-offline' (also at b.yaml:6)"),
        ("b.yaml", 6, "duplicate id 'printer-offline' (also at a.yaml:3)"),
    ]
    kept = library.get("printer-offline")
    assert kept is not None and kept.source.name == "a.yaml"  # the first one stands


def test_duplicate_id_within_one_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "a.yaml",
        """
        category: C
        phrases:
          - {id: same, title: One, say: One.}
          - {id: same, title: Two, say: Two.}
        """,
    )
    lines = sorted(p.line for p in load_library([path]).errors)
    assert lines == [3, 4]


def test_duplicate_key_in_a_phrase(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: C
        phrases:
          - id: a
            title: A
            say: One.
            say: Two.
        """,
    )
    assert only_error(path)[:3] == (6, 5, "duplicate key 'say' (lines 5 and 6)")


def test_tabs_invalid_utf8_and_syntax_errors_are_located() -> None:
    broken = FIXTURES / "broken"
    assert only_error(broken / "tab.yaml")[:3] == (4, 1, "a tab is used for indentation")
    line, column, _, hint = only_error(broken / "latin1.yaml")
    assert (line, column, hint) == (5, 32, "save the file as UTF-8")


def test_a_syntax_error_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "category: C\nphrases:\n  - id: a\n    title: a: b\n")
    assert only_error(path)[:3] == (4, 13, "unexpected ':' here")


def test_a_phrase_needs_a_category(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "phrases:\n  - id: a\n    title: A\n    say: B\n")
    line, _, message, hint = only_error(path)
    assert (line, message) == (2, "this phrase has no category")
    assert "top of the file" in hint


def test_a_list_at_the_top_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "- id: a\n  title: A\n  say: B\n")
    assert only_error(path)[:3] == (1, 1, "a phrase file must be a mapping with 'phrases:'")


def test_phrases_must_be_a_list(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "category: C\nphrases:\n  id: a\n")
    assert only_error(path)[:3] == (3, 3, "'phrases' must be a list")


def test_an_empty_phrase_list_is_only_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "category: C\nphrases: []\n")
    assert problems_of(path) == [(2, 10, "the file has no phrases yet", "", Severity.WARNING)]


# -- folders -----------------------------------------------------------------------------------


def test_a_broken_file_is_skipped_and_every_other_file_loads() -> None:
    library = load_library([FIXTURES / "broken"])
    assert sorted(p.id for p in library.phrases) == ["close-anything-else", "spam-folder"]
    broken = {p.path.name for p in library.errors}
    assert broken == {"latin1.yaml", "tab.yaml", "unknown-key.yaml"}
    assert [p.path.name for p in library.warnings] == ["placeholder.yaml"]


def test_problems_are_sorted_by_file_and_line() -> None:
    problems = load_library([FIXTURES / "broken"]).problems
    keys = [(str(p.path), p.line, p.column) for p in problems]
    assert keys == sorted(keys)


def test_a_later_folder_overrides_an_earlier_one_by_id() -> None:
    library = load_library([FIXTURES / "good", FIXTURES / "override"])
    assert library.problems == ()
    overridden = library.get("blame-our-mistake")
    assert overridden is not None
    assert overridden.title == "Our mistake, sorted today"
    assert overridden.source == FIXTURES / "override" / "blame.yaml"
    assert len(library) == 5  # replaced, not added
    reverse = load_library([FIXTURES / "override", FIXTURES / "good"])
    assert reverse.get("blame-our-mistake").title == "That one is on us"  # type: ignore[union-attr]


def test_subfolders_are_read_and_hidden_ones_skipped(tmp_path: Path) -> None:
    write(tmp_path, "team/printers.yaml", GOOD_PHRASE)
    write(tmp_path, ".git/junk.yaml", "not: [valid")
    write(tmp_path, "notes.txt", "not yaml")
    library = load_library([tmp_path])
    assert [p.id for p in library.phrases] == ["printer-offline"]
    assert library.problems == ()


def test_a_missing_optional_folder_is_silent_and_a_missing_extra_one_warns(
    tmp_path: Path,
) -> None:
    user, extra = tmp_path / "user", tmp_path / "extra"
    library = load_library([FIXTURES / "good", user, extra], optional=[user])
    [problem] = library.problems
    assert problem.path == extra and problem.severity is Severity.WARNING
    assert problem.message == "phrase folder does not exist"
    assert len(library) == 5


def test_the_user_folder_is_optional_by_default(tmp_path: Path) -> None:
    from calldesk import paths

    assert not paths.user_phrase_dir().exists()
    assert load_library([paths.user_phrase_dir()]).problems == ()


def test_a_single_file_can_stand_for_a_folder() -> None:
    library = load_library([FIXTURES / "good" / "billing.yaml"])
    assert {p.id for p in library.phrases} == {"refund-on-its-way", "double-charge", "cafe-wifi"}


# -- checklist from the folders ----------------------------------------------------------------


def test_the_last_folder_with_a_checklist_wins(tmp_path: Path) -> None:
    write(tmp_path, "checklist.yaml", "checklist:\n  - id: only\n    label: The only item\n")
    library = load_library([FIXTURES / "good", tmp_path])
    assert [item.id for item in library.checklist.items] == ["only"]
    assert library.checklist.source == tmp_path / "checklist.yaml"


def test_without_a_checklist_file_the_defaults_apply(tmp_path: Path) -> None:
    write(tmp_path, "p.yaml", GOOD_PHRASE)
    assert load_library([tmp_path]).checklist is DEFAULT_CHECKLIST


def test_a_broken_checklist_falls_back_to_the_earlier_one_and_is_reported(
    tmp_path: Path,
) -> None:
    write(tmp_path, "checklist.yaml", "checklist:\n  - id: x\n    lable: X\n")
    library = load_library([FIXTURES / "good", tmp_path])
    assert library.checklist.source == FIXTURES / "good" / "checklist.yaml"
    assert [(p.path.name, p.line) for p in library.errors] == [
        ("checklist.yaml", 2),
        ("checklist.yaml", 3),
    ]
    alone = load_library([tmp_path])
    assert alone.checklist is DEFAULT_CHECKLIST and alone.errors


# -- hot reload --------------------------------------------------------------------------------


def touch_later(path: Path, text: str) -> None:
    """Rewrite `path` with a new mtime even on coarse-grained file systems."""
    before = path.stat().st_mtime_ns
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    os.utime(path, ns=(before + 2_000_000_000, before + 2_000_000_000))


def test_a_file_broken_mid_edit_keeps_its_last_good_phrases(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", GOOD_PHRASE)
    write(tmp_path, "other.yaml", GOOD_PHRASE.replace("printer-offline", "other"))
    first = load_library([tmp_path])
    assert first.problems == () and len(first) == 2
    touch_later(path, GOOD_PHRASE.replace("title:", "titel:"))
    second = load_library([tmp_path], previous=first)
    assert second.get("printer-offline") == first.get("printer-offline")
    assert second.files[path].kept
    messages = [p.message for p in second.problems]
    assert "unknown key 'titel' in a phrase" in messages
    assert any("last good version" in message for message in messages)
    # Without a previous library the broken file is simply skipped.
    assert load_library([tmp_path]).get("printer-offline") is None
    # Still broken on the next reload: still the last good version.
    third = load_library([tmp_path], previous=second)
    assert third.get("printer-offline") == first.get("printer-offline")
    # Fixed: the new version is used.
    touch_later(path, GOOD_PHRASE.replace("Printer offline", "Printer is offline"))
    fourth = load_library([tmp_path], previous=third)
    assert fourth.get("printer-offline").title == "Printer is offline"  # type: ignore[union-attr]
    assert fourth.problems == ()


def test_unchanged_files_are_reused_not_reread(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", GOOD_PHRASE)
    other = write(tmp_path, "q.yaml", GOOD_PHRASE.replace("printer-offline", "q"))
    first = load_library([tmp_path])
    touch_later(other, GOOD_PHRASE.replace("printer-offline", "q2"))
    second = load_library([tmp_path], previous=first)
    assert second.files[path] is first.files[path]
    assert second.files[other] is not first.files[other]
    assert {p.id for p in second.phrases} == {"printer-offline", "q2"}


def test_deleted_files_disappear_on_reload(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", GOOD_PHRASE)
    first = load_library([tmp_path])
    path.unlink()
    second = load_library([tmp_path], previous=first)
    assert len(second) == 0 and second.files == {}


def test_a_broken_checklist_keeps_its_previous_version(tmp_path: Path) -> None:
    path = write(tmp_path, "checklist.yaml", "checklist:\n  - id: mine\n    label: Mine\n")
    first = load_library([tmp_path])
    touch_later(path, "checklist:\n  - id: mine\n    label: [broken\n")
    second = load_library([tmp_path], previous=first)
    assert second.checklist == first.checklist
    assert second.errors


def test_an_empty_library_is_valid() -> None:
    library = PhraseLibrary()
    assert len(library) == 0 and library.get("x") is None and library.problems == ()
    assert isinstance(library.problems, tuple) and not isinstance(library.problems, Problem)


def test_a_file_with_a_duplicate_id_is_skipped_as_a_whole(tmp_path: Path) -> None:
    """Found by a tester: dup.yaml loaded both copies and its override of a bundled id took
    effect, while the app and `phrases check` said the file was skipped."""
    write(
        tmp_path / "team",
        "base.yaml",
        "category: C\nphrases:\n  - {id: kept, title: Old, say: Old.}\n",
    )
    dup = write(
        tmp_path / "mine",
        "dup.yaml",
        """
        category: C
        phrases:
          - {id: dup-one, title: One, say: One.}
          - {id: dup-one, title: Two, say: Two.}
          - {id: kept, title: New, say: New.}
        """,
    )
    library = load_library([tmp_path / "team", tmp_path / "mine"])
    assert library.get("dup-one") is None
    kept = library.get("kept")
    assert kept is not None and kept.title == "Old"  # the override in the broken file is not used
    found = sorted((p.line, p.message) for p in library.errors if p.path == dup)
    assert found == [
        (3, "duplicate id 'dup-one' (also at dup.yaml:4)"),
        (4, "duplicate id 'dup-one' (also at dup.yaml:3)"),
    ]


def test_a_duplicate_id_is_reported_beside_the_other_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """
        category: C
        phrases:
          - {id: same, title: One, say: One., sya: x}
          - {id: same, title: Two, say: Two.}
        """,
    )
    messages = [p.message for p in load_phrase_file(path).problems if p.is_error]
    assert "duplicate id 'same' (also at p.yaml:4)" in messages
    assert any(message.startswith("unknown key 'sya'") for message in messages)
