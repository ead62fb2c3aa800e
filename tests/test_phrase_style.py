"""The style lint (`phrases check --style`) and the `promise:`, `priority:` and `key:` fields."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from tests.test_cli_phrases import LINE, calldesk

from calldesk import paths
from calldesk.core.library.loader import load_library
from calldesk.core.library.phrasefile import phrases_from_document
from calldesk.core.library.phrases import parse_due
from calldesk.core.library.style import lint_library, promise_wording, stock_phrase, words
from calldesk.core.library.yamlsafe import parse_yaml

TEAM = """\
category: Billing
phrases:
  - id: as-per
    title: Stock words
    say: As per our policy, kindly hold.
    when: Never.
  - id: long-one
    title: Long
    say: >
      one two three four five six seven eight nine ten eleven twelve thirteen fourteen
      fifteen sixteen seventeen eighteen nineteen twenty one two three four five six seven
      eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen
      nineteen twenty one two three four five six
    when: Never.
  - id: no-when
    title: No when
    say: Let me look that up.
  - id: same
    title: Same
    say: "Let me check."
    when: Always.
    instead_of: "let me CHECK"
  - id: promises
    title: Promise
    say: I'll call you back by tomorrow.
    when: Always.
  - id: kept
    title: Promise kept
    say: I'll call you back by tomorrow.
    when: Always.
    promise: {what: call back, due: 1d}
  - id: reported
    title: A reported promise
    say: I said I'd call you back today, and here I am.
    when: Always.
    instead_of: "Kindly bear with me."
"""


def write(folder: Path, text: str, name: str = "team.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_style_warns_with_file_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / "team", TEAM)
    result = calldesk("phrases", "check", "--style", path)
    assert result.returncode == 0, result.stdout  # style warnings never fail the check
    lines = result.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    found = {(line.split(":")[1], line.split("style: ")[1].split(" (")[0]) for line in lines}
    assert found == {
        ("5", "'say' uses the stock phrase \"As per\""),
        ("9", "'say' has 46 words"),
        ("15", "phrase 'no-when' has no 'when'"),
        ("22", "'instead_of' is the same as 'say'"),
        ("25", "'say' promises something"),
    }
    assert "(\"I'll call\") but has no 'promise:' field" in result.stdout
    assert "0 errors, 5 warnings" in result.stderr


def test_without_style_there_is_no_style_warning(tmp_path: Path) -> None:
    result = calldesk("phrases", "check", write(tmp_path / "team", TEAM))
    assert result.returncode == 0
    assert "style:" not in result.stdout


def test_the_bundled_library_passes_the_style_lint() -> None:
    result = calldesk("phrases", "check", "--style", paths.bundled_phrase_dir())
    assert result.returncode == 0, result.stdout
    assert result.stdout == ""
    assert ", 0 errors, 0 warnings" in result.stderr


def test_style_lints_the_configured_library_when_no_path_is_given(tmp_path: Path) -> None:
    write(tmp_path / "team", TEAM)
    result = calldesk("phrases", "check", "--style", phrase_dirs=[tmp_path / "team"])
    assert result.stdout.count("warning: style:") == 5


@pytest.mark.parametrize(
    ("text", "stock"),
    [
        ("We apologise for any inconvenience.", "We apologise for any inconvenience"),
        ("Thanks  for your\npatience.", "Thanks for your patience"),
        ("Your call is important to us", "Your call is important"),
        ("Calm down, sir.", "Calm down"),
        ("Kindly note", "Kindly"),
        ("I\u2019m sorry if you feel that way", "sorry if you feel"),
        ("Thanks for calling back.", None),
        ("a kindly neighbour", "kindly"),
        ("aspersions", None),
    ],
)
def test_stock_phrases(text: str, stock: str | None) -> None:
    assert stock_phrase(text) == stock


@pytest.mark.parametrize(
    ("text", "promise"),
    [
        ("I'll call you tomorrow.", "I'll call"),
        ("We'll have it to you within two working days.", "within two working days"),
        ("I\u2019ll email you the steps.", "I'll email"),
        ("It'll be done by end of day.", "by end of day"),
        ("I said I'd call you back, and here I am.", None),
        ("We promised you a callback.", None),
        ("I said I'd call. I'll call you back at four.", "I'll call"),
        ("Let me look that up.", None),
    ],
)
def test_promise_wordings(text: str, promise: str | None) -> None:
    assert promise_wording(text) == promise


def test_words_counts_a_placeholder_as_one() -> None:
    assert words("Hello {customer}, it's {agent}.") == 4


# -- the fields ---------------------------------------------------------------------------------


def load(text: str) -> tuple[list, list]:
    return phrases_from_document(parse_yaml(textwrap.dedent(text), Path("p.yaml")))


BASE = """\
category: C
phrases:
  - id: a
    title: A
    say: I'll call you back with the RMA number. Your reference is {ticket}.
"""


def test_promise_priority_and_key_load() -> None:
    phrases, problems = load(
        BASE + "    promise: {what: call back with the RMA number, due: 1h 30m}\n"
        "    priority: 3\n    key: call you BACK with the   RMA number\n"
    )
    assert not problems
    (phrase,) = phrases
    assert phrase.promise is not None
    assert (phrase.promise.what, phrase.promise.due, phrase.promise.due_seconds) == (
        "call back with the RMA number",
        "1h 30m",
        5400,
    )
    assert phrase.priority == 3
    assert phrase.key == "call you BACK with the   RMA number"


def test_a_promise_can_be_plain_text() -> None:
    phrases, problems = load(BASE + "    promise: call back\n")
    assert not problems
    assert phrases[0].promise is not None and phrases[0].promise.due == ""


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        ("    promise: {due: 2h}\n", "6:14", "'promise' has no 'what'"),
        ("    promise: {what: x, due: soon}\n", "6:29", "'due' must be a time from now"),
        ("    promise: {what: x, due: 2}\n", "6:29", "'due' must be a time from now such as 2h"),
        ("    promise: {what: x, when: 2h}\n", "6:24", "unknown key 'when' in 'promise'"),
        ("    promise: [x]\n", "6:14", "'promise' must be text or a mapping"),
        ("    priority: 0\n", "6:15", "'priority' must be a whole number from 1 to 9999, not 0"),
        ("    priority: high\n", "6:15", "not text"),
        ("    key: the wrong words\n", "6:10", "'key' must be words quoted from 'say'"),
    ],
)
def test_bad_fields_are_errors_with_line_and_column(extra: str, where: str, message: str) -> None:
    phrases, problems = load(BASE + extra)
    assert phrases == []
    (problem,) = problems
    assert problem.is_error
    assert f"{problem.line}:{problem.column}" == where
    assert message in problem.message


def test_parse_due() -> None:
    assert parse_due("2h") == 7200
    assert parse_due("1 day") == 86400
    assert parse_due("1d 2h") == 93600
    assert parse_due("0m") is None
    assert parse_due("tomorrow") is None


def test_library_lint_includes_overridden_phrases(tmp_path: Path) -> None:
    first = tmp_path / "one"
    second = tmp_path / "two"
    write(first, "category: C\nphrases:\n  - {id: a, title: A, say: As per usual.}\n")
    write(second, "category: C\nphrases:\n  - {id: a, title: A, say: Fine., when: w}\n")
    problems = lint_library(load_library([first, second], optional=()))
    assert [p.path.parent.name for p in problems] == ["one", "one"]  # stock phrase and no when


def test_schema_file_in_docs_is_current() -> None:
    from calldesk.core.library.schema import phrase_file_schema

    path = Path(__file__).parent.parent / "docs" / "phrases.schema.json"
    assert json.loads(path.read_text(encoding="utf-8")) == phrase_file_schema()
