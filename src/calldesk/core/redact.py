"""Masking personal data in exported text: email addresses, phone numbers and card numbers."""

from __future__ import annotations

import re

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
NUMBER = "[number]"

_EMAIL = r"[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}"
# Dates, times and IPv4 addresses are matched first and kept as they are, so their digits are
# never read as part of a phone number ("2026-11-24 09:41" is not a ten-digit number).
_KEEP = (
    r"\d{4}-\d{1,2}-\d{1,2}(?![\d\-])"
    r"|\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})(?![\d./\-])"
    r"|\d{1,2}:\d{2}(?::\d{2})?(?!\d)"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?![\d.])"
)
# Anything number-like: an optional +, digits, and single separators (space, dot, dash) or
# brackets between them. A separator is only taken when a digit follows, so the match always
# ends in a digit. Not glued to a word or to a dotted or dashed number, so ticket T-1234-5678,
# part number AB12345678 or the tail of 1.2.3.4.5.6.7 is never taken for a phone number.
_NUMBERISH = (
    r"(?<![\w+(])(?<!\d[.\-])(?<![^\W\d_]-)"
    r"(?:\+ ?)?\(?\d(?:\d|[ .\-]\(?(?=\d)|\)[ .\-]?(?=\d))*"
)
_PATTERN = re.compile(rf"(?P<email>{_EMAIL})|(?<![\w.])(?P<keep>{_KEEP})|(?P<number>{_NUMBERISH})")


def luhn_valid(digits: str) -> bool:
    """True when `digits` passes the Luhn check that every payment card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def classify_number(candidate: str) -> str | None:
    """The mask for a number-like piece of text, or None when it should stay.

    - 13 or more digits written with at most spaces and dashes between them: `[card]` when
      13-19 digits pass the Luhn check, otherwise `[number]` (`[phone]` for up to 17 digits
      starting with 0, which no card number does: 0044 20 7946 0958). Long numbers that fail
      the check are masked too: a card number with one digit mistyped is still most of a card
      number, and losing a long reference number from a redacted copy costs little.
    - 7 to 15 digits (the most E.164 allows) with a leading + or separators: `[phone]`;
      an unbroken run of digits only from 10 digits on, so shorter order or ticket ids stay.
      Without a +, dotted groups must be at least two digits, so version 10.0.19045.2965 stays.
    """
    digits = "".join(char for char in candidate if char.isdigit())
    count = len(digits)
    plus = candidate.startswith("+")
    separators = {char for char in candidate if not char.isdigit()} - {"+"}
    if not plus and count >= 13 and separators <= {" ", "-"}:
        if digits.startswith("0"):
            # No card number starts with 0; 00 is the international prefix (0044 20 7946 0958).
            return PHONE if count <= 17 else NUMBER
        return CARD if count <= 19 and luhn_valid(digits) else NUMBER
    if not 7 <= count <= 15:
        return NUMBER if plus and count > 15 else None
    if (
        not plus
        and "." in separators
        and min(len(group) for group in re.findall(r"\d+", candidate)) < 2
    ):
        return None
    if not plus and not separators and count < 10:
        return None
    return PHONE


def _mask(match: re.Match[str]) -> str:
    if match.group("email") is not None:
        return EMAIL
    if match.group("keep") is not None:
        return match.group()
    candidate = match.group()
    mask = classify_number(candidate)
    if mask is not None:
        return mask
    # A kept number can run into a phone number after a space ("v1.2.3 555-123-4567"):
    # look again at what follows the first group.
    head, space, tail = candidate.partition(" ")
    if space and tail:
        return head + space + _PATTERN.sub(_mask, tail)
    return candidate


def redact(text: str) -> str:
    """`text` with email addresses, phone numbers and card-like numbers replaced by a mask.

    Names and street addresses are not detected and stay as they are.
    """
    if not text:
        return text
    return _PATTERN.sub(_mask, text)
