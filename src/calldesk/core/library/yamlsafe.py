"""Safe YAML parsing: values with positions, bounded depth and aliases, problems not raised."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml import events

from calldesk.core.library.problems import Problem
from calldesk.core.library.yamltext import (
    Pos,
    TextLines,
    deep_flow_start,
    positions,
    reader_problem,
    resolve_plain,
    syntax_problem,
)

MAX_DEPTH = 64
"""Deepest nesting accepted; phrase files need four levels."""

MAX_ALIAS_NODES = 100_000
"""How many values aliases (*name) may add in total; a billion-laughs bomb stops here."""


_Loader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null")
)
_MAP, _SEQ = f"{_TAG}map", f"{_TAG}seq"


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

    @classmethod
    def failure(
        cls, path: Path, message: str, hint: str, line: int = 0, column: int = 0
    ) -> YamlDocument:
        """A file that gave no value, only this problem."""
        return cls(path=path, problems=[Problem(path, line, column, message, hint)])


class _Stop(Exception):
    """Reading cannot go on; the Problem has been recorded."""


def parse_yaml(data: bytes | str, path: Path) -> YamlDocument:
    """Parse YAML text (bytes must be UTF-8; a BOM is dropped) into plain values with positions."""
    if isinstance(data, bytes):
        if data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line, column = _byte_position(data, error.start)
            return YamlDocument.failure(
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
            doc.problems.append(syntax_problem(path, text, error))
        else:
            doc.problems.append(reader_problem(path, text, error))
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
        self.event_pos: Callable[[Any], Pos] = positions(text)
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
                self.event_pos(event),
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
            self.event_pos(event),
            f"unsupported tag {shown}",
            "only plain YAML is read here: remove the tag",
        )
        return False

    def _mapping_start(self, event: Any) -> None:
        self._open(event, YamlMap(self.event_pos(event)), _MAP)

    def _sequence_start(self, event: Any) -> None:
        self._open(event, YamlList(self.event_pos(event)), _SEQ)

    def _open(self, event: Any, value: YamlMap | YamlList, tag: str) -> None:
        self._check_tag(event, (tag,))
        if len(self.stack) >= MAX_DEPTH:
            self.problems.append(_too_deep(self.path, self.event_pos(event)))
            raise _Stop
        if self.stack and self.stack[-1].is_map and not self.stack[-1].has_key:
            self._error(
                self.event_pos(event),
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
        pos = self.event_pos(event)
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
        pos = self.event_pos(event)
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
            return resolve_plain(text) if event.implicit[0] else text
        if tag == "!" or tag == _STR:
            return text
        if not self._check_tag(event, (_INT, _FLOAT, _BOOL, _NULL)):
            return None
        value = resolve_plain(text)
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
    cut = deep_flow_start(text, MAX_DEPTH)
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
            problems.append(syntax_problem(path, text, error))
            return problems
        if len(builder.stack) >= MAX_DEPTH:
            problems.append(_too_deep(path, TextLines(text).at(cut)))
            return problems
    except yaml.YAMLError:
        pass
    return None
