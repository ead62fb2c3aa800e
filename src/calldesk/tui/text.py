"""Turning user and trainer text into widget content that is always shown literally."""

from __future__ import annotations

import re

from rich.text import Text

# C0/C1 control characters other than newline and tab would move the cursor or change colours
# if they reached the terminal; show them as visible escapes instead.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with control characters replaced by visible `\\x1b`-style escapes."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def literal(text: str, style: str = "") -> Text:
    """Rich Text that never interprets markup or escape sequences in `text`."""
    return Text(visible(text), style=style)


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters, ending in an ellipsis when cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"
