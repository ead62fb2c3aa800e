"""Safe YAML reading with positions, and a Checker that turns format mistakes into Problems."""

from __future__ import annotations

import bisect
import codecs
import difflib
import os
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events

from calldesk.core.library.problems import Problem, Severity

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Bigger files are refused unread: no phrase file needs that much, and parsing costs memory."""

MAX_DEPTH = 64
"""Deepest nesting accepted; phrase files need four levels."""

MAX_ALIAS_NODES = 100_000
"""How many values aliases (*name) may add in total; a billion-laughs bomb stops here."""

Pos = tuple[int, int]
"""(line, column), both 1-based as editors show them."""

_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null")
)
_MAP, _SEQ = f"{_TAG}map", f"{_TAG}seq"

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


class YamlMap(dict[Any, Any]):
    """A mapping that remembers where it, each key and each value start in the file."""

    __slots__ = ("key_pos", "pos", "value_pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.key_pos: dict[Any, Pos] = {}
        self.value_pos: dict[Any, Pos] = {}

    def where(self, key: Any) -> Pos:
        """Where the value of `key` starts, else the key, else the mapping itself."""
        return self.value_pos.get(key) or self.key_pos.get(key) or self.pos


class YamlList(list[Any]):
    """A sequence that remembers where it and each item start in the file."""

    __slots__ = ("item_pos", "pos")

    def __init__(self, pos: Pos) -> None:
        super().__init__()
        self.pos = pos
        self.item_pos: list[Pos] = []


@dataclass
class YamlDocument:
    """What reading one file gave: the value (None if unreadable), its text, and the problems."""

    path: Path
    value: Any = None
    text: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(problem.is_error for problem in self.problems)


class _Stop(Exception):
    """Reading cannot go on; the Problem has been recorded."""


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> YamlDocument:
    """Read and parse one YAML file; every failure comes back as a Problem, never an exception."""
    try:
        data = _read_regular(path, max_bytes + 1)
    except IsADirectoryError:
        return _failed(path, "this is a folder, not a file", "")
    except FileNotFoundError:
        return _failed(path, "no such file", "check the path")
    except _NotRegular as error:
        return _failed(
            path, f"this is {error}, not a file; it was not read", "remove it from the folder"
        )
    except OSError as error:
        return _failed(path, f"cannot read the file: {error.strerror}", "check its permissions")
    if len(data) > max_bytes:
        limit = (
            f"{max_bytes / 1024 / 1024:g} MiB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
        )
        return _failed(path, f"the file is larger than {limit}", "split it into several files")
    return parse_yaml(data, path)


class _NotRegular(OSError):
    """A FIFO, device or socket where a file was expected; the message names which."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_regular(path: Path, limit: int) -> bytes:
    """Up to `limit` bytes of a regular file; anything else is refused without blocking.

    A shared phrase folder is writable by others: a FIFO named trap.yaml would block an open
    or a read for ever, and opening a device can have effects. So: stat first, open with
    O_NONBLOCK (a FIFO swapped in after the stat then opens at once), and check again.
    """
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode):
        raise _NotRegular(_kind(info.st_mode))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular(_kind(info.st_mode))
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_yaml(data: bytes | str, path: Path) -> YamlDocument:
    """Parse YAML text (bytes must be UTF-8; a BOM is dropped) into plain values with positions."""
    if isinstance(data, bytes):
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line, column = _byte_position(data, error.start)
            return _failed(
                path,
                f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x})",
                "save the file as UTF-8",
                line,
                column,
            )
    else:
        text = data.removeprefix("\ufeff")
    doc = YamlDocument(path=path, text=text)
    try:
        doc.value = _Builder(path, text, doc.problems).run()
    except _Stop:
        doc.value = None
    except yaml.YAMLError as error:
        nesting = _problems_before_deep_nesting(path, text)
        if nesting is not None:
            doc.problems[:] = nesting
        elif isinstance(error, yaml.MarkedYAMLError):
            doc.problems.append(_syntax_problem(path, text, error))
        else:
            doc.problems.append(_reader_problem(path, text, error))
    except (RecursionError, MemoryError, ValueError, TypeError) as error:
        # Not expected from libyaml, but a trainer's file must never crash the app.
        doc.problems.append(Problem(path, 0, 0, f"cannot read the YAML: {error}", ""))
    if doc.value is None and doc.ok:
        doc.problems.append(
            Problem(path, 0, 0, "the file is empty", "add content, or delete the file")
        )
    if not doc.ok:
        doc.value = doc.value if isinstance(doc.value, YamlMap | YamlList) else None
    return doc


def _failed(path: Path, message: str, hint: str, line: int = 0, column: int = 0) -> YamlDocument:
    return YamlDocument(path=path, problems=[Problem(path, line, column, message, hint)])


def _byte_position(data: bytes, offset: int) -> Pos:
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


class _Frame:
    """One open mapping or sequence while events stream in."""

    __slots__ = ("anchor", "has_key", "is_map", "key", "key_pos", "size", "value")

    def __init__(self, value: YamlMap | YamlList, anchor: str | None) -> None:
        self.value = value
        self.is_map = isinstance(value, YamlMap)
        self.anchor = anchor
        self.has_key = False
        self.key: Any = None
        self.key_pos: Pos = (0, 0)
        self.size = 1  # values in this subtree once aliases are expanded


class _Builder:
    """Turns libyaml's event stream into YamlMap/YamlList/scalars.

    Events rather than `yaml.compose`: libyaml's C composer recurses without a limit and
    segfaults on deeply nested input, and walking events here is also about twice as fast.
    """

    def __init__(self, path: Path, text: str, problems: list[Problem]) -> None:
        self.path = path
        self.text = text
        self.problems = problems
        self._pos: Callable[[Any], Pos] = _positions(text)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.alias_nodes = 0
        self.root: Any = None
        self.documents = 0

    def run(self) -> Any:
        loader = _Loader(self.text)
        try:
            get_event: Callable[[], Any] = loader.get_event
            handlers: dict[type, Callable[[Any], None]] = {
                events.ScalarEvent: self._scalar,
                events.MappingStartEvent: self._mapping_start,
                events.SequenceStartEvent: self._sequence_start,
                events.MappingEndEvent: self._end,
                events.SequenceEndEvent: self._end,
                events.AliasEvent: self._alias,
                events.DocumentStartEvent: self._document_start,
            }
            while True:
                event = get_event()
                if event is None:
                    break
                handler = handlers.get(type(event))
                if handler is not None:
                    handler(event)
        finally:
            loader.dispose()
        return self.root

    def _error(self, pos: Pos, message: str, hint: str = "", fatal: bool = False) -> None:
        self.problems.append(Problem(self.path, pos[0], pos[1], message, hint))
        if fatal:
            raise _Stop

    def _document_start(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            self._error(
                self._pos(event),
                "a second YAML document starts here (---)",
                "keep one document per file: remove the --- line or split the file",
                fatal=True,
            )

    def _check_tag(self, event: Any, allowed: tuple[str, ...]) -> bool:
        tag = event.tag
        if tag is None or tag == "!" or tag in allowed:
            return True
        shown = tag.replace(_TAG, "!!", 1) if tag.startswith(_TAG) else tag
        self._error(
            self._pos(event),
            f"unsupported tag {shown}",
            "only plain YAML is read here: remove the tag",
        )
        return False

    def _mapping_start(self, event: Any) -> None:
        self._open(event, YamlMap(self._pos(event)), _MAP)

    def _sequence_start(self, event: Any) -> None:
        self._open(event, YamlList(self._pos(event)), _SEQ)

    def _open(self, event: Any, value: YamlMap | YamlList, tag: str) -> None:
        self._check_tag(event, (tag,))
        if len(self.stack) >= MAX_DEPTH:
            self.problems.append(_too_deep(self.path, self._pos(event)))
            raise _Stop
        if self.stack and self.stack[-1].is_map and not self.stack[-1].has_key:
            self._error(
                self._pos(event),
                "a key must be plain text, not a list or mapping",
                "write the key as a word followed by ': '",
                fatal=True,
            )
        if event.anchor is not None:
            self.open_anchors.add(event.anchor)
        self.stack.append(_Frame(value, event.anchor))

    def _end(self, event: Any) -> None:
        frame = self.stack.pop()
        if frame.anchor is not None:
            self.open_anchors.discard(frame.anchor)
            self.anchors[frame.anchor] = (frame.value, frame.size)
        self._add(frame.value, frame.value.pos, frame.size)

    def _alias(self, event: Any) -> None:
        pos = self._pos(event)
        name = event.anchor
        if name in self.open_anchors:
            self._error(
                pos,
                f"alias *{name} points into its own anchor",
                "an alias cannot contain itself",
                fatal=True,
            )
        if name not in self.anchors:
            self._error(
                pos,
                f"unknown alias *{name}",
                f"define &{name} before using *{name}",
                fatal=True,
            )
        value, size = self.anchors[name]
        self.alias_nodes += size
        if self.alias_nodes > MAX_ALIAS_NODES:
            self._error(
                pos,
                f"aliases expand to more than {MAX_ALIAS_NODES:,} values",
                "this looks like a YAML bomb; write the values out instead of nesting aliases",
                fatal=True,
            )
        # Sharing the object is safe: the budget above bounds how often it can be reached.
        self._add(value, pos, size)

    def _scalar(self, event: Any) -> None:
        pos = self._pos(event)
        value = self._scalar_value(event, pos)
        if value == "<<" and event.tag is None and event.implicit[0]:
            # A plain `<<` key asks for a merge, which plain YAML readers disagree on.
            self._error(pos, "merge keys (<<) are not supported", "write the keys out in full")
        if event.anchor is not None:
            self.anchors[event.anchor] = (value, 1)
        self._add(value, pos, 1)

    def _scalar_value(self, event: Any, pos: Pos) -> Any:
        tag = event.tag
        text = event.value
        if tag is None:
            # implicit[0]: a plain scalar without a tag (the C and Python parsers differ on style).
            return _resolve_plain(text) if event.implicit[0] else text
        if tag == "!" or tag == _STR:
            return text
        if not self._check_tag(event, (_INT, _FLOAT, _BOOL, _NULL)):
            return None
        value = _resolve_plain(text)
        kind = {_INT: int, _FLOAT: float, _BOOL: bool, _NULL: type(None)}[tag]
        if kind is float and type(value) is int:
            return float(value)
        if type(value) is not kind:
            self._error(
                pos, f"{text!r} is not a valid {tag.removeprefix(_TAG)}", "fix or remove the tag"
            )
            return None
        return value

    def _add(self, value: Any, pos: Pos, size: int) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        frame.size += size
        if not frame.is_map:
            frame.value.append(value)
            frame.value.item_pos.append(pos)
            return
        mapping = frame.value
        if not frame.has_key:
            if value.__class__ is YamlMap or value.__class__ is YamlList:
                self._error(
                    pos,
                    "a key must be plain text, not a list or mapping",
                    "write the key as a word followed by ': '",
                    fatal=True,
                )
            frame.key = value
            frame.key_pos = pos
            frame.has_key = True
            return
        frame.has_key = False
        key = frame.key
        if key in mapping.key_pos:
            first = mapping.key_pos[key]
            self._error(
                frame.key_pos,
                f"duplicate key {key!r} (lines {first[0]} and {frame.key_pos[0]})",
                "remove one of them",
            )
            return
        mapping[key] = value
        mapping.key_pos[key] = frame.key_pos
        mapping.value_pos[key] = pos


def _too_deep(path: Path, pos: Pos) -> Problem:
    return Problem(
        path,
        pos[0],
        pos[1],
        f"the YAML is nested more than {MAX_DEPTH} levels deep",
        "flatten the structure",
    )


def _problems_before_deep_nesting(path: Path, text: str) -> list[Problem] | None:
    """The problems of a file whose deep flow nesting stopped the YAML library; None if not that.

    The depth rule is calldesk's, but the events only reach it if the library hands them on:
    libyaml (PyYAML 6.0.4) refuses flow nesting past 1,000 levels, and it looks up to 1,024
    characters past a `[` for a `:` before passing the `[` on, so `[[[[...` stops it before
    a single event arrives. So the text is cut at the bracket that opens flow level
    MAX_DEPTH + 1, nesting any YAML library reads, and read again: the events then show
    where nesting passes MAX_DEPTH (or the first problem before it). Only when the
    library agrees, still inside MAX_DEPTH collections where the text was cut, does the cut
    count; otherwise the library's own problem stands.
    """
    cut = _deep_flow_start(text, MAX_DEPTH)
    if cut is None:
        return None
    problems: list[Problem] = []
    builder = _Builder(path, text[:cut], problems)
    try:
        builder.run()
    except _Stop:  # a calldesk rule, before or at the depth limit
        return problems
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        if mark is not None and mark.index < cut:  # a mistake before the nesting comes first
            problems.append(_syntax_problem(path, text, error))
            return problems
        if len(builder.stack) >= MAX_DEPTH:
            problems.append(_too_deep(path, _Lines(text).at(cut)))
            return problems
    except yaml.YAMLError:
        pass
    return None


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


def _deep_flow_start(text: str, limit: int) -> int | None:
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
                end = _flow_end(text, at, limit)
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


def _flow_end(text: str, at: int, limit: int) -> int:
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


def _pos(event: Any) -> Pos:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1)


_ODD_BREAK = re.compile("[\x85\u2028\u2029]")
_BREAK = re.compile(r"\r\n?|\n")


class _Lines:
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


def _positions(text: str) -> Callable[[Any], Pos]:
    """How to place an event in `text`: libyaml's own line and column, unless they differ."""
    return _Lines(text).of if _ODD_BREAK.search(text) else _pos


def _mark_pos(text: str, mark: Any) -> Pos:
    if _ODD_BREAK.search(text):
        return _Lines(text).at(mark.index)
    return (mark.line + 1, mark.column + 1)


def _resolve_plain(text: str) -> Any:
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


def _syntax_problem(path: Path, text: str, error: yaml.MarkedYAMLError) -> Problem:
    """A libyaml error as a Problem; tabs get their own message because they are so common."""
    mark = error.problem_mark or error.context_mark
    line, column = _mark_pos(text, mark) if mark is not None else (0, 0)
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
        started_line, started_column = _mark_pos(text, error.context_mark)
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


def _reader_problem(path: Path, text: str, error: yaml.YAMLError) -> Problem:
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


ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""Phrase and checklist ids: lower-case letters, digits, '.', '_', '-'; a letter or digit first."""

_ID_RE = re.compile(ID_PATTERN[1:-1])


def describe(value: Any) -> str:
    """What a YAML value is, in words a trainer knows ("a number", "a list", ...)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping (key: value lines)"
    if isinstance(value, list):
        return "a list"
    return "text"


class Checker:
    """Collects Problems for one file while validating its parsed values against a format."""

    def __init__(self, path: Path, problems: Sequence[Problem] = ()) -> None:
        self.path = path
        self.problems: list[Problem] = list(problems)
        # Kept as a counter: validators ask before and after every phrase.
        self.error_count = sum(1 for problem in self.problems if problem.is_error)

    def error(self, pos: Pos, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, pos[0], pos[1], message, hint))
        self.error_count += 1

    def warning(self, pos: Pos, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(self.path, pos[0], pos[1], message, hint, severity=Severity.WARNING)
        )

    def unknown_keys(self, mapping: YamlMap, known: Sequence[str], what: str) -> None:
        """An error per key not in `known`, with a "did you mean" so typos never vanish."""
        for key in mapping:
            if key in known:
                continue
            name = str(key)
            close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            self.error(mapping.key_pos[key], f"unknown key '{name}' in {what}", hint)

    def require(self, mapping: YamlMap, keys: Sequence[str], what: str) -> bool:
        missing = [key for key in keys if key not in mapping]
        for key in missing:
            self.error(mapping.pos, f"{what} has no '{key}'", f"add '{key}: ...'")
        return not missing

    def text(self, mapping: YamlMap, key: str) -> str | None:
        """The non-blank text under `key` (stripped), None if absent; an error if not text."""
        if key not in mapping:
            return None
        value = mapping[key]
        pos = mapping.where(key)
        if isinstance(value, str):
            if value.strip():
                return value.strip()
            self.error(pos, f"'{key}' is blank", "write the text, or remove the line")
        elif value is None:
            self.error(pos, f"'{key}' is empty", f"write the text after '{key}:', or remove it")
        elif isinstance(value, list | dict):
            self.error(
                pos,
                f"'{key}' must be text, not {describe(value)}",
                "for several lines of text write '|' after the key and indent the lines",
            )
        else:
            self.error(
                pos,
                f"'{key}' must be text, not {describe(value)}",
                "put the text in quotes",
            )
        return None

    def identifier(self, mapping: YamlMap, key: str = "id") -> str | None:
        value = mapping.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.error(mapping.where(key), f"'{key}' must be text, not a number", "quote it")
            return None
        text = self.text(mapping, key)
        if text is None:
            return None
        if not _ID_RE.fullmatch(text):
            suggestion = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
            hint = (
                "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit"
            )
            if suggestion and _ID_RE.fullmatch(suggestion):
                hint += f", e.g. '{suggestion}'"
            self.error(mapping.where(key), f"bad id {text!r}", hint)
            return None
        return text

    def text_list(self, mapping: YamlMap, key: str) -> tuple[str, ...] | None:
        """A list of non-blank texts (stripped, duplicates dropped); None and an error if not."""
        if key not in mapping:
            return ()
        value = mapping[key]
        pos = mapping.where(key)
        if isinstance(value, str):
            self.error(pos, f"'{key}' must be a list, not text", f"write {key}: [{value.strip()}]")
            return None
        if not isinstance(value, YamlList):
            self.error(
                pos, f"'{key}' must be a list, not {describe(value)}", f"write {key}: [a, b]"
            )
            return None
        items: list[str] = []
        good = True
        for item, item_pos in zip(value, value.item_pos, strict=True):
            if isinstance(item, str) and item.strip():
                if item.strip() not in items:
                    items.append(item.strip())
                continue
            good = False
            what = "blank" if isinstance(item, str) else describe(item)
            self.error(item_pos, f"each entry of '{key}' must be text, not {what}", "quote it")
        return tuple(items) if good else None

    def boolean(self, mapping: YamlMap, key: str, default: bool) -> bool | None:
        if key not in mapping:
            return default
        value = mapping[key]
        if isinstance(value, bool):
            return value
        self.error(
            mapping.where(key),
            f"'{key}' must be true or false, not {describe(value)}",
            f"write {key}: true or {key}: false",
        )
        return None
