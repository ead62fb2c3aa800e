"""Trainer text on a terminal: one line with control characters shown, padded to its width."""

from __future__ import annotations

import unicodedata


def printable(text: str) -> str:
    """One line, with control characters (escape sequences, bidi overrides) shown, never obeyed."""
    from calldesk.core.textsafe import visible

    return visible(text).replace("\n", " ").replace("\t", " ")


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: wide (East Asian) characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` columns."""
    return text + " " * max(width - display_width(text), 0)


def count(number: int, noun: str) -> str:
    """`number` and `noun`, plural when it should be (`calldesk.core.textsafe.counted`)."""
    from calldesk.core.textsafe import counted

    return counted(number, noun)


def columns(rows: list[tuple[str, ...]], right: int = 0) -> list[str]:
    """Rows padded into aligned columns; the first `right` columns are numbers, right-aligned."""
    widths = [max(display_width(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines: list[str] = []
    for row in rows:
        cells = [
            " " * (widths[index] - display_width(cell)) + cell
            if index < right
            else pad(cell, widths[index])
            for index, cell in enumerate(row)
        ]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines
