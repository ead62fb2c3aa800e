"""YAML text below the parser: plain scalars by the core schema, positions, bracket depth, and
libyaml's errors in a trainer's words."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from calldesk.core.library.problems import Problem

Pos = tuple[int, int]
"""(line, column), both 1-based as editors show them."""

# YAML 1.2 core schema, as editors (yaml-language-server) read files: `yes`, `no`, `on`,
# dates and `1:30` stay text, so a trainer's `say: No` is the word, not False.
_WORDS: dict[str, Any] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
_NUMBER_START = frozenset("-+.0123456789")
_INT_RE = re.compile(r"[-+]?[0-9]+")
_OCT_RE = re.compile(r"0o[0-7]+")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_INF_RE = re.compile(r"[-+]?\.(?:inf|Inf|INF)")
_NAN_RE = re.compile(r"\.(?:nan|NaN|NAN)")
_NO_MATCH = object()


# Just enough of YAML's syntax to tell brackets that nest from brackets in text.
_BLOCK_PLAIN = re.compile(r"[^ \t\r\n](?:[^ \t\r\n:]++|:(?=[^ \t\r\n])|[ \t]++(?=[^ \t\r\n#]))*+")
_FLOW_PLAIN = re.compile(
    r"[^ \t\r\n](?:[^ \t\r\n,\[\]{}:]++|:(?=[^ \t\r\n,\[\]{}])"
    r"|[ \t\r\n]++(?=[^ \t\r\n#,\[\]{}:]))*+"
)
_PROPERTY = re.compile(r"[^ \t\r\n,\[\]{}]*+")  # the rest of an &anchor, *alias or !tag
_QUOTED = {
    '"': re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL),
    "'": re.compile(r"'(?:[^']++|'')*+'"),
}
_SPACES = re.compile(r"[ \t]*+")
_WHITESPACE = re.compile(r"[ \t\r\n]*+")
_BREAK_OR_END = frozenset(" \t\r\n")
_DOCUMENT_MARKER = re.compile(r"(?:---|\.\.\.)(?=[ \t\r\n]|\Z)")


def deep_flow_start(text: str, limit: int) -> int | None:
    """Where the `[` or `{` that opens flow level `limit + 1` is, or None if nothing nests so deep.

    Skips what is text: quoted and block scalars, plain scalars (with their continuation
    lines), comments. It may misjudge odd YAML; the caller checks its answer with the parser.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    size = len(text)
    at = 0
    skip_deeper_than: int | None = None  # lines still inside a block or plain scalar
    while at < size:
        line_start = at
        line_end = text.find("\n", at)
        if line_end < 0:
            line_end = size
        at = _SPACES.match(text, at).end()
        indent = at - line_start
        if skip_deeper_than is not None:
            if at >= line_end or text[at] in "#\r" or indent > skip_deeper_than:
                at = line_end + 1
                continue
            skip_deeper_than = None
        parent = indent - 1  # the column a scalar's further lines must go past
        token = -1
        while True:
            at = _SPACES.match(text, at).end()
            if at >= line_end or text[at] in "#\r":
                break
            char = text[at]
            column = at - line_start
            following = text[at + 1] if at + 1 < size else " "
            if column == 0 and char in "%-.":
                if char == "%":  # a directive
                    break
                marker = _DOCUMENT_MARKER.match(text, at)
                if marker is not None:
                    if char == ".":
                        break
                    at = marker.end()
                    continue
            if char in "-?:" and following in _BREAK_OR_END:
                parent = token if char == ":" and token >= 0 else column
                at += 1
                continue
            token = column
            if char in "&*!":
                at = _PROPERTY.match(text, at + 1).end()
            elif char in "[{":
                end = flow_end(text, at, limit)
                if end < 0:
                    return -end - 1
                if end > size:
                    return None
                at = end
                line_start = text.rfind("\n", 0, at) + 1
                line_end = text.find("\n", at)
                if line_end < 0:
                    line_end = size
            elif char in "\"'":
                quoted = _QUOTED[char].match(text, at)
                if quoted is None:
                    return None
                at = quoted.end()
                line_start = text.rfind("\n", 0, at) + 1
                line_end = text.find("\n", at)
                if line_end < 0:
                    line_end = size
            elif char in "|>":
                skip_deeper_than = parent
                break
            else:
                at = _BLOCK_PLAIN.match(text, at, line_end).end()
                at = _SPACES.match(text, at).end()
                if at >= line_end or text[at] == "\r":
                    skip_deeper_than = parent
        at = line_end + 1
    return None


def flow_end(text: str, at: int, limit: int) -> int:
    """Just past the flow collection starting at `at`; -1 - index of a bracket past `limit`.

    Past the end of the text when the collection is never closed.
    """
    size = len(text)
    level = 0
    node = -1  # where the node starts when &anchor or !tag come before its bracket
    while at < size:
        at = _WHITESPACE.match(text, at).end()
        if at >= size:
            break
        char = text[at]
        if char == "#":
            line_end = text.find("\n", at)
            at = size if line_end < 0 else line_end
            continue
        if char in "&!":
            node = at if node < 0 else node
            at = _PROPERTY.match(text, at + 1).end()
            continue
        if char in "[{":
            level += 1
            if level > limit:
                return -1 - (at if node < 0 else node)
            at += 1
        elif char in "]}":
            level -= 1
            at += 1
            if level <= 0:
                return at
        elif char in ",?:":  # in flow, ? and : at the start of a token are always indicators
            at += 1
        elif char in "\"'":
            quoted = _QUOTED[char].match(text, at)
            if quoted is None:
                break
            at = quoted.end()
        elif char == "*":
            at = _PROPERTY.match(text, at + 1).end()
        else:
            at = _FLOW_PLAIN.match(text, at).end()
        node = -1
    return size + 1


def event_pos(event: Any) -> Pos:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


_ODD_BREAK = re.compile("[\x85\u2028\u2029]")
_BREAK = re.compile(r"\r\n?|\n")


class TextLines:
    """(line, column) of a character index, with line breaks as editors count them.

    YAML also breaks lines at U+0085, U+2028 and U+2029, and so do libyaml's positions; the
    trainer's editor shows those characters inside a line, and that is the line to report.
    """

    def __init__(self, text: str) -> None:
        self.starts = [0, *(match.end() for match in _BREAK.finditer(text))]

    def at(self, index: int) -> Pos:
        line = bisect.bisect_right(self.starts, index) - 1
        return (line + 1, index - self.starts[line] + 1)

    def of(self, event: Any) -> Pos:
        return self.at(event.start_mark.index)


def positions(text: str) -> Callable[[Any], Pos]:
    """How to place an event in `text`: libyaml's own line and column, unless they differ."""
    return TextLines(text).of if _ODD_BREAK.search(text) else event_pos


def mark_pos(text: str, mark: Any) -> Pos:
    if _ODD_BREAK.search(text):
        return TextLines(text).at(mark.index)
    return (mark.line + 1, mark.column + 1)


def resolve_plain(text: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
    value = _WORDS.get(text, _NO_MATCH)
    if value is not _NO_MATCH:
        return value
    if text[0] not in _NUMBER_START:
        return text
    try:
        if _INT_RE.fullmatch(text):
            return int(text)
        if _FLOAT_RE.fullmatch(text):
            return float(text)
    except ValueError:  # more digits than Python converts: keep the text
        return text
    if _OCT_RE.fullmatch(text):
        return int(text[2:], 8)
    if _HEX_RE.fullmatch(text):
        return int(text[2:], 16)
    if _INF_RE.fullmatch(text):
        return float("-inf") if text[0] == "-" else float("inf")
    if _NAN_RE.fullmatch(text):
        return float("nan")
    return text


_SYNTAX_HINTS: tuple[tuple[str, str, str], ...] = (
    # (words in libyaml's message, our message, hint)
    (
        "mapping values are not allowed",
        "unexpected ':' here",
        "quote a text that contains ': ', or check the indentation of this line",
    ),
    (
        "did not find expected key",
        "this line does not line up with the lines above",
        "check its indentation: keys of one mapping start in the same column",
    ),
    (
        "could not find expected ':'",
        "a key is missing its ':'",
        "write 'key: value', or use | for text over several lines",
    ),
    (
        "found unexpected end of stream",
        "the file ends inside an unfinished value",
        "close the quote or bracket that is still open",
    ),
    (
        "did not find expected '-' indicator",
        "this list item does not line up with the items above",
        "start every item of a list with '- ' in the same column",
    ),
    (
        "did not find expected ',' or ']'",
        "a [list] is not closed properly",
        "separate items with ', ' and end the list with ]",
    ),
    (
        "did not find expected ',' or '}'",
        "a {mapping} is not closed properly",
        "separate entries with ', ' and end it with }",
    ),
    (
        "block sequence entries are not allowed",
        "a '- ' list item cannot start here",
        "put the list on its own lines, indented under its key",
    ),
    (
        "found character that cannot start any token",
        "this character cannot start a value",
        "quote the text (values starting with @ or ` need quotes)",
    ),
    (
        "found undefined alias",
        "unknown alias",
        "define the &anchor before using the *alias",
    ),
)


_CLOSER = {"quote": "quote", "[": "]", "{": "}"}
_UNCLOSED = {
    "while scanning a quoted scalar": "quote",
    "while parsing a flow sequence": "[",
    "while parsing a flow mapping": "{",
}


def syntax_problem(path: Path, text: str, error: yaml.MarkedYAMLError) -> Problem:
    """A libyaml error as a Problem; tabs get their own message because they are so common."""
    mark = error.problem_mark or error.context_mark
    line, column = mark_pos(text, mark) if mark is not None else (0, 0)
    tab = _tab_indent_near(text, line)
    problem_text = str(error.problem or "")
    if tab is not None and (
        "tab" in problem_text or "cannot start any token" in problem_text or tab[0] == line
    ):
        return Problem(
            path,
            tab[0],
            tab[1],
            "a tab is used for indentation",
            "YAML indents with spaces; replace the tab",
        )
    opened = _UNCLOSED.get(str(error.context or ""))
    if opened and error.context_mark is not None:
        # Report where it was opened: that is where the trainer has to look.
        started_line, started_column = mark_pos(text, error.context_mark)
        return Problem(
            path,
            started_line,
            started_column,
            f"this {opened} is never closed (noticed on line {line})",
            f"add the closing {_CLOSER[opened]}",
        )
    for needle, message, hint in _SYNTAX_HINTS:
        if needle in problem_text:
            return Problem(path, line, column, message, hint)
    detail = " ".join(part for part in (error.context, problem_text) if part)
    return Problem(
        path, line, column, f"YAML syntax error: {detail}", "check the syntax around here"
    )


def _tab_indent_near(text: str, line: int) -> Pos | None:
    """The first tab in the leading whitespace of `line`, else of the nearest line above."""
    lines = _BREAK.split(text)  # numbered as the problems are (not str.splitlines)
    for number in range(min(line, len(lines)), 0, -1):
        content = lines[number - 1]
        indent = content[: len(content) - len(content.lstrip(" \t"))]
        if "\t" in indent:
            return (number, indent.index("\t") + 1)
        if number < line - 1:
            break  # only the error line and the one before it can be the culprit
    return None


def reader_problem(path: Path, text: str, error: yaml.YAMLError) -> Problem:
    position = getattr(error, "position", None)
    character = getattr(error, "character", None)
    if isinstance(position, int) and 0 <= position <= len(text):
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        code = ord(character) if isinstance(character, str) else character
        what = f"U+{code:04X}" if isinstance(code, int) else repr(code)
        return Problem(
            path,
            line,
            column,
            f"the control character {what} is not allowed in YAML",
            "remove it; it is often invisible, pasted in from elsewhere",
        )
    return Problem(path, 0, 0, f"cannot read the YAML: {error}", "")
