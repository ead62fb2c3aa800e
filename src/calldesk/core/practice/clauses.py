"""Words and clauses of a phrase, compared the way an attempt spoken or typed should be."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_WORD_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|[^\W_]+(?:['\u2019][^\W_]+)*")
_CLAUSE_END_RE = re.compile(r"[.!?;:,\u2014\u2013]+|\s-\s|\n")
_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")

_STOP_TEXT = """
a an the and or but so if then than that this these those it its it's i i'm i'll i've i'd
me my we we'll we're we've our us you you're you'll you've your yours he she they them
their there here is am are was were be been being do does did have has had will would
shall should can could may might must to of in on at by for with from as about into
just really very let let's what when where who how which while also too all any some
one up out over again now okay ok oh well yes no
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
"""Words that carry no meaning of their own; they do not count as key words."""

# "can't" and "cannot" say the same; "not" carries the meaning, so it is never a stop word.
_NEGATIONS = {"cant", "cannot", "wont", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt"}
_NEGATIONS |= {"werent", "couldnt", "shouldnt", "wouldnt", "havent", "hasnt", "hadnt", "never"}


def word_key(word: str) -> str:
    """A word as compared: no case, accents or punctuation (`I'm,` matches `im`)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if ch.isalnum()).casefold()


def stem(word: str) -> str:
    """A rough stem, so `swearing` meets `swear` and `calls` meets `call`."""
    key = word_key(word)
    if key in _NEGATIONS:
        return "not"
    for suffix in ("ing", "ed", "es", "s", "ly"):
        if key.endswith(suffix) and len(key) - len(suffix) >= 3:
            return key[: -len(suffix)]
    return key


def words(text: str) -> list[str]:
    """The words of `text` as written; a `{placeholder}` is one word."""
    return _WORD_RE.findall(text.replace("\u2019", "'"))


def key_words(text: str) -> list[str]:
    """The stems of `text`'s meaningful words, in order, once each (no placeholders)."""
    found: list[str] = []
    for word in words(text):
        if _PLACEHOLDER_RE.fullmatch(word) or word.lower().replace("\u2019", "'") in STOP_WORDS:
            continue
        stemmed = stem(word)
        if stemmed and stemmed not in STOP_WORDS and stemmed not in found:
            found.append(stemmed)
    return found


def clauses(text: str) -> list[str]:
    """`text` cut at sentence ends, commas, semicolons, colons and dashes, stripped."""
    return [part.strip() for part in _CLAUSE_END_RE.split(text) if part.strip()]


def key_clause(say: str, key: str = "") -> str:
    """The clause that carries a phrase: the trainer's `key:`, else its richest clause.

    The richest clause is the one with the most key words (the first on a tie); a phrase
    with no key word at all ("OK.") is its own key clause.
    """
    if key:
        return " ".join(key.split())
    best, best_count = "", -1
    for clause in clauses(say):
        count = len(key_words(clause))
        if count > best_count:
            best, best_count = clause, count
    return best or " ".join(say.split())


def said(wanted: str, spoken: set[str]) -> bool:
    """Whether the stem `wanted` is among `spoken`, allowing a typo in a longer word."""
    if wanted in spoken:
        return True
    if len(wanted) < 5:
        return False
    return any(
        abs(len(word) - len(wanted)) <= 2 and SequenceMatcher(None, wanted, word).ratio() >= 0.85
        for word in spoken
    )
