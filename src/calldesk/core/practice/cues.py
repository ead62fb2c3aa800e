"""Fading cues: first letters as a hint for a card the agent keeps missing (actors learn so)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD_RE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}|[^\W_]+(?:['\u2019][^\W_]+)*")
_CLAUSE_MARK_RE = re.compile(r"[.!?;:,\u2014\u2013\n]")

MAX_CUE = 3
FORGOT, GOOD = 1, 3


def cue_level(ratings: Iterable[int]) -> int:
    """How much hint a card gets, from its grades oldest first: 0 none, up to `MAX_CUE`.

    Each "again" adds a level, each "good" or "easy" takes one away, "hard" keeps it: the hint
    grows while the agent keeps missing and shrinks as recall improves.
    """
    level = 0
    for rating in ratings:
        if rating <= FORGOT:
            level = min(MAX_CUE, level + 1)
        elif rating >= GOOD:
            level = max(0, level - 1)
    return level


def cue_text(text: str, level: int) -> str:
    """The hint at `level`, punctuation and line breaks kept: 3 the first two letters of each
    word, 2 the first letter of each word, 1 the first letter of each clause's first word (the
    other words as dots); 0 nothing.

    Placeholders (`{customer}`) are shown whole: they are not words to remember.
    """
    if level <= 0:
        return ""
    size = 2 if level >= MAX_CUE else 1
    out: list[str] = []
    end = 0
    for match in _WORD_RE.finditer(text):
        gap = text[end : match.start()]
        out.append(gap)
        word = match.group()
        starts_clause = end == 0 or bool(_CLAUSE_MARK_RE.search(gap))
        if word.startswith("{"):
            out.append(word)
        elif level == 1 and not starts_clause:
            out.append("·")
        else:
            out.append(word[:size])
        end = match.end()
    out.append(text[end:])
    return "".join(out).strip()
