"""Masking personal data in exported text: email addresses, phone, card and IBAN numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import islice

from calldesk.core.calls.model import normalise_number

EMAIL = "[email]"
PHONE = "[phone]"
CARD = "[card]"
IBAN = "[iban]"
NUMBER = "[number]"

# Text is matched in a copy where every way of writing a separator is one character: any
# horizontal space (tab, no-break, narrow no-break, thin, ideographic; invisible spaces too)
# becomes " ", every dash "-", and fullwidth punctuation its ASCII twin. The copy has the same
# length, so what is found in it is masked at the same place in the text as typed.
_SPACES = "\t\u00a0\u1680\u180e\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
_SPACES += "\u2009\u200a\u200b\u200c\u200d\u202f\u205f\u2060\u3000\ufeff\u00ad"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_NORMALISE = str.maketrans(
    {
        **dict.fromkeys(_SPACES, " "),
        **dict.fromkeys(_DASHES, "-"),
        **dict.fromkeys("\uff0e\u3002\uff61\u00b7", "."),
        "\uff0f": "/",
        "\uff3f": "_",
        "\uff20": "@",
        "\ufe6b": "@",
        "\uff0b": "+",
        "\uff08": "(",
        "\uff09": ")",
        "\uff1a": ":",
    }
)

# Kept as they are: dates, times, IPv4 addresses and year ranges (2019-2024).
_DATE_TIME_IP = (
    r"\d{4}-\d{1,2}-\d{1,2}(?![\d\-])"
    r"|\d{1,2}[./\-]\d{1,2}[./\-]\d{4}(?![\d./\-])"
    r"|\d{1,2}:\d{2}(?!\d)"
    r"|\d{1,3}(?:\.\d{1,3}){3}(?![\d.])"
)
_KEEP = (
    rf"{_DATE_TIME_IP}"
    r"|\d{1,2}[./\-]\d{1,2}[./\-]\d{2}(?![\d./\-])"
    r"|(?:19|20)\d{2} ?[\-/] ?(?:19|20)\d{2}(?![\d./\-])"
)
# Between the digit groups of one number: up to three spaces ("4111  1111"), a dot, dash or
# underscore with a space either side ("4111 - 1111"), or a bare slash ("030/12345678"): with
# spaces around it, a slash separates two numbers ("+44 20 7946 0958 / 4111 1111 1111 1111").
_GAP = r"(?: {1,3}| ?[._\-]{1,2} ?|/)"
# After spaces, a number without a + never runs on into a date, time or IP address
# ("555 1234 24.11.2026"); after a dot it may, as in 01.23.45.67.89, whose tail reads like an
# IP address. One with a + is a phone number whatever follows (+1 10-10-1000).
_LOCAL_GAP = rf"(?: {{1,3}}(?!{_DATE_TIME_IP})| ?[._\-]{{1,2}} ?|/)"
_SPACED_GAP = re.compile(r"[ ./_\-]* [ ./_\-]*")
_MAX_CHUNKS = 8
"""Most space-separated chunks a phone or card number is written in (+33 1 23 45 67 89)."""


def _numberish(gap: str) -> str:
    """Digits with `gap`s or brackets between them, always ending in a digit."""
    return rf"\(?\d(?:\d|{gap}\(?(?=\d)|\) ?(?:[./\-] ?)?(?=\d))*"


_NUMBERISH = rf"\+ ?{_numberish(_GAP)}|{_numberish(_LOCAL_GAP)}"
_EMAIL = r"(?<![\w.%+\-])[\w.%+\-]+@[\w\-]+(?:\.[\w\-]+)*"
_IBAN = r"(?<![^\W_])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,30}"


def _pattern(*, email: bool = True, iban: bool = True) -> re.Pattern[str]:
    parts = [rf"(?P<email>{_EMAIL})"] if email else []
    parts += [rf"(?P<iban>{_IBAN})"] if iban else []
    parts += [
        rf"(?<![\w.])(?P<keep>{_KEEP})",
        # Not glued to a word or to a dotted or dashed number, so ticket T-1234-5678, part
        # number AB12345678 or the tail of 1.2.3.4.5.6.7 is not taken for a phone number...
        rf"(?<![\w+])(?<!\d[./_\-])(?<![^\W\d_]-)(?P<number>{_NUMBERISH})",
        # ...but a number glued to a word still is when it is long or international:
        # cc4111111111111111, Tel+44 20 7946 0958 (see `classify_number`).
        rf"(?:(?<=[^\W\d])|(?<=[^\W\d_]-))(?P<glued>{_NUMBERISH})",
    ]
    return re.compile("|".join(parts))


_PATTERN = _pattern()
_NOT_EMAIL = _pattern(email=False)
_NOT_IBAN = _pattern(iban=False)
_EMAIL_HERE = re.compile(_EMAIL.removeprefix(r"(?<![\w.%+\-])"))
_DIGITS = re.compile(r"\d")
_MAYBE = re.compile(r"[\d@\uff20\ufe6b]")
_GROUPS = re.compile(r"\d+")
_WORD_BEFORE = re.compile(r"([^\W\d_]+)[\-.:]?\Z")
_PHONE_WORDS = frozenset(
    [
        "tel",
        "tele",
        "telephone",
        "telefon",
        "telefono",
        "phone",
        "ph",
        "fon",
        "mob",
        "mobile",
        "mobil",
        "cell",
        "handy",
        "fax",
        "tlf",
        "tfn",
        "nr",
        "no",
        "num",
        "number",
        "call",
        "ring",
    ]
)

# IBAN length by country (ISO 13616 registry); a match of the right length is an IBAN even
# when a digit is mistyped, as a mistyped card number is still most of one.
_IBAN_LENGTHS = {
    **dict.fromkeys(["NO"], 15),
    **dict.fromkeys(["BE"], 16),
    **dict.fromkeys(["DK", "FI", "FK", "FO", "GL", "NL", "SD"], 18),
    **dict.fromkeys(["MK", "SI"], 19),
    **dict.fromkeys(["AT", "BA", "EE", "KZ", "LT", "LU", "MN", "XK"], 20),
    **dict.fromkeys(["CH", "HR", "LI", "LV"], 21),
    **dict.fromkeys(["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"], 22),
    **dict.fromkeys(["AE", "GI", "IL", "IQ", "OM", "SO", "TL"], 23),
    **dict.fromkeys(["AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"], 24),
    **dict.fromkeys(["LY", "PT", "ST"], 25),
    **dict.fromkeys(["IS", "TR"], 26),
    **dict.fromkeys(["BI", "DJ", "FR", "GR", "IT", "MC", "MR", "SM"], 27),
    **dict.fromkeys(["AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "NI", "PL", "SV"], 28),
    **dict.fromkeys(["BR", "EG", "PS", "QA", "UA"], 29),
    **dict.fromkeys(["JO", "KW", "MU", "YE"], 30),
    **dict.fromkeys(["MT", "SC"], 31),
    **dict.fromkeys(["LC"], 32),
    **dict.fromkeys(["RU"], 33),
}


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


def _digits(text: str) -> str:
    # int() reads any decimal digit (fullwidth, Arabic-Indic ...); the result is ASCII.
    return "".join(str(int(char)) for char in _DIGITS.findall(text))


def _looks_like_card(candidate: str, digits: str) -> bool:
    """A number glued to a word, written in groups, is a card only if it reads like one."""
    groups = _GROUPS.findall(candidate)
    shaped = len(groups[0]) >= 4 and all(len(group) >= 3 for group in groups[1:-1])
    return shaped and 13 <= len(digits) <= 19 and digits[0] != "0" and luhn_valid(digits)


def classify_number(candidate: str, *, glued: bool = False) -> str | None:
    """The mask for a number-like piece of text (separators normalised), or None to keep it.

    - 13 or more digits, whatever the separators: `[card]` when 13-19 digits pass the Luhn
      check, otherwise `[number]` (`[phone]` for up to 17 digits starting with 0, which no
      card number does: 0044 20 7946 0958). Long numbers that fail the check are masked too:
      a card number with one digit mistyped is still most of a card number, and losing a
      long reference number from a redacted copy costs little.
    - 7 to 15 digits (the most E.164 allows) with a leading + or separators: `[phone]`;
      an unbroken run of digits only from 10 digits on, so shorter order or ticket ids stay.
      Dotted groups (but the last) must be at least two digits, so version 10.0.19045.2965
      stays; a slash
      only after a leading 0 or + (030/12345678), so 1920/1080 stays; underscores only in
      card-length numbers.
    - `glued` (right after a letter): only a leading + or 13 digits and more count, so part
      number AB12345678 and INC0012345 stay.
    """
    digits = _digits(candidate)
    count = len(digits)
    plus = candidate.startswith("+")
    groups = _GROUPS.findall(candidate)
    separators = set(candidate) - set("0123456789+() ") - set(_DIGITS.findall(candidate))
    spaced = " " in candidate
    if glued and not plus and count < 13:
        return None
    if not plus and "." in separators and min(len(group) for group in groups[:-1]) < 2:
        return None  # a version number; a card's last group may be one digit (4-4-4-1)
    if not plus and count >= 13:
        if glued and (separators or spaced) and not _looks_like_card(candidate, digits):
            return None
        if digits.startswith("0"):
            # No card number starts with 0; 00 is the international prefix (0044 20 7946 0958).
            return PHONE if count <= 17 else NUMBER
        return CARD if count <= 19 and luhn_valid(digits) else NUMBER
    if not 7 <= count <= 15:
        return NUMBER if plus and count > 15 else None
    if "_" in separators:
        return None
    if "/" in separators and not (plus or digits.startswith("0")):
        return None
    if not plus and not separators and not spaced and "(" not in candidate and count < 10:
        return None
    return PHONE


def _same_number(found: str, known: str) -> bool:
    """`found` digits are the number `known`, as written with or without its prefixes."""
    found, known = found.lstrip("0"), known.lstrip("0")
    if found == known:
        return bool(found)
    shorter, longer = sorted((found, known), key=len)
    return len(shorter) >= 7 and longer.endswith(shorter)


def _iban_checksum_ok(iban: str) -> bool:
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(char, 36)) for char in moved)) % 97 == 1


def _iban_end(normalised: str, match: re.Match[str]) -> int | None:
    """Where the IBAN starting at `match` ends, or None if it is not one.

    It has its country's length and ends where a group ends; it is mostly digits (so
    "no12 issues found" is not a Norwegian IBAN) or passes the IBAN check.
    """
    text = match.group()
    length = _IBAN_LENGTHS.get(text[:2].upper())
    if length is None:
        return None
    chars: list[str] = []
    for offset, char in enumerate(text):
        if char.isalnum():
            chars.append(char.upper())
            if len(chars) == length:
                end = match.start() + offset + 1
                break
    else:
        return None
    if normalised[end : end + 1].isalnum():
        return None  # halfway into a word
    iban = "".join(chars)
    digits = sum(char.isdigit() for char in iban[4:])
    if 2 * digits >= length - 4 or _iban_checksum_ok(iban):
        return end
    return None


def _is_email(text: str) -> bool:
    """`local@domain` is an address when the domain has a top-level name or the local part
    a letter (pat@localhost); 441512345678@pbx is a SIP address with a number in it."""
    local, _, domain = text.partition("@")
    return bool(re.search(r"\.[^\W\d_]{2,}\Z", domain) or re.search(r"[^\W\d_]", local))


def _spans(normalised: str, known: tuple[str, ...]) -> Iterator[tuple[int, int, str]]:
    """(start, end, mask) for each piece of `normalised` to mask, in order."""
    position = 0
    pattern, limit = _PATTERN, len(normalised)
    while match := pattern.search(normalised, position):
        if match.start() >= limit:
            # What looked like an email or IBAN at `position` was not, and nothing else
            # starts inside it: go on after its first character with everything.
            pattern, limit, position = _PATTERN, len(normalised), position + 1
            continue
        pattern, limit = _PATTERN, len(normalised)
        kind = match.lastgroup
        start, end = match.span()
        if kind == "keep":
            position = end
        elif kind == "email":
            if _is_email(match.group()):
                # Addresses glued together (a@example.com+b@example.com) are each masked.
                while match is not None and _is_email(match.group()):
                    yield match.start(), match.end(), EMAIL
                    position = match.end()
                    match = _EMAIL_HERE.match(normalised, position)
            else:
                # 441512345678@pbx is a SIP address: look again for the number in it.
                pattern, limit, position = _NOT_EMAIL, end, start
        elif kind == "iban":
            iban_end = _iban_end(normalised, match)
            if iban_end is not None:
                yield start, iban_end, IBAN
                position = iban_end
            else:
                pattern, limit, position = _NOT_IBAN, end, start
        else:
            spans, position = _number_spans(normalised, match, kind == "glued", known)
            yield from spans


def _number_spans(
    normalised: str, match: re.Match[str], glued: bool, known: tuple[str, ...]
) -> tuple[list[tuple[int, int, str]], int]:
    """The masks for one number-like match, and where to look next."""
    start, end = match.span()
    text = match.group()
    if glued and len(text) < 7 and not known:
        return [], end  # too short to be anything glued to a word (a1, x-12)
    if glued:
        word = _WORD_BEFORE.search(normalised, max(0, start - 24), start)
        glued = word is None or word.group(1).lower() not in _PHONE_WORDS
    mask = _mask_for(text, glued, known)
    if mask is not None:
        return [(start, end, mask)], end
    # Kept as a whole, it can still begin with a number to mask that runs into something
    # kept after a space ("555 1234 1.2.3"): try its first chunks, longest first; failing
    # that, look again from its second chunk ("v1.2.3 555-123-4567").
    gaps = list(islice(_SPACED_GAP.finditer(text), _MAX_CHUNKS))
    for gap in reversed(gaps):
        mask = _mask_for(text[: gap.start()], glued, known)
        if mask is not None:
            return [(start, start + gap.start(), mask)], start + gap.start()
    return [], start + gaps[0].end() if gaps else end


def _mask_for(text: str, glued: bool, known: tuple[str, ...]) -> str | None:
    if any(_same_number(_digits(text), number) for number in known):
        return PHONE
    return classify_number(text, glued=glued)


def number_digits(number: str) -> str:
    """The digits that identify a caller's number field, for `redact(numbers=...)`.

    `sip:+44 20 7946 0958@pbx;user=phone` gives 442079460958; `sip:alice@10.0.0.1` none.
    """
    return _digits(normalise_number(number.translate(_NORMALISE)))


def redact(text: str, numbers: Iterable[str] = ()) -> str:
    """`text` with email addresses, phone, card and IBAN numbers replaced by a mask.

    `numbers` are the caller's own numbers (as typed in the number field): each is masked
    wherever it appears, however it is written, even when it is too short to look like a
    phone number (an extension). Names and street addresses are not detected and stay.
    """
    if not _MAYBE.search(text):
        return text  # most notes: nothing to mask without a digit or an at-sign
    known = tuple(digits for digits in map(number_digits, numbers) if len(digits) >= 3)
    pieces: list[str] = []
    last = 0
    for start, end, mask in _spans(text.translate(_NORMALISE), known):
        pieces += [text[last:start], mask]
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)
