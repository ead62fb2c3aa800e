"""Practice that teaches: the trainer's order, scoring, cloze cards, fading cues, progress bars."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk import paths
from calldesk.core.library.loader import load_library
from calldesk.core.library.phrases import Phrase
from calldesk.core.practice.cards import CardRecord, CardState, QueueItem, build_queue, say_hash
from calldesk.core.practice.clauses import key_clause, key_words
from calldesk.core.practice.cloze import make_cloze
from calldesk.core.practice.cues import cue_level, cue_text
from calldesk.core.practice.order import teaching_order
from calldesk.core.practice.progress import bar, goal_text
from calldesk.core.practice.scoring import AGAIN, GOOD, HARD, score
from calldesk.core.practice.teach import CLOZE, RECALL, prepare, score_attempt

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
WARNING = (
    "{customer}, I want to help you with this.\n"
    "But I can't keep going while I'm being sworn at.\n"
    "If it happens again, I'll end the call."
)


def phrase(pid: str, *, sets: tuple[str, ...] = (), priority: int | None = None, **kw) -> Phrase:
    fields = {"title": pid, "say": f"Say {pid}.", "category": "A", "source": Path("a.yaml")}
    return Phrase(id=pid, sets=sets, priority=priority, **{**fields, **kw})


# -- order --------------------------------------------------------------------------------------


def test_new_cards_come_essentials_first_then_priority_then_file_order() -> None:
    phrases = [
        phrase("a-rest", line=1),
        phrase("b-set", sets=("the-line",), line=2),
        phrase("c-ess-late", sets=("essentials",), line=3),
        phrase("d-ess-2", sets=("essentials",), priority=2, line=9),
        phrase("e-ess-1", sets=("essentials",), priority=1, line=20),
        phrase("f-set-1", sets=("the-line",), priority=1, line=30),
    ]
    ids = [p.id for p in teaching_order(phrases)]
    assert ids == ["e-ess-1", "d-ess-2", "c-ess-late", "f-set-1", "b-set", "a-rest"]
    queue = build_queue(phrases, {}, NOW, new_per_day=3)
    assert [item.phrase.id for item in queue.new] == ["e-ess-1", "d-ess-2", "c-ess-late"]


def test_a_new_starters_first_round_is_the_essentials_in_the_trainers_order() -> None:
    library = load_library([paths.bundled_phrase_dir()], optional=())
    queue = build_queue(library.phrases, {}, NOW, new_per_day=5)
    first = [item.phrase for item in queue.new]
    assert all("essentials" in p.sets for p in first)
    assert [p.priority for p in first] == [1, 2, 3, 4, 5]
    assert first[0].id == "open-greeting"  # not "abuse-..." as the alphabet had it
    assert not any(p.category.startswith("Abusive") for p in first)


# -- scoring ------------------------------------------------------------------------------------


def test_calm_down_sir_is_never_good() -> None:
    result = score("calm down sir", WARNING, instead_of="Don't you talk to me like that!")
    assert result is not None and result.suggested == AGAIN
    # Even with the key clause said, the stock phrase keeps it at "again".
    padded = score("Calm down sir, I can't keep going while I'm being sworn at", WARNING)
    assert padded is not None and padded.suggested == AGAIN


def test_an_answer_missing_the_key_clause_is_again() -> None:
    result = score("I want to help you with this, please", WARNING)
    assert result is not None
    assert result.clause == "But I can't keep going while I'm being sworn at"
    assert result.suggested == AGAIN and result.clause_said == ()


def test_a_paraphrase_with_the_key_clause_is_good() -> None:
    result = score("I cannot keep going while being sworn at; again and I end the call", WARNING)
    assert result is not None and result.suggested == GOOD
    assert set(result.clause_said) == {"not", "keep", "going", "sworn"}


def test_part_of_the_key_clause_is_hard() -> None:
    result = score("I can't keep doing this", WARNING)
    assert result is not None and result.suggested == HARD


def test_the_tempting_wording_is_again() -> None:
    result = score(
        "don't talk to me like that", WARNING, instead_of="Don't you talk to me like that!"
    )
    assert result is not None and result.suggested == AGAIN
    assert "replaces" in result.reason


def test_no_attempt_no_score() -> None:
    assert score("  ", WARNING) is None


def test_the_trainers_key_wins_over_the_richest_clause() -> None:
    assert key_clause(WARNING, "If it happens again, I'll end the call.") == (
        "If it happens again, I'll end the call."
    )
    assert key_words("I'm being sworn at") == ["sworn"]


# -- cloze and cues -----------------------------------------------------------------------------


def test_cloze_blanks_the_key_clause() -> None:
    cloze = make_cloze(WARNING, "but I can't keep going   while I'm being sworn at")
    assert cloze is not None
    assert cloze.answer == "But I can't keep going while I'm being sworn at"
    assert "_____ _____" in cloze.text and "sworn" not in cloze.text
    assert cloze.text.endswith("If it happens again, I'll end the call.")
    assert make_cloze(WARNING, "not there") is None


def card(p: Phrase) -> CardRecord:
    return CardRecord(p.id, say_hash(p.say), 1, CardState.REVIEW, None, 3.0, 5.0, NOW, NOW, NOW)


def test_long_phrases_seen_before_are_cloze_cards() -> None:
    long = phrase("long", say=WARNING + " Your reference is {ticket}, in case you need it.")
    assert prepare(QueueItem(long, None), long.say, []).kind == RECALL  # new: learn it whole
    view = prepare(QueueItem(long, card(long)), long.say, [3])
    assert view.kind == CLOZE and view.cloze is not None
    short = phrase("short", say="Go on, I'm listening.")
    assert prepare(QueueItem(short, card(short)), short.say, [3]).kind == RECALL
    # A cloze is scored on the blanked clause only.
    result = score_attempt(view, "I can't keep going while I'm being sworn at")
    assert result is not None and result.suggested == GOOD


def test_cues_grow_with_misses_and_fade_with_recall() -> None:
    assert cue_level([]) == 0
    assert cue_level([1]) == 1
    assert cue_level([1, 1, 1, 1]) == 3
    assert cue_level([1, 1, 1, 3]) == 2
    assert cue_level([1, 1, 3, 4]) == 0
    assert cue_level([1, 2]) == 1  # hard keeps the hint where it is
    text = "Go on, I'm listening."
    assert cue_text(text, 0) == ""
    assert cue_text(text, 1) == "G ·, I ·."
    assert cue_text(text, 2) == "G o, I l."
    assert cue_text(text, 3) == "Go on, I' li."
    assert cue_text("Hi {customer}, bye.", 2) == "H {customer}, b."


def test_a_card_missed_twice_shows_first_letters() -> None:
    p = phrase("p", say="Go on, I'm listening.")
    view = prepare(QueueItem(p, card(p)), p.say, [1, 1])
    assert (view.cue_level, view.cue) == (2, "G o, I l.")


# -- progress -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("learned", "seen", "total", "expected"),
    [
        (0, 0, 4, "········"),
        (0, 1, 20, "▒·······"),  # a first round always shows
        (2, 4, 8, "██▒▒····"),
        (8, 8, 8, "████████"),
        (0, 0, 0, "········"),
    ],
)
def test_bar(learned: int, seen: int, total: int, expected: str) -> None:
    assert bar(learned, seen, total, width=8) == expected


def test_goal_text() -> None:
    assert goal_text(3, 0) == ""
    assert goal_text(3, 10) == "practice 3/10"
    assert goal_text(12, 10) == "practice 10/10 ✓"
