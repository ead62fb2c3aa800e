"""Markdown escaping: text from callers, agents and trainers always reads literally in an export."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from calldesk.core.textsafe import has_hidden, visible

if TYPE_CHECKING:
    pass


# -- Markdown escaping ----------------------------------------------------------------------

# Characters that start inline structure anywhere in a line: escapes, code spans, emphasis,
# links and images, raw HTML and autolinks, entities, headings, table cells and strikethrough
# (the last two for GitHub-flavoured renderers).
_ALWAYS = str.maketrans({char: "\\" + char for char in "\\`*_[]<>&#|~"})
# Characters that start block structure only at the beginning of a line: list items, setext
# underlines and thematic breaks, ordered list items.
_LINE_START = re.compile(r"[-+=]|\d+[.)]")


def _entity(char: str) -> str:
    return f"&#{ord(char)};"


def _escape_line(line: str, line_start: bool = True) -> str:
    """One line of user text as inline Markdown that renders exactly as the line reads.

    `line_start` False: the line follows other inline text, where `-`, `+`, `=` and `1.`
    cannot start a block and are left unescaped.
    """
    core = line.strip()
    if not core:
        if not line:
            return ""
        # Whitespace at either end of a line is dropped by Markdown; as an entity it is kept.
        if len(line) == 1:
            return _entity(line)
        return _entity(line[0]) + line[1:-1] + _entity(line[-1])
    body = core.translate(_ALWAYS)
    lead = line[: len(line) - len(line.lstrip())]
    trail = line[len(line.rstrip()) :]
    if line_start and not lead:
        start = _LINE_START.match(body)
        if start:
            cut = start.end() - 1
            body = f"{body[:cut]}\\{body[cut:]}"
    head = _entity(lead[0]) + lead[1:] if lead else ""
    tail = trail[:-1] + _entity(trail[-1]) if trail else ""
    return head + body + tail


# Text that needs no escaping at all: most notes. Checked first, as escaping is per line.
_PLAIN = re.compile(
    r"[^\s\\`*_\[\]<>&#|~+=\-\d\x00-\x1f\x7f-\x9f]"
    r"[^\n\r\\`*_\[\]<>&#|~\x00-\x08\x0b-\x1f\x7f-\x9f]*(?<!\s)"
)


def escape_inline(text: str, indent: str = "", *, line_start: bool = True) -> str:
    """User text as inline Markdown (a paragraph's content) that renders exactly as typed.

    Lines are joined by hard line breaks (a backslash at the end of the line), each continuation
    line starting with `indent` so it stays inside its list item. Line breaks at the very start
    or end, where a hard break cannot go, are written as `&#10;`. Control characters become
    visible escapes (see `visible`) and CRLF line ends become plain newlines. `line_start`
    False: the text follows other inline text on its first line (see `_escape_line`).
    """
    if _PLAIN.fullmatch(text) and not has_hidden(text):
        return text
    lines = visible(text.replace("\r\n", "\n")).split("\n")
    trailing = 0
    while len(lines) > 1 and lines[-1] == "":
        lines.pop()
        trailing += 1
    leading = 0
    while len(lines) > 1 and lines[0] == "":
        lines.pop(0)
        leading += 1
    first = _escape_line(lines[0], line_start and not leading)
    rest = (_escape_line(line) for line in lines[1:])
    joined = f"\\\n{indent}".join([first, *rest])
    return "&#10;" * leading + joined + "&#10;" * trailing


def escape_line(text: str, *, line_start: bool = True) -> str:
    """User text for a single-line place such as a heading: line breaks become spaces."""
    flat = " ".join(visible(text.replace("\r\n", "\n")).split("\n"))
    return _escape_line(flat, line_start)
