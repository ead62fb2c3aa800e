"""The word hint: which words of the phrase the agent typed, missed or added."""

from __future__ import annotations

import difflib
import unicodedata

SAME, MISSING, EXTRA = "same", "missing", "extra"
"""`word_diff` operations: words as in the phrase, phrase words left out, words not in it."""


def _word_key(word: str) -> str:
    """A word as compared: no case, accents or punctuation (`I'm,` matches `im`)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if ch.isalnum()).casefold()


def _words(text: str) -> list[str]:
    """Whitespace-split words; punctuation standing alone (`—`) joins the word before it."""
    words: list[str] = []
    for token in text.split():
        if words and not _word_key(token):
            words[-1] += " " + token
        else:
            words.append(token)
    return words


def word_diff(typed: str, say: str) -> list[tuple[str, str]]:
    """How a typed attempt compares with the phrase, word by word: a hint, not a grade.

    Returns (operation, words) runs in reading order: SAME (the phrase's own words), MISSING
    (phrase words the attempt left out) and EXTRA (typed words not in the phrase). Words match
    ignoring case, accents and punctuation; the text shown is always the original words.
    """
    typed_words, say_words = _words(typed), _words(say)
    matcher = difflib.SequenceMatcher(
        None, [_word_key(w) for w in typed_words], [_word_key(w) for w in say_words], False
    )
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            runs.append((SAME, " ".join(say_words[j1:j2])))
            continue
        if i2 > i1:
            runs.append((EXTRA, " ".join(typed_words[i1:i2])))
        if j2 > j1:
            runs.append((MISSING, " ".join(say_words[j1:j2])))
    return runs
