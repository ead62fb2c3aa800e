"""Fuzzing the phrase loader: any file a trainer saves gives placed problems, never a crash.

Two sources of input:
- hypothesis: phrase- and checklist-shaped YAML built from random mappings, lists and scalars
  (anchors, aliases, tags, odd unicode), then mangled (tabs, control characters, invalid UTF-8,
  BOMs, CRLF, cut short), plus plain garbage text and bytes;
- a corpus of hand-made broken files in tests/fixtures/broken/, one per kind of problem, each
  with the problems it must report, fed to `load_library` and to `calldesk phrases check` as a
  subprocess.

What must hold: no exception escapes; every problem names the file, and a line (>= 1, within
the file) and a column (>= 1), unless it is about the whole file. Whole-file problems (line 0,
printed as `file: error: ...`) are only those in WHOLE_FILE: the file is empty, too large,
unreadable, not a file, missing, or undecodable as a whole by the YAML reader; a folder that is
missing; a checklist below the top of a folder; and the "last good version stays in use" note.
The CLI exits 0 (no errors) or 1 (errors), never anything else, and prints one
`file:line:col: severity: message` line per problem.

Examples per hypothesis test: profile `calldesk-ci` (60) by default; for a long run
    CALLDESK_FUZZ_PROFILE=calldesk-deep .venv/bin/pytest tests/test_fuzz_loader.py
runs 5,000 examples per test (about two and a half minutes here).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import string
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calldesk.cli.main import main
from calldesk.core.library.loader import PhraseLibrary, load_library
from calldesk.core.library.phrasefile import FILE_KEYS, PHRASE_KEYS
from calldesk.core.library.problems import Problem
from calldesk.core.library.yamlfile import MAX_FILE_BYTES

BROKEN = Path(__file__).parent / "fixtures" / "broken"

settings.register_profile(
    "calldesk-ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "calldesk-deep", parent=settings.get_profile("calldesk-ci"), max_examples=5000
)
FUZZ = settings(settings.get_profile(os.environ.get("CALLDESK_FUZZ_PROFILE", "calldesk-ci")))

WHOLE_FILE = (
    "the file is empty",
    "the file is larger than",
    "cannot read the file",
    "cannot read the YAML",
    "this is a folder, not a file",
    "no such file",
    "phrase folder does not exist",
    "a checklist is only read at the top of a phrase folder",
    "this file has errors; its last good version stays in use",
)
"""Messages of the problems that concern a whole file and carry no line (line 0)."""

LINE = re.compile(
    r"^(?P<path>.+?):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<sev>error|warning): .+$"
)
WHOLE_LINE = re.compile(r"^(?P<path>.+?): (?P<sev>error|warning): (?P<message>.+)$")


# -- checks shared by every input ---------------------------------------------------------------


def line_count(data: bytes) -> int:
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n") + 1


def check_problem(problem: Problem, path: Path, data: bytes) -> None:
    assert problem.path == path, problem
    assert problem.message.strip(), problem
    if problem.line == 0:
        assert problem.message.startswith(WHOLE_FILE), f"no line for: {problem.format()}"
        assert problem.column == 0, problem
        return
    assert 1 <= problem.line <= line_count(data) + 1, (problem.format(), line_count(data))
    assert problem.column >= 1, problem.format()


def load_one(data: bytes, name: str) -> tuple[PhraseLibrary, Path]:
    """Load a folder holding one file `name` with `data`; checks every problem it reports."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / name
        path.write_bytes(data)
        library = load_library([folder], optional=())
        for problem in library.problems:
            check_problem(problem, path, data)
        result = library.files[path]
        if not result.ok:
            assert result.phrases == () and result.checklist is None, "a broken file was used"
        if name == "checklist.yaml":
            assert (library.checklist.source == path) == result.ok
        return library, path


def run_cli_in_process(paths: list[Path]) -> tuple[int, list[str]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--no-bundled-phrases", "phrases", "check", *map(str, paths)])
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue().splitlines()


def check_cli_output(code: int, lines: list[str]) -> None:
    assert code in (0, 1), (code, lines)
    errors = 0
    for line in lines:
        match = LINE.match(line) or WHOLE_LINE.match(line)
        assert match is not None, f"not file:line:col: severity: message: {line!r}"
        if LINE.match(line) is None:
            assert match["message"].startswith(WHOLE_FILE), line
        errors += match["sev"] == "error"
    assert code == (1 if errors else 0), (code, lines)


# -- hypothesis: structured YAML ----------------------------------------------------------------

ODD_TEXT = st.text(
    st.characters(
        codec="utf-8",
        categories=("L", "M", "N", "P", "S", "Zs", "Cc", "Cf"),
        include_characters="\u202e\u200f\ufeff\u0301\U0001f600\t",
    ),
    max_size=30,
)
WORDS = st.text(string.ascii_letters + string.digits + " .,'!?-", min_size=1, max_size=20)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    WORDS,
    ODD_TEXT,
    st.sampled_from(
        ["yes", "no", "on", "0o17", "0x1F", "1_000", "~", ".inf", "2026-01-01", "1:30"]
    ),
)
KEYS = st.one_of(
    st.sampled_from([*PHRASE_KEYS, *FILE_KEYS, "checklist", "label", "kind", "options", "titel"]),
    WORDS,
    st.integers(),
)


def values(depth: int = 3) -> st.SearchStrategy[Any]:
    return st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(KEYS, inner, max_size=5),
        ),
        max_leaves=12,
    )


PHRASE = st.fixed_dictionaries(
    {"id": st.one_of(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True), SCALARS)},
    optional={key: values() for key in (*PHRASE_KEYS, "titel", "Say") if key != "id"},
)
PHRASE_FILE = st.fixed_dictionaries(
    {"phrases": st.one_of(st.lists(PHRASE, max_size=5), values())},
    optional={"category": values(), "tags": values(), "sets": values(), "extra": values()},
)
CHECKLIST_ITEM = st.fixed_dictionaries(
    {"id": st.one_of(st.from_regex(r"[a-z][a-z-]{0,8}", fullmatch=True), SCALARS)},
    optional={key: values() for key in ("label", "kind", "required", "help", "options", "lable")}
    | {"kind": st.sampled_from(["check", "text", "choice", "fix", "essay"])},
)
CHECKLIST_FILE = st.fixed_dictionaries(
    {"checklist": st.one_of(st.lists(CHECKLIST_ITEM, max_size=5), values())},
    optional={"items": values()},
)


@st.composite
def dumped(draw: st.DrawFn, shape: st.SearchStrategy[Any]) -> str:
    """A YAML text for a value from `shape`, in a random style, maybe with anchors and tags."""
    value = draw(shape)
    text = yaml.dump(
        value,
        Dumper=yaml.SafeDumper,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, True, None])),
        width=draw(st.sampled_from([20, 80, 10_000])),
        sort_keys=False,
    )
    if draw(st.booleans()):  # share one value through an anchor and alias
        text = text.replace(": ", ": &shared ", 1)
        if ": " in text.split("&shared", 1)[-1]:
            head, tail = text.split("&shared", 1)
            text = head + "&shared" + re.sub(r": (?!&)(.*)", ": *shared", tail, count=1)
    return text


TAGS = ["!!python/object/apply:os.system ", "!!binary ", "!!str ", "!!int ", "!custom ", "!!set "]
INSERTS = st.one_of(
    st.sampled_from(
        [
            "\t",
            "\x00",
            "\x07",
            "\x1b[31m",
            "\r",
            "\ufeff",
            "\u2028",
            ": ",
            "- ",
            "&a ",
            "*a ",
            "<<: ",
            "---\n",
            "{",
            "]",
            "'",
            '"',
            "#",
            "|",
            ">",
            "%YAML 1.1\n",
        ]
    ),
    st.sampled_from(TAGS),
    ODD_TEXT,
)


@st.composite
def mangled(draw: st.DrawFn, text: str) -> bytes:
    """`text` with a few random edits, then encoded; sometimes with bytes that are not UTF-8."""
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        edit = draw(st.sampled_from(["insert", "delete", "duplicate-line", "cut"]))
        if edit == "insert":
            text = text[:at] + draw(INSERTS) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 5)) :]
        elif edit == "duplicate-line":
            lines = text.splitlines(keepends=True) or [""]
            index = draw(st.integers(0, len(lines) - 1))
            lines.insert(index, lines[index])
            text = "".join(lines)
        else:
            text = text[:at]
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xe9", b"\xff\xfe", b"\xc3", b"\xed\xa0\x80"]))
            + data[at:]
        )
    return data


def shaped(shape: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    return dumped(shape).flatmap(mangled)


GARBAGE_TEXT = st.text(
    st.sampled_from(
        list(":-[]{}&*!|>'\"#%@`,? \n\t") + list("abcxyz019") + ["é", "\x00", "\ufeff"]
    ),
    max_size=200,
).map(lambda text: text.encode("utf-8"))


@FUZZ
@given(data=st.one_of(shaped(PHRASE_FILE), shaped(values()), GARBAGE_TEXT, st.binary(max_size=300)))
def test_any_phrase_file_gives_placed_problems_and_never_raises(data: bytes) -> None:
    load_one(data, "phrases.yaml")


@FUZZ
@given(data=st.one_of(shaped(CHECKLIST_FILE), GARBAGE_TEXT))
@example(data="\u2028checklist: \u2028[]\n".encode())  # was placed on line 4 of 2
def test_any_checklist_file_gives_placed_problems_and_never_raises(data: bytes) -> None:
    load_one(data, "checklist.yaml")


@FUZZ
@given(data=st.one_of(shaped(PHRASE_FILE), GARBAGE_TEXT, st.binary(max_size=200)))
def test_phrases_check_exits_0_or_1_and_prints_one_placed_line_per_problem(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(data)
        code, lines = run_cli_in_process([path])
        library = load_library([path], optional=())
    check_cli_output(code, lines)
    assert len(lines) == len(library.problems)


# A phrase that is valid by construction: the loader must give it back exactly.
GOOD_TEXT = st.text(string.ascii_letters + " .,!?'", min_size=1, max_size=40).filter(
    lambda text: text.strip() and text.strip()[0].isalpha()
)
GOOD_PHRASE = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True),
        "title": GOOD_TEXT,
        "say": GOOD_TEXT,
        "tags": st.lists(st.from_regex(r"[a-z]{1,8}", fullmatch=True), max_size=3),
    },
    optional={"when": GOOD_TEXT, "instead_of": GOOD_TEXT},
)


@FUZZ
@given(
    phrases=st.lists(GOOD_PHRASE, min_size=1, max_size=6, unique_by=lambda p: p["id"]),
    category=GOOD_TEXT,
    flow=st.sampled_from([False, None]),
    crlf=st.booleans(),
    bom=st.booleans(),
)
def test_a_valid_file_in_any_style_loads_exactly(
    phrases: list[dict[str, Any]], category: str, flow: bool | None, crlf: bool, bom: bool
) -> None:
    text = yaml.safe_dump(
        {"category": category, "phrases": phrases}, default_flow_style=flow, sort_keys=False
    )
    data = (text.replace("\n", "\r\n") if crlf else text).encode()
    library, path = load_one(b"\xef\xbb\xbf" + data if bom else data, "phrases.yaml")
    assert library.problems == ()
    got = {p.id: (p.title, p.say, p.category, p.tags, p.when, p.instead_of) for p in library}
    assert got == {
        p["id"]: (
            p["title"].strip(),
            p["say"].strip(),
            category.strip(),
            tuple(dict.fromkeys(p["tags"])),
            p.get("when", "").strip(),
            p.get("instead_of", "").strip(),
        )
        for p in phrases
    }
    assert all(phrase.source == path and phrase.line >= 1 for phrase in library)


# -- the hand-made corpus ---------------------------------------------------------------------

E, W = "error", "warning"
CORPUS: dict[str, list[tuple[int, str, str]]] = {
    # file (under tests/fixtures/broken/) -> every problem: (line, severity, start of message)
    "unknown-key.yaml": [(3, E, "this phrase has no 'title'"), (4, E, "unknown key 'titel'")],
    "missing-required.yaml": [(3, E, "this phrase has no 'say'")],
    "wrong-types.yaml": [
        (2, E, "'tags' must be a list, not text"),
        (5, E, "'title' must be text, not a number"),
        (7, E, "'say' must be text, not a list"),
        (9, E, "'when' must be text, not a mapping"),
        (10, E, "'sets' must be a list, not a number"),
        (11, E, "'instead_of' must be text, not true"),
    ],
    "duplicate-id.yaml": [(3, E, "duplicate id 'same-id'"), (7, E, "duplicate id 'same-id'")],
    "duplicate-key.yaml": [(6, E, "duplicate key 'say' (lines 5 and 6)")],
    "empty-say.yaml": [(5, E, "'say' is blank"), (8, E, "'say' is empty")],
    "tabs.yaml": [(4, E, "a tab is used for indentation")],
    "invalid-utf8.yaml": [(5, E, "the file is not valid UTF-8 (byte 0xe9)")],
    "bad-syntax.yaml": [(4, E, "this quote is never closed")],
    "python-tag.yaml": [
        (4, E, "'title' must be text, not a list"),
        (4, E, "unsupported tag !!python/object/apply:os.system"),
    ],
    "billion-laughs.yaml": [(7, E, "aliases expand to more than 100,000 values")],
    "deep-nesting.yaml": [(5, E, "the YAML is nested more than 64 levels deep")],
    "bom.yaml": [(3, E, "this phrase has no 'title'"), (4, E, "unknown key 'titel'")],
    "crlf.yaml": [(6, E, "unknown key 'whne'")],
    "control-char.yaml": [(4, E, "the control character U+0007 is not allowed")],
    "nul-byte.yaml": [(4, E, "the control character U+0000 is not allowed")],
    "empty.yaml": [(0, E, "the file is empty")],
    "comment-only.yaml": [(0, E, "the file is empty")],
    "not-a-mapping.yaml": [(1, E, "a phrase file must be a mapping")],
    "two-documents.yaml": [(3, E, "a second YAML document starts here")],
    "merge-key.yaml": [
        (2, E, "unknown key 'base' in the phrase file"),
        (5, E, "merge keys (<<) are not supported"),
        (5, E, "this phrase has no 'title'"),
        (5, E, "unknown key '<<' in a phrase"),
    ],
    "unknown-alias.yaml": [(4, E, "unknown alias *nowhere")],
    "mapping-key.yaml": [(4, E, "a key must be plain text")],
    "bad-id.yaml": [(3, E, "bad id 'Not A Valid Id!'"), (6, E, "'id' must be text, not a number")],
    "phrases-not-a-list.yaml": [(3, E, "'phrases' must be a list")],
    "no-phrases.yaml": [(1, E, "the file has no 'phrases:' list")],
    "unknown-placeholder.yaml": [
        (5, W, "a lone '{' is shown as it is"),
        (5, W, "unknown placeholder {custmer} stays as it is"),
    ],
    "checklist-items/checklist.yaml": [
        (2, E, "duplicate id 'ok-item' (again on line 4)"),
        (4, E, "duplicate id 'ok-item' (first on line 2)"),
        (6, E, "bad id 'Bad Id'"),
        (8, E, "this checklist item has no 'id'"),
        (9, E, "this checklist item has no 'label'"),
        (12, E, "unknown key 'requird' in a checklist item"),
        (15, E, "unknown kind 'essay'"),
        (16, E, "a choice item needs 'options'"),
        (22, E, "a choice needs at least 2 different options"),
        (25, E, "'options' only apply to kind: choice"),
        (29, E, "the same option appears twice"),
        (32, E, "'required' must be true or false, not text"),
        (34, E, "'label' must be text, not a list"),
        (35, E, "each checklist item must be a mapping"),
    ],
    "checklist-not-a-list/checklist.yaml": [(2, E, "'checklist' must be a list of items")],
    "checklist-empty/checklist.yaml": [(1, E, "the checklist has no items")],
    "checklist-no-key/checklist.yaml": [
        (1, E, "the checklist file has no 'checklist'"),
        (1, E, "unknown key 'items' in the checklist file"),
    ],
    "checklist-top-level-list/checklist.yaml": [(1, E, "a checklist file must start with")],
}
COLUMNS = {"unknown-placeholder.yaml": [34, 16]}
"""Exact columns where the position inside a line is the point of the test."""


def test_the_corpus_holds_every_file_in_the_folder() -> None:
    on_disk = {str(path.relative_to(BROKEN)) for path in BROKEN.rglob("*.yaml")}
    assert on_disk == set(CORPUS)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_each_broken_file_reports_exactly_its_problems(name: str) -> None:
    path = BROKEN / name
    library = load_library([path], optional=())
    problems = [p for p in library.problems if p.path == path]
    assert len(problems) == len(library.problems), library.problems
    for problem in problems:
        check_problem(problem, path, path.read_bytes())
    found = sorted((p.line, str(p.severity), p.message) for p in problems)
    expected = sorted(CORPUS[name])
    assert len(found) == len(expected), [p.format() for p in problems]
    for (line, severity, message), (want_line, want_severity, start) in zip(
        found, expected, strict=True
    ):
        assert (line, severity) == (want_line, want_severity) and message.startswith(start), [
            p.format() for p in problems
        ]
    if name in COLUMNS:
        assert sorted(p.column for p in problems) == sorted(COLUMNS[name])


def cli(*paths: Path) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLDESK_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "calldesk",
            "--no-bundled-phrases",
            "phrases",
            "check",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_phrases_check_reports_every_corpus_file_as_file_line_col() -> None:
    names = sorted(CORPUS)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda name: cli(BROKEN / name), names))
    for name, result in zip(names, results, strict=True):
        assert "Traceback" not in result.stderr, result.stderr
        lines = result.stdout.splitlines()
        check_cli_output(result.returncode, lines)
        printed = set()
        for line in lines:
            match = LINE.match(line)
            printed.add((int(match["line"]) if match else 0, line))
            assert line.startswith(f"{BROKEN / name}:" if match else f"{BROKEN / name}: ")
        assert sorted(line for line, _ in printed) == sorted(line for line, _, _ in CORPUS[name])
        for _, severity, start in CORPUS[name]:
            assert any(f": {severity}: {start}" in text for _, text in printed), (name, start)
        has_errors = any(severity == E for _, severity, _ in CORPUS[name])
        assert result.returncode == (1 if has_errors else 0), (name, result.returncode)


def write_huge(path: Path) -> None:
    entry = "  - id: p{n}\n    title: Phrase {n}\n    say: " + "words " * 50 + "\n"
    lines = ["category: Huge\nphrases:\n"]
    size, number = 0, 0
    while size <= MAX_FILE_BYTES:
        lines.append(entry.format(n=number))
        size += len(lines[-1])
        number += 1
    path.write_text("".join(lines))


def test_a_huge_file_is_refused_unread_as_a_whole_file_problem(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    write_huge(huge)
    library = load_library([tmp_path], optional=())
    assert [(p.path, p.line, p.message) for p in library.problems] == [
        (huge, 0, "the file is larger than 2 MiB")
    ]
    result = cli(huge)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{huge}: error: the file is larger than 2 MiB (split it into several files)"
    ]


def test_one_broken_file_never_stops_the_others_loading(tmp_path: Path) -> None:
    """The whole corpus in one folder beside one good file: the good phrase still loads."""
    folder = tmp_path / "team"
    folder.mkdir()
    for name in CORPUS:
        if "/" not in name:
            (folder / name).write_bytes((BROKEN / name).read_bytes())
    (folder / "zz-good.yaml").write_text(
        "category: Good\nphrases:\n  - id: still-here\n    title: Still here\n    say: Hello.\n"
    )
    library = load_library([folder], optional=())
    assert library.get("still-here") is not None
    assert {p.path.name for p in library.errors} == {
        name
        for name, problems in CORPUS.items()
        if "/" not in name and any(s == E for _, s, _ in problems)
    }
