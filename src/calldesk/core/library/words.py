"""Words as agents type them: folding, splitting, light stemming and the known-word list."""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

_WORD_RE = re.compile(r"\w+")
_PLACEHOLDER_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
# "let's", "he'll", "we're": the tail says nothing to search for, and "s" alone would match
# every "let's" for an agent typing "s". ("n't" stays: "can't" is not "can".)
_CONTRACTION_RE = re.compile(r"(?<=\w)['\u2019](?:s|ll|re|ve|d|m)\b", re.IGNORECASE)

# Endings that make another form of the same word ("threat" + "ening", "cancel" + "lation").
# A stem followed by a start of one of these is the same word still being typed.
SUFFIXES = (
    *("s", "es", "ed", "ing", "ings", "en", "ens", "ened", "ening", "e"),
    *("ation", "ations", "ion", "ions", "ive", "ment", "ments", "ness"),
    *("ate", "ates", "ated", "ating", "ful"),
)
_SUFFIX_PREFIXES = frozenset(suffix[:n] for suffix in SUFFIXES for n in range(len(suffix) + 1))
_VOWELS = frozenset("aeiouy")
_Y_ENDINGS = frozenset(("", "e", "es", "ed"))
MIN_STEM = 3


def fold(text: str) -> str:
    """Case- and accent-insensitive form of `text`, for sorting and searching."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> list[str]:
    """The search words in `text`: folded (case and accents dropped), split on non-letters."""
    if "'" in text or "\u2019" in text:
        text = _CONTRACTION_RE.sub("", text)
    return _WORD_RE.findall(fold(text))


def indexed_words(text: str) -> list[str]:
    """The words of trainer text that search indexes: placeholders (`{customer}`) left out."""
    if "{" in text:
        text = _PLACEHOLDER_RE.sub(" ", text)
    return words(text)


def _strip(word: str, suffix: str, replacement: str = "") -> str | None:
    if word.endswith(suffix):
        rest = word[: len(word) - len(suffix)]
        if len(rest) >= MIN_STEM and _VOWELS.intersection(rest):
            return rest + replacement
    return None


@cache
def stem(word: str) -> str:
    """A light stem: inflections and common endings dropped, so forms of a word meet.

    threatening, threatened -> threaten; cancellation, cancelled -> cancel; escalate,
    escalation -> escal; yelling -> yel. Not a linguist's stem: only the same on both sides.
    """
    if len(word) <= MIN_STEM or not word.isalpha():
        return word
    result = word
    inflected = False
    for suffix, replacement in (
        ("ies", "y"),
        ("ied", "y"),
        ("sses", "ss"),
        ("ings", ""),
        ("ing", ""),
        ("edly", ""),
        ("ed", ""),
        ("es", ""),
        ("s", ""),
    ):
        if suffix == "s" and result.endswith(("ss", "us", "is")):
            continue
        if suffix == "es" and not result.endswith(("ses", "xes", "zes", "ches", "shes")):
            continue
        stripped = _strip(result, suffix, replacement)
        if suffix == "ed" and stripped is not None and stripped.endswith("e"):
            stripped = result[:-1]  # agreed, freed: "agree" + "d", so it meets "agreeing"
        if stripped is not None:
            result, inflected = stripped, True
            break
    for suffix in ("ations", "ation", "itions", "ition", "ions", "ion", "ments", "ment"):
        stripped = _strip(result, suffix)
        if stripped is not None:
            result = stripped
            break
    else:
        # "at" is what "-ated"/"-ating" leave of "-ate": escalated -> escalat -> escal.
        # Not "-ly" or "-al": likely is not like, final is not fine.
        endings = ("ive", "ness", "ate", "ful", *(("at",) if inflected else ()))
        for suffix in endings:
            stripped = _strip(result, suffix)
            if stripped is not None:
                result = stripped
                break
    if result.endswith("e") and len(result) > MIN_STEM:
        result = result[:-1]
    if len(result) > MIN_STEM and result[-1] == result[-2] and result[-1] not in _VOWELS:
        result = result[:-1]  # cancell -> cancel, yell -> yel: doubled before an ending
    return result


def ending_of(stem_text: str, word: str) -> bool:
    """Whether `word` is `stem_text` followed by (the start of) an ending: another form of it.

    "threatening" is "threat" + "ening"; "yelli" is "yel" + "l" + the start of "ing".
    """
    if len(stem_text) < MIN_STEM:
        return False
    if stem_text[-1] == "y" and word.startswith(stem_text[:-1] + "i"):
        return word[len(stem_text) :] in _Y_ENDINGS  # reply: repli, replie, replies, replied
    if not word.startswith(stem_text):
        return False
    rest = word[len(stem_text) :]
    if rest in _SUFFIX_PREFIXES:
        return True
    # A doubled last letter before the ending: yel + l + ing, cancel + l + ation.
    return rest[:1] == stem_text[-1:] and rest[1:] in _SUFFIX_PREFIXES


@cache
def english_words() -> frozenset[str]:
    """The bundled list of common English words (loaded once, on first need)."""
    text = resources.files("calldesk.core.library").joinpath("data/english-words.txt")
    return frozenset(
        line for line in text.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"
    )
