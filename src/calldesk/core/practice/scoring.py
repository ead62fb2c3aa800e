"""Scoring an attempt against the phrase: which key words and how much of the key clause were said,
and the grade that suggests (the agent can always choose another)."""

from __future__ import annotations

from dataclasses import dataclass

from calldesk.core.library.style import stock_phrase
from calldesk.core.practice.clauses import key_clause, key_words, said, stem, words

AGAIN, HARD, GOOD = 1, 2, 3
CLAUSE_GOOD = 0.8
"""Share of the key clause's key words an attempt must say to be suggested "good"."""
CLAUSE_HARD = 0.5
"""Below this share of the key clause, the suggestion is "again": the words that matter are
missing, however close the rest is."""
WORDS_GOOD = 0.4
"""Share of all the phrase's key words a "good" attempt says too (a paraphrase is fine)."""


@dataclass(frozen=True, slots=True)
class Score:
    """How an attempt compares with the phrase, and the grade it suggests."""

    clause: str
    """The key clause scored against."""
    clause_said: tuple[str, ...]
    clause_missed: tuple[str, ...]
    """The key clause's key words (stemmed) the attempt said, and those it left out."""
    words_said: int
    words_total: int
    """Of all the phrase's key words."""
    suggested: int
    """1 again, 2 hard, 3 good; never 4: only the agent knows whether it came without thinking."""
    reason: str
    """Why, in a few words, for the agent to read."""

    @property
    def clause_share(self) -> float:
        total = len(self.clause_said) + len(self.clause_missed)
        return 1.0 if not total else len(self.clause_said) / total


def score(attempt: str, say: str, *, key: str = "", instead_of: str = "") -> Score | None:
    """Score `attempt` against `say` (placeholders as they stand); None for an empty attempt.

    An attempt that uses a stock phrase ("calm down", "as per") or says what the phrase is
    meant to replace (`instead_of`) is suggested "again", whatever else it says.
    """
    if not words(attempt):
        return None
    clause = key_clause(say, key)
    spoken = {stem(word) for word in words(attempt)}
    wanted = key_words(clause)
    clause_said = tuple(word for word in wanted if said(word, spoken))
    clause_missed = tuple(word for word in wanted if word not in clause_said)
    every = key_words(say)
    words_said = sum(1 for word in every if said(word, spoken))
    result = Score(clause, clause_said, clause_missed, words_said, len(every), GOOD, "")
    share = result.clause_share
    overall = 1.0 if not every else words_said / len(every)
    stock = stock_phrase(attempt)
    if stock is not None and stock_phrase(say) is None:
        return _suggest(result, AGAIN, f'"{stock}" is never the right words')
    if instead_of and _is_the_temptation(attempt, instead_of, overall):
        return _suggest(result, AGAIN, "that is the wording this phrase replaces")
    if share < CLAUSE_HARD:
        return _suggest(result, AGAIN, "the key clause is missing")
    if share < CLAUSE_GOOD or overall < WORDS_GOOD:
        return _suggest(result, HARD, "part of the key clause is missing")
    return _suggest(result, GOOD, "the key clause is there")


def _suggest(result: Score, grade: int, reason: str) -> Score:
    from dataclasses import replace

    return replace(result, suggested=grade, reason=reason)


def _is_the_temptation(attempt: str, instead_of: str, overall: float) -> bool:
    """The attempt is closer to the tempting wording than to the phrase."""
    tempting = key_words(instead_of)
    if not tempting:
        return False
    spoken = {stem(word) for word in words(attempt)}
    share = sum(1 for word in tempting if said(word, spoken)) / len(tempting)
    return share >= 0.6 and share > overall
