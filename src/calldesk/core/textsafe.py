"""Showing untrusted text (notes, phrases, caller ids) without a terminal ever obeying it."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides, isolates and marks can make text read backwards or hide part of it
# ("invoice \u202egpj.exe" shows as "invoice exe.jpg").
BIDI_CONTROLS = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Joiners and emoji tag characters are format characters that real names and emoji need.
KEEP_FORMAT = frozenset([0x200C, 0x200D, *range(0xE0020, 0xE0080)])
# Fast path: plain ASCII needs no per-character look.
_PLAIN = re.compile(r"[\n\t\x20-\x7e]*")


def escape_char(char: str) -> str:
    """`\\x1b`, `\\u202e` or `\\U000e0001`: how a hidden character is shown."""
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def is_hidden(char: str) -> bool:
    """Control, surrogate, bidi or other invisible format characters (newline and tab are not)."""
    if char in "\n\t":
        return False
    code = ord(char)
    category = unicodedata.category(char)
    return (
        category in ("Cc", "Cs")
        or code in BIDI_CONTROLS
        or (category == "Cf" and code not in KEEP_FORMAT)
    )


def visible(text: str) -> str:
    """`text` with every hidden character written as a visible escape; newlines and tabs kept."""
    if _PLAIN.fullmatch(text):
        return text
    return "".join(escape_char(char) if is_hidden(char) else char for char in text)
