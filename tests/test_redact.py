"""Redaction: emails, phone numbers and card numbers are masked; times, dates and ids are not."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldesk.core.redact import classify_number, luhn_valid, redact


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
        "user@localhost has no domain",
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


@given(
    body=st.text("0123456789", min_size=12, max_size=18).filter(lambda s: s[0] != "0"),
    separator=st.sampled_from(["", " ", "-"]),
    before=st.text(st.characters(categories=["L", "Zs"]), max_size=10),
)
def test_any_luhn_valid_card_is_masked(body: str, separator: str, before: str) -> None:
    digits = _luhn_complete(body)
    written = separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))
    result = redact(f"{before} {written} end")
    assert result == f"{before} [card] end"


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
