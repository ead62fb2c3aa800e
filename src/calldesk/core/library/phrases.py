"""The Phrase model: a phrase, the promise it makes, its placeholders and how they are filled."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from calldesk.core.library.words import fold

KNOWN_PLACEHOLDERS: Mapping[str, str] = {
    "customer": "the caller's name",
    "number": "the caller's phone number",
    "ticket": "the ticket reference for this call",
    "agent": "your own name, from the config (agent_name)",
}
"""Placeholder name -> what fills it, one line each."""

PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""A placeholder (group 1: its name), or `{{` / `}}` (a literal brace)."""


_DUE_PART = r"(\d{1,4})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?)"
_DUE_RE = re.compile(rf"\s*(?:{_DUE_PART}\s*)+", re.IGNORECASE)
DUE_PATTERN = (
    r"^\s*([0-9]{1,4}\s*([mM]|[mM][iI][nN][sS]?|[mM][iI][nN][uU][tT][eE][sS]?|[hH]|[hH][rR][sS]?"
    r"|[hH][oO][uU][rR][sS]?|[dD]|[dD][aA][yY][sS]?)\s*)+$"
)
"""`due` as a JSON Schema pattern (which has no ignore-case flag)."""
_DUE_PART_RE = re.compile(_DUE_PART, re.IGNORECASE)
_DUE_UNITS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Promise:
    """What a phrase commits the agent to (a callback, an email), so calldesk can remind them."""

    what: str
    """The promise in a few words: "call back with the RMA number"."""
    due: str = ""
    """The suggested time to keep it, as the trainer wrote it ("2h", "1d"); empty for none."""

    @property
    def due_seconds(self) -> int | None:
        """`due` in seconds (None when there is none)."""
        return parse_due(self.due) if self.due else None


def parse_due(text: str) -> int | None:
    """`30m`, `2h`, `1d`, `1h 30m` (or `2 hours`, `1 day`) in seconds; None if not one of those."""
    if not _DUE_RE.fullmatch(text):
        return None
    total = sum(
        int(number) * _DUE_UNITS[unit[0].lower()] for number, unit in _DUE_PART_RE.findall(text)
    )
    return total or None


@dataclass(frozen=True, slots=True)
class Phrase:
    """One thing worth saying on a call, as the trainer wrote it (placeholders unfilled)."""

    id: str
    title: str
    say: str
    category: str
    tags: tuple[str, ...] = ()
    when: str = ""
    instead_of: str = ""
    sets: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # what agents type for it, searched like the title
    source: Path = Path()
    line: int = 0
    key: str = ""
    """The clause that carries the phrase, quoted from `say` (empty: practice picks one)."""
    priority: int | None = None
    """The trainer's teaching order: new practice cards with a lower number come first."""
    promise: Promise | None = None
    """What saying this phrase commits the agent to; None when it promises nothing."""
    positions: tuple[tuple[str, int, int], ...] = field(default=(), compare=False, repr=False)
    """(field, line, column) of each field's value in its file, for the style lint."""

    def position(self, name: str) -> tuple[int, int]:
        """Where the value of field `name` starts in the file; the phrase's own line if unknown."""
        for key, line, column in self.positions:
            if key == name:
                return (line, column)
        return (self.line, 1)


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order of first use (`{{` and `}}` are not ones)."""
    names: list[str] = []
    for match in PLACEHOLDER_RE.finditer(text):
        name = match.group(1)
        if name and name not in names:
            names.append(name)
    return names


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill known placeholders that have a value; the rest stay visible as `{name}`."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]  # `{{` -> `{`, `}}` -> `}`
        value = values.get(name, "") if name in KNOWN_PLACEHOLDERS else ""
        return value if value else match.group(0)

    return PLACEHOLDER_RE.sub(fill, text)


def sort_key(phrase: Phrase) -> tuple[str, str, str]:
    """The library's default order: by category, then title."""
    return (fold(phrase.category), fold(phrase.title), phrase.id)
