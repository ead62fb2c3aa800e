"""Showing untrusted text (notes, phrases, caller ids) without a terminal ever obeying it."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass

# Bidirectional overrides, isolates and marks can make text read backwards or hide part of it
# ("invoice \u202egpj.exe" shows as "invoice exe.jpg").
BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Joiners and emoji tag characters are format characters that real names and emoji need.
KEEP_FORMAT = frozenset([0x200C, 0x200D, *range(0xE0020, 0xE0080)])
# Fast path: plain ASCII needs no per-character look.
_PLAIN = re.compile(r"[\n\t\x20-\x7e]*")
# Controls (C0, DEL, C1), surrogates, line and paragraph separators: hidden in every script.
# U+2028/U+2029 break lines in some terminals and editors while reading as nothing.
_HIDDEN_CATEGORIES = frozenset(("Cc", "Cs", "Zl", "Zp"))


def escape_char(char: str) -> str:
    """`\\x1b`, `\\u202e` or `\\U000e0001`: how a hidden character is shown."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_hidden(char: str) -> bool:
    """Control, surrogate, bidi, line-separator or other invisible format characters.

    Newline and tab are not hidden: notes have lines, and a tab shows as space.
    """
    if char in "\n\t":
        return False
    code = ord(char)
    category = unicodedata.category(char)
    return (
        category in _HIDDEN_CATEGORIES
        or code in BIDI_CONTROLS
        or (category == "Cf" and code not in KEEP_FORMAT)
    )


def _surely_shown(text: str) -> bool:
    """True when `text` has no hidden character, decided without a per-character loop.

    `str.isprintable` is False for every hidden character (and for a few shown ones, such as
    no-break spaces and joiners, which then take the slow path).
    """
    return bool(_PLAIN.fullmatch(text)) or text.replace("\n", " ").replace("\t", " ").isprintable()


def has_hidden(text: str) -> bool:
    """Whether `visible(text)` would differ from `text`."""
    return not _surely_shown(text) and any(is_hidden(char) for char in text)


def visible_line(text: str) -> str:
    """`visible(text)` for a one-line field: newlines and tabs are escapes too (`\\x0a`)."""
    return "".join(escape_char(char) if char in "\n\t" else char for char in visible(text))


def visible(text: str) -> str:
    """`text` with every hidden character written as a visible escape; newlines and tabs kept."""
    if _surely_shown(text):
        return text
    return "".join(escape_char(char) if is_hidden(char) else char for char in text)


# -- editing what is shown ------------------------------------------------------------------

Mark = tuple[int, str]
"""A hidden character and where its escape starts in the shown text."""


def _escape_length(char: str) -> int:
    """`len(escape_char(char))`, without formatting it."""
    code = ord(char)
    return 4 if code <= 0xFF else 6 if code <= 0xFFFF else 10


def _extra(marks: list[Mark] | tuple[Mark, ...]) -> int:
    """How many more characters `marks` take shown than true."""
    return sum(_escape_length(char) - 1 for _, char in marks)


def _shown_with_marks(text: str, at: int = 0, one_line: bool = False) -> tuple[str, list[Mark]]:
    if _surely_shown(text) and not (one_line and ("\n" in text or "\t" in text)):
        return text, []
    parts: list[str] = []
    marks: list[Mark] = []
    offset = at
    for char in text:
        if is_hidden(char) or (one_line and char in "\n\t"):
            escaped = escape_char(char)
            marks.append((offset, char))
            parts.append(escaped)
            offset += len(escaped)
        else:
            parts.append(char)
            offset += 1
    return "".join(parts), marks


@dataclass(frozen=True, slots=True)
class ShownEdit:
    """One replacement in a `ShownText`, kept so that undo and redo restore hidden characters."""

    start: int
    removed: str
    """The shown text that was replaced."""
    inserted: str
    """The shown text that replaced it (hidden characters of the new text as escapes)."""
    removed_marks: tuple[Mark, ...]
    inserted_marks: tuple[Mark, ...]
    true_start: int
    true_removed: str
    true_inserted: str


class ShownText:
    """Text as an editor shows it: hidden characters as escapes, each escape remembered.

    The agent edits `shown`; `text` is the true text. An escape the agent leaves whole still
    stands for its hidden character, so a caller name or note keeps its exact value when only
    part of it is edited. An escape the agent cuts into, or types over, becomes the plain text
    it showed: what the agent sees is what is kept. Invariant: `visible(text) == shown`
    (`visible_line(text)` with `one_line`, for a one-line field, where a newline or a tab
    is shown as an escape too).

    An edit costs the length of the text (string slicing) plus the number of escapes after it,
    so typing at the end of a long paste stays fast.
    """

    __slots__ = ("_extra", "_marks", "_one_line", "shown", "text")

    def __init__(self, text: str = "", *, one_line: bool = False) -> None:
        self.text = text
        """The true text."""
        self._one_line = one_line
        self.shown, self._marks = _shown_with_marks(text, one_line=one_line)
        self._extra = _extra(self._marks)

    @property
    def marks(self) -> tuple[Mark, ...]:
        return tuple(self._marks)

    def replace(self, start: int, end: int, new: str) -> ShownEdit:
        """Replace `shown[start:end]` with `new`, whose hidden characters are kept as such."""
        size = len(self.shown)
        start, end = sorted((min(max(0, start), size), min(max(0, end), size)))
        first, last = self._touched(start, end)
        marks = self._marks
        # The true text changes over the whole of any escape the edit touches.
        wide_start = min(start, marks[first][0]) if first < last else start
        wide_end = max(end, _mark_end(marks[last - 1])) if first < last else end
        extra_after = _extra(marks[last:])
        extra_touched = _extra(marks[first:last])
        true_start = wide_start - (self._extra - extra_after - extra_touched)
        true_end = wide_end - (self._extra - extra_after)
        true_inserted = self.shown[wide_start:start] + new + self.shown[end:wide_end]
        true_removed = self.text[true_start:true_end]
        removed = self.shown[start:end]
        inserted, inserted_marks = _shown_with_marks(new, start, self._one_line)
        removed_marks = self._apply(
            start, end, inserted, inserted_marks, true_start, true_end, true_inserted
        )
        return ShownEdit(
            start,
            removed,
            inserted,
            removed_marks,
            tuple(inserted_marks),
            true_start,
            true_removed,
            true_inserted,
        )

    def undo(self, edit: ShownEdit) -> None:
        """Take back `edit`, the last replacement not yet undone."""
        self._apply(
            edit.start,
            edit.start + len(edit.inserted),
            edit.removed,
            list(edit.removed_marks),
            edit.true_start,
            edit.true_start + len(edit.true_inserted),
            edit.true_removed,
        )

    def redo(self, edit: ShownEdit) -> None:
        """Make `edit` again, after `undo`."""
        self._apply(
            edit.start,
            edit.start + len(edit.removed),
            edit.inserted,
            list(edit.inserted_marks),
            edit.true_start,
            edit.true_start + len(edit.true_removed),
            edit.true_inserted,
        )

    def _touched(self, start: int, end: int) -> tuple[int, int]:
        """The slice of marks whose escape `shown[start:end]` covers or cuts into.

        With `start == end` (an insertion): the mark the insertion point is inside of.
        """
        marks = self._marks
        # Marks are sorted and never overlap, so the touched ones are consecutive.
        first = bisect_left(marks, start, key=_mark_offset)
        if first and _mark_end(marks[first - 1]) > start:
            first -= 1
        limit = end if end > start else start
        last = first
        while last < len(marks) and marks[last][0] < limit:
            last += 1
        return first, last

    def _apply(
        self,
        start: int,
        end: int,
        inserted: str,
        new_marks: list[Mark],
        true_start: int,
        true_end: int,
        true_inserted: str,
    ) -> tuple[Mark, ...]:
        """Splice `inserted` (with `new_marks`) over `shown[start:end]`, and the true text.

        Returns the marks that stop standing for their character.
        """
        first, last = self._touched(start, end)
        marks = self._marks
        shift = len(inserted) - (end - start)
        after = [(offset + shift, char) for offset, char in marks[last:]]
        touched = tuple(marks[first:last])
        self._marks = [*marks[:first], *new_marks, *after]
        self._extra += _extra(new_marks) - _extra(touched)
        self.shown = self.shown[:start] + inserted + self.shown[end:]
        self.text = self.text[:true_start] + true_inserted + self.text[true_end:]
        return touched


def _mark_offset(mark: Mark) -> int:
    return mark[0]


def _mark_end(mark: Mark) -> int:
    return mark[0] + _escape_length(mark[1])


def counted(count: int, noun: str, plural: str = "") -> str:
    """`1 call`, `2 calls`: a count with its noun in the singular or the plural.

    The plural is `noun` + "s", + "es" after s, x, z, ch or sh, and "ies" for a consonant
    and y, unless `plural` is given.
    """
    if count == 1:
        return f"{count} {noun}"
    if not plural:
        if noun.endswith(("s", "x", "z", "ch", "sh")):
            plural = noun + "es"
        elif noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u", ""):
            plural = noun[:-1] + "ies"
        else:
            plural = noun + "s"
    return f"{count} {plural}"
