"""Big text: the most one note holds, where the rest of a longer text goes, and note previews.

A note (and the note being typed) holds at most `NOTE_LIMIT` characters. Text beyond that (a
log pasted whole, a huge phrase) is cut at a line or word end near the limit; the rest is saved
to a private file in the data folder, and the note ends with a line saying where. Nothing is
dropped: `head + rest` is always the text given. Lists show a bounded preview of each note;
the edit dialog and the export show it whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

NOTE_LIMIT = 10_000
"""Most characters in one note: about 125 full lines at 80 columns, far more than a call needs,
and small enough that saving the draft on every keystroke stays cheap."""

PREVIEW_LINES = 5
"""Most lines of one note shown in the note list."""
PREVIEW_CHARS = 400
"""Most characters of one note shown in the note list."""

_CUT_WINDOW = 400
"""How far back from the limit a cut looks for a line end, then a space, before cutting hard."""

OVERFLOW_FOLDER = "overflow"
"""Where, in the data folder, the rest of a text too long for a note is kept."""


def split_note(text: str, limit: int = NOTE_LIMIT) -> tuple[str, str]:
    """`text` cut after at most `limit` characters: `(head, rest)`, `head + rest == text`.

    The cut falls after a line end near the limit, else after a space, else at the limit.
    """
    limit = max(0, limit)
    if len(text) <= limit:
        return text, ""
    floor = max(0, limit - _CUT_WINDOW)
    cut = text.rfind("\n", floor, limit)
    if cut < 0:
        cut = text.rfind(" ", floor, limit)
    cut = limit if cut < 0 else cut + 1  # the line end or space stays with the head
    return text[:cut], text[cut:]


def overflow_line(moved: int, path: Path) -> str:
    """The line a note ends with when the rest of its text went to a file."""
    return f"[… {moved:,} more characters saved in {path}]"


def pointer_line(text: str) -> str:
    """The `overflow_line` a note ends with, or "" (looks only at the last line)."""
    last = text[text.rfind("\n") + 1 :]
    return last if last.startswith("[… ") and " more characters saved in " in last else ""


@dataclass(frozen=True, slots=True)
class Fitted:
    """Text made to fit in a note: what the note gets, and where the rest went, if anywhere."""

    text: str
    """What goes into the note: all of the text, or its head and the `overflow_line`."""
    rest: str = ""
    """What did not fit; saved to `path` (the desk queues the write)."""
    path: Path | None = None
    refused: str = ""
    """Why the rest could not go to a file (the overflow folder is a link...): the note
    keeps the whole text instead."""

    @property
    def moved(self) -> int:
        return len(self.rest)

    def message(self) -> str:
        """What the agent is told when the text did not fit."""
        if self.refused:
            return (
                f"A note holds at most {NOTE_LIMIT:,} characters, but the rest of this text "
                f"could not be saved to a file: {self.refused} The note keeps the whole text."
            )
        if self.path is None:
            return ""
        return (
            f"A note holds at most {NOTE_LIMIT:,} characters. The other {self.moved:,}"
            f" are saved in {self.path}; the note says so in its last line."
        )


def fit(text: str, room: int, path: Path) -> Fitted:
    """`text` made to fit in `room` characters, the rest bound for `path`.

    The note keeps as much as fits with the `overflow_line` after it; when not even that line
    fits (the note is nearly full already), it gets the line alone, a few characters over.
    """
    if len(text) <= room:
        return Fitted(text)
    # The line's length depends on how much moves, which depends on the line's length:
    # size it for the largest possible count (all of it), which is never shorter.
    reserve = len(overflow_line(len(text), path)) + 1
    head, rest = split_note(text, max(0, room - reserve))
    separator = "" if not head or head.endswith("\n") else "\n"
    return Fitted(head + separator + overflow_line(len(rest), path), rest, path)


def overflow_path(folder: Path, call_id: int, at: datetime, number: int) -> Path:
    """A new file name for the rest of a text from call `call_id`, unique with `number`."""
    return folder / f"call-{call_id}-{at:%Y%m%d-%H%M%S}-{number}.txt"


@dataclass(frozen=True, slots=True)
class Preview:
    """The start of a note as a list shows it, and how much of it is not shown."""

    text: str
    hidden: int
    """Characters of the note not in `text`."""

    def more(self) -> str:
        """`… 1,234 more characters`, or "" when the whole note is shown."""
        if not self.hidden:
            return ""
        return f"… {self.hidden:,} more character{'s' if self.hidden != 1 else ''}"


def preview(text: str, lines: int = PREVIEW_LINES, chars: int = PREVIEW_CHARS) -> Preview:
    """The first `lines` lines and at most `chars` characters of `text`, in time bounded by
    `chars` (never by the note's length)."""
    head = text[:chars]
    if head.count("\n") >= lines:
        end = -1
        for _ in range(lines):
            end = head.find("\n", end + 1)
        head = head[:end]
    head = head.rstrip("\n")
    return Preview(head, len(text) - len(head))


DETAIL_CHARS = NOTE_LIMIT + 1_000
"""Most characters of one note a call's detail view (history) shows: a note at the limit,
with the line saying where the rest is, shows whole."""
