"""The style lint (`phrases check --style`): what a program can see of docs/phrase-style.md."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from calldesk.core.library.problems import Problem, Severity

if TYPE_CHECKING:
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.phrases import Phrase

MAX_SAY_WORDS = 45
"""A `say` longer than this is hard to hold in your head while the caller talks."""

STOCK_PHRASES: tuple[str, ...] = (
    "we apologize for any inconvenience",
    "we apologise for any inconvenience",
    "apologize for any inconvenience",
    "apologise for any inconvenience",
    "sorry for any inconvenience",
    "your call is important",
    "as per",
    "kindly",
    "thank you for your patience",
    "thanks for your patience",
    "at your earliest convenience",
    "as a gesture of goodwill",
    "please be advised",
    "valued customer",
    "rest assured",
    "i understand your frustration",
    "sorry if you feel",
    "calm down",
)
"""Script words that tell a caller they are being handled, not heard (whole words, any case)."""

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'"})
_STOCK_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in STOCK_PHRASES) + r")\b",
    re.IGNORECASE,
)
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_PROMISE_RE = re.compile(
    r"\b(?:"
    r"call you back|call you tomorrow|i'll call|i will call|we'll call|i'll ring"
    r"|i'll email|i'll get back to you|i'll let you know|i'll try you again"
    rf"|by (?:tomorrow|tonight|this (?:morning|afternoon|evening)|(?:the )?end of (?:the )?day"
    rf"|{_WEEKDAYS})"
    r"|within (?:\d+|an?|the|one|two|three|four|five) (?:working )?(?:hours?|days?)"
    r")\b",
    re.IGNORECASE,
)
# A report of a past promise ("I said I'd call you back") is not a new one.
_REPORTED_RE = re.compile(
    r"\b(?:said|told you|promised|was going to|were going to|would have)\b[^.!?]*$", re.IGNORECASE
)
_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_WORD_RE = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")


def _style(phrase: Phrase, field: str, message: str, hint: str) -> Problem:
    line, column = phrase.position(field)
    return Problem(phrase.source, line, column, f"style: {message}", hint, Severity.WARNING)


def words(text: str) -> int:
    """How many words `text` has, a placeholder counting as one."""
    return len(_WORD_RE.findall(_PLACEHOLDER_RE.sub(" x ", text)))


def _loose(text: str) -> str:
    """`text` without case, punctuation or spacing differences, for `instead_of` == `say`."""
    return " ".join(_WORD_RE.findall(text.translate(_APOSTROPHES).casefold()))


def stock_phrase(text: str) -> str | None:
    """The first stock phrase in `text` (as written there), or None."""
    match = _STOCK_RE.search(text.translate(_APOSTROPHES))
    return None if match is None else " ".join(match.group().split())


def promise_wording(text: str) -> str | None:
    """The first wording in `text` that promises something to come, or None.

    A promise reported in the past ("I said I'd call you back") does not count.
    """
    flat = " ".join(text.translate(_APOSTROPHES).split())
    for match in _PROMISE_RE.finditer(flat):
        sentence_start = max(flat.rfind(mark, 0, match.start()) for mark in ".!?")
        if _REPORTED_RE.search(flat[sentence_start + 1 : match.start()]):
            continue
        return match.group()
    return None


def lint_phrase(phrase: Phrase) -> list[Problem]:
    """The style warnings of one phrase, each at the line of the field it is about."""
    found: list[Problem] = []
    hint = "say it in your own words; see docs/phrase-style.md"
    for field, text in (("title", phrase.title), ("say", phrase.say)):
        stock = stock_phrase(text)
        if stock is not None:
            message = f"'{field}' uses the stock phrase \"{stock}\""
            found.append(_style(phrase, field, message, hint))
    count = words(phrase.say)
    if count > MAX_SAY_WORDS:
        found.append(
            _style(
                phrase,
                "say",
                f"'say' has {count} words",
                f"keep it to {MAX_SAY_WORDS}: split it into two phrases, or cut",
            )
        )
    if not phrase.when:
        found.append(
            _style(phrase, "id", f"phrase '{phrase.id}' has no 'when'", "say when to reach for it")
        )
    if phrase.instead_of and _loose(phrase.instead_of) == _loose(phrase.say):
        found.append(
            _style(
                phrase,
                "instead_of",
                "'instead_of' is the same as 'say'",
                "write the tempting wording an agent would really use, or remove 'instead_of'",
            )
        )
    promised = promise_wording(phrase.say)
    if promised is not None and phrase.promise is None:
        found.append(
            _style(
                phrase,
                "say",
                f"'say' promises something (\"{promised}\") but has no 'promise:' field",
                "add one, so calldesk can remind the agent: promise: {what: ..., due: 2h}",
            )
        )
    return found


def lint_phrases(phrases: Iterable[Phrase]) -> list[Problem]:
    return [problem for phrase in phrases for problem in lint_phrase(phrase)]


def lint_library(library: PhraseLibrary) -> list[Problem]:
    """Style warnings for every phrase of every file, overridden ones included."""
    return lint_phrases(phrase for result in library.files.values() for phrase in result.phrases)
