"""Redaction: emails, phone numbers and card numbers are masked; times, dates and ids are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldesk.core.export.redact import classify_number, luhn_valid, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail ann.smith+work@example.co.uk now", "mail [email] now"),
        ("ANN@EXAMPLE.COM", "[email]"),
        ("call +44 20 7946 0958 back", "call [phone] back"),
        ("+44 (0)20 7946 0958", "[phone]"),
        ("+1-555-123-4567", "[phone]"),
        ("(555) 123-4567", "[phone]"),
        ("555.123.4567", "[phone]"),
        ("555-123-4567.", "[phone]."),
        ("07700 900123", "[phone]"),
        ("0044 20 7946 0958", "[phone]"),
        ("ring 5551234567 later", "ring [phone] later"),
        ("tel.555-123-4567", "tel.[phone]"),
        ("sip:+441512345678@pbx", "sip:[phone]@pbx"),
        ("card 4111 1111 1111 1111 exp 12/27", "card [card] exp 12/27"),
        ("4111-1111-1111-1111", "[card]"),
        ("4111111111111111", "[card]"),
        ("378282246310005", "[card]"),
        # Long numbers failing the Luhn check are masked too, under another name.
        ("4111 1111 1111 1112", "[number]"),
        ("12345678901234567890123", "[number]"),
        ("v1.2.3 555-123-4567", "v1.2.3 [phone]"),
        ("2026-11-24 09:41 555 1234", "2026-11-24 09:41 [phone]"),
        (
            "call 555 1234 24.11.2026 or 555 1234 10.0.0.1",
            "call [phone] 24.11.2026 or [phone] 10.0.0.1",
        ),
        ("01.23.45.67.89", "[phone]"),
        # Card numbers as agents paste them.
        ("card 4111  1111  1111  1111 ok", "card [card] ok"),
        ("4111\t1111\t1111\t1111", "[card]"),
        ("4111\u00a01111\u00a01111\u00a01111", "[card]"),
        ("4111\u202f1111\u202f1111\u202f1111", "[card]"),
        ("4111.1111.1111.1111", "[card]"),
        ("4111/1111/1111/1111", "[card]"),
        ("4111_1111_1111_1111", "[card]"),
        ("4111 - 1111 - 1111 - 1111", "[card]"),
        ("4111\u20131111\u20131111\u20131111", "[card]"),
        ("4111\u200b1111\u200b1111\u200b1111", "[card]"),
        (" ".join(["\uff14\uff11\uff11\uff11", *["\uff11" * 4] * 3]), "[card]"),  # fullwidth
        ("cc4111111111111111", "cc[card]"),
        ("cc4111 1111 1111 1111", "cc[card]"),
        ("card-4111-1111-1111-1111", "card-[card]"),
        # Phone numbers as agents paste them.
        ("tel 030\u00a012345678", "tel [phone]"),
        ("+44\u00a020\u00a07946\u00a00958", "[phone]"),
        ("030/12345678", "[phone]"),
        ("030/123 456 78", "[phone]"),
        ("+44 20 7946 0958 / 4111 1111 1111 1111", "[phone] / [card]"),
        ("555 1234 1.2.3", "[phone] 1.2.3"),
        ("Tel+44 20 7946 0958", "Tel[phone]"),
        ("Tel+442079460958", "Tel[phone]"),
        ("Tel0301234567", "Tel[phone]"),
        ("\uff0b44 20 7946 0958", "[phone]"),
        # IBANs, with or without spaces, any case.
        ("DE89 3704 0044 0532 0130 00", "[iban]"),
        ("IBAN DE89370400440532013000.", "IBAN [iban]."),
        ("GB82 WEST 1234 5698 7654 32 thanks", "[iban] thanks"),
        ("nl91abna0417164300", "[iban]"),
        ("FR14 2004 1010 0505 0001 3M02 606", "[iban]"),
        # Email addresses without a top-level domain, and with a fullwidth at-sign.
        ("pat@localhost", "[email]"),
        ("user@localhost has no domain", "[email] has no domain"),
        ("pat\uff20example.com", "[email]"),
        ("mail pat\uff20example\uff0ecom now", "mail [email] now"),
        ("pat\ufe6bexample.com", "[email]"),
    ],
)
def test_masks(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "called at 09:41, back at 09:41:30",
        "on 2026-11-24 and 24.11.2026 and 11/24/2026 and 24-11-26",
        "ticket T-1234, T-1234567 and T-1234-5678",
        "INC0012345 and order 12345678",
        "IP 192.168.100.200",
        "build 10.0.19045.2965",
        "price 1,234,567 for 3 units",
        "room 101, floor 3",
        "no digits or at-signs here: [bold] *x* <b>",
        "screen 1920/1080, open 24/7, from 2019 - 2024",
        "no12 issues found today, at10 am",
        "extension 12345@pbx",
        "INC0012345 5 times",
    ],
)
def test_leaves_alone(text: str) -> None:
    assert redact(text) == text


def test_luhn() -> None:
    assert luhn_valid("4111111111111111")
    assert luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112")


def test_classify_number_edges() -> None:
    assert classify_number("555 1234") == "[phone]"
    assert classify_number("5551234") is None  # a bare seven-digit run is an id, not a phone
    assert classify_number("+44 20") is None  # too short for any phone number
    assert classify_number("+1234567890123456") == "[number]"  # longer than E.164 allows


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


# Every way a separator reaches a note: typed, pasted from a PDF, a web form or a chat.
SPACES = [" ", "  ", "   ", "\t", "\u00a0", "\u202f", "\u2009", "\u2007", "\u3000", "\u200b"]
PUNCTUATION = [".", "/", "_", "-", " - ", " . ", "\u2013", "\u2212", "\uff0e", "\uff0f"]
SEPARATORS = st.sampled_from(SPACES + PUNCTUATION)
# What a number can be glued to, or stand after.
GLUE = st.sampled_from(["", "cc", "card", "Visa:", "no.", "#", "[", "card-", "CC_", "nr"])


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def _grouped(digits: str, sizes: list[int], separators: list[str]) -> str:
    groups, rest = [], digits
    for size in sizes:
        if rest:
            groups.append(rest[:size])
            rest = rest[size:]
    if rest:
        groups.append(rest)
    written = groups[0]
    for index, group in enumerate(groups[1:]):
        written += separators[index % len(separators)] + group
    return written


@given(
    body=st.text("0123456789", min_size=12, max_size=18).filter(lambda s: s[0] != "0"),
    layout=st.sampled_from([[4, 4, 4, 4, 4], [4, 6, 5], [4, 4, 4, 4, 3], [19]]),
    separators=st.lists(SEPARATORS, min_size=1, max_size=4),
    glue=GLUE,
    before=st.text(st.characters(categories=["L", "Zs"]), max_size=10),
)
def test_any_luhn_valid_card_is_masked(
    body: str, layout: list[int], separators: list[str], glue: str, before: str
) -> None:
    digits = _luhn_complete(body)
    written = _grouped(digits, layout, separators)
    result = redact(f"{before} {glue}{written} end")
    assert result == f"{before} {glue}[card] end"


@given(
    country=st.sampled_from(["44", "49", "1", "33", "353", "61"]),
    groups=st.lists(st.text("0123456789", min_size=2, max_size=4), min_size=3, max_size=4),
    separators=st.lists(st.sampled_from([*SPACES, ".", "-", "/", " - "]), min_size=1, max_size=3),
    glue=st.sampled_from(["", " ", "Tel", "tel: ", "Mob.", "phone", "(", "call "]),
)
def test_international_numbers_as_pasted_are_masked(
    country: str, groups: list[str], separators: list[str], glue: str
) -> None:
    number = (
        "+"
        + country
        + separators[0]
        + _grouped("".join(groups), [len(g) for g in groups], separators)
    )
    if not 7 <= sum(char.isdigit() for char in number) <= 15:
        return
    assert redact(f"ring {glue}{number} later") == f"ring {glue}[phone] later"


@given(
    area=st.text("0123456789", min_size=1, max_size=4),
    subscriber=st.text("0123456789", min_size=5, max_size=8),
    separator=st.sampled_from(["/", "\u00a0", " ", "-", " - ", "\u202f", "\t"]),
)
def test_national_numbers_with_an_area_code_are_masked(
    area: str, subscriber: str, separator: str
) -> None:
    assert redact(f"rang from 0{area}{separator}{subscriber} today") == "rang from [phone] today"


def _iban(country: str, bban: str) -> str:
    moved = bban + country + "00"
    check = 98 - int("".join(str(int(char, 36)) for char in moved)) % 97
    return f"{country}{check:02d}{bban}"


@given(
    country_length=st.sampled_from([("DE", 22), ("GB", 22), ("FR", 27), ("NL", 18), ("NO", 15)]),
    digits=st.text("0123456789", min_size=30, max_size=30),
    spaced=st.booleans(),
    lower=st.booleans(),
)
def test_ibans_are_masked(
    country_length: tuple[str, int], digits: str, spaced: bool, lower: bool
) -> None:
    country, length = country_length
    iban = _iban(country, digits[: length - 4])
    if spaced:
        iban = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    if lower:
        iban = iban.lower()
    assert redact(f"IBAN: {iban}, thanks") == "IBAN: [iban], thanks"


@given(
    local=st.from_regex(r"[a-z][a-z0-9._+\-]{0,12}", fullmatch=True),
    domain=st.sampled_from(
        ["localhost", "example.com", "mail.example.co.uk", "pbx", "xn--bcher-kva.de"]
    ),
    at=st.sampled_from(["@", "\uff20", "\ufe6b"]),
)
def test_email_addresses_are_masked(local: str, domain: str, at: str) -> None:
    assert redact(f"write to {local}{at}{domain} today") == "write to [email] today"


@given(
    country=st.integers(1, 999),
    groups=st.lists(st.integers(10, 9999), min_size=2, max_size=3),
    separator=st.sampled_from([" ", "-", "."]),
)
def test_international_numbers_are_masked(country: int, groups: list[int], separator: str) -> None:
    number = f"+{country} " + separator.join(str(group) for group in groups)
    digits = sum(ch.isdigit() for ch in number)
    result = redact(f"call {number} please")
    if 7 <= digits <= 15:
        assert result == "call [phone] please"
    else:
        assert "[phone]" not in result


@given(st.text())
def test_redaction_is_idempotent_and_leaves_no_long_digit_runs(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    # Whatever survives, no card-length run of digits does.
    assert not re.search(r"(?<![\d])\d{13,19}(?!\d)", once)


@given(st.text(st.characters(exclude_categories=["Nd"], exclude_characters="@")))
def test_text_without_digits_or_at_signs_is_unchanged(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("number", "text", "expected"),
    [
        ("1001", "ext 1001 2 times, call 1001.", "ext [phone] 2 times, call [phone]."),
        ("sip:1001@pbx.example", "ext1001 rang", "ext[phone] rang"),
        ("+44 20 7946 0958", "rang 020 7946 0958, 02079460958", "rang [phone], [phone]"),
        ("0049 30 1234567", "+49 30 1234567 and 030/1234567", "[phone] and [phone]"),
        (
            "+44 20 7946 0958",
            "ticket T-1234 at 09:41 on 2026-11-24",
            "ticket T-1234 at 09:41 on 2026-11-24",
        ),
        ("12", "12 printers", "12 printers"),  # too short to be told from any other number
        ("anonymous", "anonymous caller 555", "anonymous caller 555"),
    ],
)
def test_the_callers_own_number_is_masked_however_short(
    number: str, text: str, expected: str
) -> None:
    assert redact(text, numbers=[number]) == expected
