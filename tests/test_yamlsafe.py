"""Safe YAML reading: values with positions, and every failure as a Problem with line and column."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from calldesk.core.library import yamlsafe
from calldesk.core.library.yamlfile import read_yaml
from calldesk.core.library.yamlsafe import MAX_ALIAS_NODES, MAX_DEPTH, YamlList, YamlMap, parse_yaml

HERE = Path("test.yaml")


def one_problem(data: bytes | str) -> tuple[int, int, str, str]:
    doc = parse_yaml(data, HERE)
    assert len(doc.problems) == 1, doc.problems
    problem = doc.problems[0]
    assert problem.is_error
    return problem.line, problem.column, problem.message, problem.hint


def test_values_keep_the_position_of_every_key_value_and_item() -> None:
    doc = parse_yaml(b"title: Hello\ntags:\n  - one\n  - two\n", HERE)
    assert doc.ok and doc.problems == []
    root = doc.value
    assert isinstance(root, YamlMap) and root == {"title": "Hello", "tags": ["one", "two"]}
    assert root.key_pos["title"] == (1, 1)
    assert root.value_pos["title"] == (1, 8)
    tags = root["tags"]
    assert isinstance(tags, YamlList)
    assert tags.item_pos == [(3, 5), (4, 5)]


def test_plain_scalars_follow_yaml_1_2_core_so_yes_and_dates_stay_text() -> None:
    doc = parse_yaml(
        "a: yes\nb: No\nc: 2024-01-01\nd: 1:30\ne: 42\nf: '42'\ng: 1.5\nh: true\ni: ~\nj: 0x1f\n",
        HERE,
    )
    assert doc.value == {
        "a": "yes",
        "b": "No",
        "c": "2024-01-01",
        "d": "1:30",
        "e": 42,
        "f": "42",
        "g": 1.5,
        "h": True,
        "i": None,
        "j": 31,
    }


def test_a_byte_order_mark_is_dropped() -> None:
    doc = parse_yaml(b"\xef\xbb\xbftitle: caf\xc3\xa9\n", HERE)
    assert doc.value == {"title": "café"}
    assert doc.value.key_pos["title"] == (1, 1)


def test_invalid_utf8_reports_line_and_column_of_the_bad_byte() -> None:
    line, column, message, hint = one_problem(b"a: ok\nb: caf\xe9 au lait\n")
    assert (line, column) == (2, 7)
    assert "not valid UTF-8" in message and "0xe9" in message
    assert hint == "save the file as UTF-8"


def test_column_after_multibyte_characters_counts_characters() -> None:
    line, column, _, _ = one_problem("a: ok\nb: éé\xff".encode() + b"\xff")
    assert (line, column) == (2, 7)


def test_a_tab_used_for_indentation_says_so() -> None:
    line, column, message, hint = one_problem("phrases:\n  - id: a\n\ttitle: b\n")
    assert (line, column) == (3, 1)
    assert message == "a tab is used for indentation"
    assert hint == "YAML indents with spaces; replace the tab"


def test_a_tab_after_spaces_points_at_the_tab() -> None:
    line, column, message, _ = one_problem("a: 1\n  \tb: 2\n")
    assert (line, column) == (2, 3)
    assert "tab" in message


def test_a_tab_inside_a_value_is_fine() -> None:
    assert parse_yaml("a: 'one\ttwo'\n", HERE).value == {"a": "one\ttwo"}


def test_syntax_errors_get_line_column_and_a_friendly_message() -> None:
    line, column, message, hint = one_problem("title: a\nsay: this: breaks\n")
    assert (line, column) == (2, 10)
    assert message == "unexpected ':' here"
    assert "quote" in hint


def test_bad_indentation_is_reported_on_its_line() -> None:
    line, _, message, _ = one_problem("a:\n  - b\n c: 2\n")
    assert line == 3
    assert "line up" in message


def test_an_unclosed_quote_is_reported_where_it_opens() -> None:
    line, column, message, hint = one_problem("a: 1\nb: 'never closed\nc: 3\n")
    assert (line, column) == (2, 4)
    assert message.startswith("this quote is never closed")
    assert "quote" in hint


def test_an_unclosed_bracket_is_reported_where_it_opens() -> None:
    line, column, message, hint = one_problem("tags: [a, b\nsay: x\n")
    assert (line, column) == (1, 7)
    assert "[" in message and hint == "add the closing ]"


@pytest.mark.parametrize("data", [b"", b"\n\n", b"# only a comment\n", b"---\n", b"~\n"])
def test_an_empty_file_is_a_clear_problem(data: bytes) -> None:
    line, _, message, _ = one_problem(data)
    assert line == 0
    assert message == "the file is empty"


def test_a_second_document_is_refused() -> None:
    line, _, message, _ = one_problem("a: 1\n---\nb: 2\n")
    assert line == 2
    assert "second YAML document" in message


def test_duplicate_keys_name_both_lines() -> None:
    doc = parse_yaml("id: a\ntitle: one\nsay: x\ntitle: two\n", HERE)
    [problem] = doc.problems
    assert (problem.line, problem.column) == (4, 1)
    assert problem.message == "duplicate key 'title' (lines 2 and 4)"
    assert doc.value["title"] == "one"  # the first one stands


def test_python_tags_are_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = f"a: !!python/object/apply:os.system ['touch {marker}']\n"
    line, column, message, _ = one_problem(data)
    assert (line, column) == (1, 4)
    assert message == "unsupported tag !!python/object/apply:os.system"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ("a: !!binary aGVsbG8=\n", "!!binary"),
        ("a: !!set {x: null}\n", "!!set"),
        ("a: !custom text\n", "!custom"),
        ("a: !!timestamp 2024-01-01\n", "!!timestamp"),
    ],
)
def test_tags_outside_the_core_schema_are_refused(data: str, shown: str) -> None:
    _, _, message, _ = one_problem(data)
    assert message == f"unsupported tag {shown}"


def test_core_tags_are_honoured() -> None:
    doc = parse_yaml("a: !!str 42\nb: !!int '7'\nc: !!float 2\n", HERE)
    assert doc.ok and doc.value == {"a": "42", "b": 7, "c": 2.0}
    _, _, message, _ = one_problem("a: !!int seven\n")
    assert message == "'seven' is not a valid int"


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        refs = ",".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [9, 30])
def test_a_billion_laughs_bomb_is_refused(levels: int) -> None:
    # Expanded, 30 levels is 9**31 strings: only a budget checked before expanding survives it.
    line, _, message, hint = one_problem(billion_laughs(levels))
    assert f"more than {MAX_ALIAS_NODES:,}" in message
    assert "YAML bomb" in hint
    assert 1 < line <= levels + 1


def test_a_few_aliases_are_fine() -> None:
    doc = parse_yaml("base: &tags [a, b]\none: *tags\ntwo: *tags\n", HERE)
    assert doc.ok and doc.value["two"] == ["a", "b"]


def test_unknown_and_recursive_aliases_are_problems() -> None:
    assert "unknown alias *nope" in one_problem("a: *nope\n")[2]
    assert "points into its own anchor" in one_problem("a: &x [1, *x]\n")[2]


def test_merge_keys_are_refused() -> None:
    line, _, message, _ = one_problem("base: &b {x: 1}\nother:\n  <<: *b\n")
    assert line == 3 and "merge keys" in message


def test_a_quoted_double_angle_key_is_just_text() -> None:
    assert parse_yaml('"<<": 1\n', HERE).value == {"<<": 1}


ABSURD_NESTING = ["[" * 100_000, "- " * 100_000 + "x", "{a: " * 50_000]


@pytest.mark.parametrize("data", ABSURD_NESTING)
def test_absurd_nesting_is_refused_without_crashing(data: str) -> None:
    # libyaml's own composer would overflow the C stack here and kill the process.
    _, _, message, _ = one_problem(data)
    assert f"more than {MAX_DEPTH} levels" in message


class _StricterScanner(yaml.SafeLoader):
    """A YAML library that gives up on nesting long before it reaches calldesk's events.

    Like libyaml in PyYAML 6.0.4, but at 100 levels, block or flow: it raises while it still
    looks ahead for a possible key, so no event of the nesting has reached calldesk yet.
    """

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= 100:
            raise yaml.scanner.ScannerError("upstream", None, "gave up", self.get_mark())
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column: int) -> bool:
        if len(self.indents) >= 100:
            raise yaml.scanner.ScannerError("upstream", None, "gave up", self.get_mark())
        return super().add_indent(column)


LOADERS = {
    "libyaml": getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    "pure-python": yaml.SafeLoader,
    "stricter-upstream": _StricterScanner,
}


@pytest.fixture(params=sorted(LOADERS))
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Runs a test once with each YAML library calldesk may meet."""
    monkeypatch.setattr(yamlsafe, "_Loader", LOADERS[request.param])
    return str(request.param)


def nested(block: int, flow: list[str]) -> tuple[str, tuple[int, int]]:
    """YAML with `block` block sequences, then one flow opener per `flow` item, never closed.

    Returns the text and the (line, column) where nesting level MAX_DEPTH + 1 begins.
    """
    text = "- " * block
    where = (1, 2 * MAX_DEPTH + 1) if block > MAX_DEPTH else (0, 0)
    for level, opener in enumerate(flow, start=block + 1):
        if level == MAX_DEPTH + 1:
            line = text.count("\n") + 1
            where = (line, len(text) - (text.rfind("\n") + 1) + 1)
        text += opener
    return text, where


@pytest.mark.parametrize(
    ("block", "opener"),
    [
        (0, "["),
        (30, "["),
        (0, "[ "),
        (0, "[\n"),
        (0, '["]]", '),
        (0, "{a: "),
        (10, "[# ]]]\n"),
        (0, "&a ! ["),
        (200, "["),
    ],
)
def test_nesting_past_the_limit_is_reported_where_it_starts_whatever_the_library(
    loader: str, block: int, opener: str
) -> None:
    text, where = nested(block, [opener] * 5_000)
    line, column, message, hint = one_problem(text)
    assert (line, column) == where
    assert message == f"the YAML is nested more than {MAX_DEPTH} levels deep"
    assert hint == "flatten the structure"


def test_nesting_inside_a_mapping_is_reported_where_it_starts(loader: str) -> None:
    text = "a:\n  b: " + "[" * 5_000
    # Two mappings, then the 63rd bracket (on line 2, from column 6) opens level 65.
    assert one_problem(text)[:3] == (
        2,
        6 + 62,
        f"the YAML is nested more than {MAX_DEPTH} levels deep",
    )


@pytest.mark.parametrize(
    "before",
    [
        'a: "]]]]]]]]"\n',
        "a: ']]]]'']]]]'\n",
        "a: x ]]]]]]]]\n",
        "a: |\n  ]]]]]]]]\n  [\n",
        "a: >-\n    ]]]] }}}}\n",
        "# ]]]]]]]]\n",
        "a: [\"]]]]\", ']]}}', x]\n",
        'a: "[[[[\n  ]]]]"\n',
        "a: [?'[', x]\n",  # in flow, ? is a key indicator even without a space after it
    ],
)
def test_brackets_in_text_neither_hide_nor_fake_deep_nesting(loader: str, before: str) -> None:
    text, (_, column) = nested(0, ["["] * 5_000)
    assert parse_yaml(before + "b: 1\n", HERE).ok
    # The mapping is the first level, so the 64th bracket after "b: " opens level 65.
    assert one_problem(before + "b: " + text)[:2] == (before.count("\n") + 1, column - 1 + 3)


@pytest.mark.parametrize(
    "text",
    [
        'a: "' + "[" * 5_000 + '"\nb: [c\n',
        "a: |\n  " + "[" * 5_000 + "\nb: [c\n",
        "# " + "[" * 5_000 + "\nb: [c\n",
        "a: x " + "[" * 5_000 + "\nb: [c\n",
        "a: x\n  " + "[" * 5_000 + "\nb: [c\n",
    ],
)
def test_brackets_in_text_are_not_nesting(loader: str, text: str) -> None:
    # The file is broken elsewhere, so the depth check looks at it, and must see text here.
    line, _, message, _ = one_problem(text)
    assert line == text.count("\n") and message.startswith("this [ is never closed")


def test_a_mapping_as_a_key_is_refused_before_any_depth(loader: str) -> None:
    # Every library sees the second { as the first key of the first: calldesk's rule for keys.
    assert one_problem("{" * 100_000)[:3] == (
        1,
        2,
        "a key must be plain text, not a list or mapping",
    )


@given(
    block=st.integers(0, 80),
    flow=st.lists(
        st.sampled_from(["[", "[ ", "{a: ", "[\n", "[x, ", '["]", ', "&a [", "[# ]\n"]),
        min_size=0,
        max_size=1_200,
    ),
    close=st.booleans(),
)
@settings(max_examples=60, deadline=None)
@pytest.mark.parametrize("library", sorted(LOADERS))
def test_any_nesting_is_accepted_up_to_the_limit_and_placed_beyond_it(
    library: str, block: int, flow: list[str], close: bool
) -> None:
    text, where = nested(block, flow)
    if close:
        text += "".join("}" if opener[0] == "{" else "]" for opener in reversed(flow))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(yamlsafe, "_Loader", LOADERS[library])
        doc = parse_yaml(text, HERE)
    deep = [p for p in doc.problems if "levels deep" in p.message]
    if block + len(flow) > MAX_DEPTH:
        assert [(p.line, p.column) for p in deep] == [where], doc.problems
    else:
        assert deep == [] and (doc.ok or not close or not text), doc.problems


@pytest.mark.parametrize("odd", ["\u2028", "\u2029", "\x85"])
def test_lines_are_numbered_as_editors_show_them(loader: str, odd: str) -> None:
    # YAML (and libyaml's positions) also break lines at these; editors show them in the line.
    doc = parse_yaml(f'a: "x{odd}y"\nb: [c]\n', HERE)
    assert doc.value.key_pos["b"] == (2, 1)
    assert one_problem(f"a: 1{odd}b: 2\nc: d: e\n")[:2] == (2, 5)
    assert one_problem(f"{odd}a: [\n")[0] == 2  # the end of the file, after its one line
    assert one_problem("a: 1\r\nb: 2\rc: d: e\n")[:2] == (3, 5)  # CR LF and CR do count


def test_a_key_that_is_a_list_is_refused() -> None:
    assert "key must be plain text" in one_problem("[a, b]: c\n")[2]


def test_control_characters_are_located() -> None:
    line, column, message, _ = one_problem("a: ok\nb: bell\x07\n")
    assert (line, column) == (2, 8)
    assert "U+0007" in message


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"a: " + b"x" * (2 * 1024 * 1024) + b"\n")
    doc = read_yaml(path)
    [problem] = doc.problems
    assert problem.message == "the file is larger than 2 MiB"
    assert problem.hint == "split it into several files"
    assert doc.value is None


def test_the_size_limit_can_be_lowered(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("a: 12345\n")
    assert read_yaml(path, max_bytes=9).ok
    assert "larger than 8 bytes" in read_yaml(path, max_bytes=8).problems[0].message


def test_unreadable_paths_are_problems(tmp_path: Path) -> None:
    assert read_yaml(tmp_path / "missing.yaml").problems[0].message == "no such file"
    assert "folder" in read_yaml(tmp_path).problems[0].message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_document_never_an_exception(data: bytes) -> None:
    doc = parse_yaml(data, HERE)
    assert doc.ok or doc.problems
    for problem in doc.problems:
        assert problem.line >= 0 and problem.column >= 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=" \t\n-:[]{}'\"&*!|>#%@`,?abc12", max_size=120))
def test_yaml_punctuation_soup_never_raises(text: str) -> None:
    doc = parse_yaml(text, HERE)
    assert doc.ok or doc.problems
