"""Turning user and trainer text into widget content that is always shown literally."""

from __future__ import annotations

from rich.text import Text

from calldesk.core.textsafe import visible

__all__ = ["clip", "literal", "visible"]


def literal(text: str, style: str = "") -> Text:
    """Rich Text that never interprets markup or escape sequences in `text`."""
    return Text(visible(text), style=style)


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters, ending in an ellipsis when cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"
