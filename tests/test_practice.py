"""Practice scheduling: FSRS cards over 30 days, the daily queue, changed and removed phrases."""

from __future__ import annotations

import itertools
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fsrs import Scheduler

from calldesk.core.clock import FakeClock
from calldesk.core.db.schema import MIGRATIONS
from calldesk.core.library.phrases import Phrase
from calldesk.core.practice import records as practice_records
from calldesk.core.practice.cards import (
    LEARNED_STABILITY_DAYS,
    CardRecord,
    CardState,
    PracticeSession,
    ReviewRecord,
    build_queue,
    describe_due,
    due_count,
    grade,
    practice_text,
    say_hash,
)
from calldesk.core.practice.hint import EXTRA, MISSING, SAME, word_diff
from calldesk.core.practice.stats import stats
from calldesk.core.storage import Database

EXACT = Scheduler(enable_fuzzing=False)  # fuzzing adds randomness to review intervals


def phrase(n: int, *, sets: tuple[str, ...] = (), say: str | None = None) -> Phrase:
    return Phrase(
        id=f"p{n}",
        title=f"Phrase {n}",
        say=say if say is not None else f"Words number {n}, said calmly.",
        category="Test",
        when=f"situation {n}",
        sets=sets,
    )


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Database:
    opened = Database.open(tmp_path / "data" / "calldesk.db", clock)
    yield opened  # type: ignore[misc]
    opened.close()


def session(
    store: Database, phrases: list[Phrase], clock: FakeClock, **kwargs: object
) -> PracticeSession:
    options: dict[str, object] = {"new_per_day": 5, "scheduler": EXACT, **kwargs}
    return PracticeSession(store, phrases, clock, **options)  # type: ignore[arg-type]


def interval(review: ReviewRecord) -> timedelta:
    return review.due - review.reviewed_at


# -- thirty days of practice ---------------------------------------------------------------


def test_thirty_days_remembered_intervals_grow_and_a_lapse_shrinks_them(
    store: Database, clock: FakeClock
) -> None:
    words = phrase(1)
    practice = session(store, [words], clock)
    for _day in range(30):
        while (item := practice.next()) is not None:
            practice.grade(item, 3)
        clock.advance(days=1)
    reviews = practice_records.practice_reviews(store, "p1")
    # Every review that left the card in review state, from graduating out of learning on.
    remembered = [r for r in reviews if r.state_after is CardState.REVIEW]
    assert len(remembered) >= 3, [interval(r) for r in reviews]
    gaps = [interval(r) for r in remembered]
    assert all(later > earlier for earlier, later in itertools.pairwise(gaps)), gaps
    assert gaps[-1] > timedelta(days=20)
    # Each review in review state came when the card was due, never before.
    assert all(
        r.elapsed_days is not None and r.elapsed_days >= 1
        for r in reviews
        if r.state_before is CardState.REVIEW
    )

    # Forget it: the card goes back to relearning within minutes, and comes back sooner.
    card_before = practice_records.practice_card(store, "p1")
    assert card_before is not None and card_before.state is CardState.REVIEW
    clock.set(card_before.due)
    item = practice.next()
    assert item is not None and item.phrase == words
    after_lapse = practice.grade(item, 1)
    assert after_lapse.state is CardState.RELEARNING
    assert after_lapse.due - clock.now() <= timedelta(minutes=10)
    assert after_lapse.stability is not None and card_before.stability is not None
    assert after_lapse.stability < card_before.stability
    clock.advance(minutes=10)
    item = practice.next()
    assert item is not None
    relearned = practice.grade(item, 3)
    assert relearned.state is CardState.REVIEW
    assert relearned.due - clock.now() < gaps[-1]
    assert practice.summary.forgotten == 1
    counts = practice_records.practice_review_counts(store)
    assert counts["p1"] == (len(practice_records.practice_reviews(store, "p1")), 1)


def test_grade_logs_every_review_with_its_details(store: Database, clock: FakeClock) -> None:
    first = grade(store, phrase(1), 3, clock.now(), typed=True, scheduler=EXACT)
    assert first.card_id == 1 and first.state is CardState.LEARNING
    clock.advance(minutes=10)
    second = grade(store, phrase(1), 4, clock.now(), scheduler=EXACT)
    assert second.card_id == 1 and second.state is CardState.REVIEW
    one, two = practice_records.practice_reviews(store, "p1")
    assert (one.rating, one.typed, one.state_before, one.elapsed_days) == (
        3,
        True,
        CardState.NEW,
        None,
    )
    assert (two.rating, two.typed, two.state_before, two.state_after) == (
        4,
        False,
        CardState.LEARNING,
        CardState.REVIEW,
    )
    assert two.elapsed_days == pytest.approx(10 / (24 * 60))
    assert two.due == second.due and one.id is not None and two.id == one.id + 1


@pytest.mark.parametrize("rating", [0, 5, -1])
def test_grade_refuses_a_rating_outside_1_to_4(
    store: Database, clock: FakeClock, rating: int
) -> None:
    with pytest.raises(ValueError, match="1-4"):
        grade(store, phrase(1), rating, clock.now(), scheduler=EXACT)
    assert practice_records.practice_reviews(store) == []


def test_grade_accepts_a_local_time(store: Database, clock: FakeClock) -> None:
    local = datetime(2026, 11, 24, 10, 0, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    card = grade(store, phrase(1), 3, local, scheduler=EXACT)
    assert card.last_review == local.astimezone(UTC)


# -- changed and removed phrases ----------------------------------------------------------


def test_changed_words_start_a_new_card_and_keep_the_history(
    store: Database, clock: FakeClock
) -> None:
    old = phrase(1)
    grade(store, old, 4, clock.now(), scheduler=EXACT)
    old_card = practice_records.practice_card(store, "p1")
    assert old_card is not None and old_card.state is CardState.REVIEW
    # Spacing and line breaks are not a change of words.
    respaced = replace(old, say="Words  number 1,\nsaid calmly.\n")
    assert say_hash(respaced.say) == say_hash(old.say)
    assert build_queue([respaced], practice_records.practice_cards(store), clock.now(), 5).new == []

    reworded = replace(old, say="Words number one, said very calmly.")
    queue = build_queue([reworded], practice_records.practice_cards(store), clock.now(), 5)
    assert [(i.phrase.id, i.changed, i.is_new) for i in queue.new] == [("p1", True, True)]
    assert queue.due == []

    clock.advance(hours=1)
    new_card = grade(store, reworded, 3, clock.now(), scheduler=EXACT)
    assert new_card.card_id != old_card.card_id
    assert new_card.state is CardState.LEARNING
    assert new_card.introduced_at == clock.now()
    reviews = practice_records.practice_reviews(store, "p1")
    assert [(r.card_id, r.state_before) for r in reviews] == [
        (old_card.card_id, CardState.NEW),
        (new_card.card_id, CardState.NEW),
    ]
    assert reviews[0].say_hash == say_hash(old.say)
    assert reviews[1].say_hash == say_hash(reworded.say)
    result = stats([reworded], store, clock.now())
    assert (result.phrases[0].reviews, result.phrases[0].changed) == (2, False)


def test_stats_show_a_changed_phrase_as_new(store: Database, clock: FakeClock) -> None:
    grade(store, phrase(1), 4, clock.now(), scheduler=EXACT)
    row = stats([phrase(1, say="Other words")], store, clock.now()).phrases[0]
    assert (row.state, row.changed, row.due, row.reviews) == (CardState.NEW, True, None, 1)


def test_a_removed_phrase_is_not_shown_but_keeps_card_and_history(
    store: Database, clock: FakeClock
) -> None:
    one, two = phrase(1), phrase(2)
    for words in (one, two):
        grade(store, words, 4, clock.now(), scheduler=EXACT)
    clock.advance(days=60)  # both long due
    assert [
        i.phrase.id
        for i in build_queue([one, two], practice_records.practice_cards(store), clock.now(), 5).due
    ] == ["p1", "p2"]
    queue = build_queue([two], practice_records.practice_cards(store), clock.now(), 5)
    assert [i.phrase.id for i in queue.items] == ["p2"]
    assert "p1" in practice_records.practice_cards(store)
    assert len(practice_records.practice_reviews(store, "p1")) == 1
    # Back in the library, it carries on with its old card.
    back = build_queue([one, two], practice_records.practice_cards(store), clock.now(), 5)
    assert back.due[0].phrase.id == "p1" and back.due[0].card is not None
    assert back.due[0].card.card_id == 1


# -- the queue -----------------------------------------------------------------------------


def card(
    phrase_id: str, due: datetime, state: CardState = CardState.REVIEW, **kw: object
) -> CardRecord:
    values: dict[str, object] = {
        "phrase_id": phrase_id,
        "say_hash": say_hash(phrase(int(phrase_id[1:])).say),
        "card_id": int(phrase_id[1:]),
        "state": state,
        "step": None,
        "stability": 10.0,
        "difficulty": 5.0,
        "due": due,
        "last_review": due - timedelta(days=10),
        "introduced_at": due - timedelta(days=20),
        **kw,
    }
    return CardRecord(**values)  # type: ignore[arg-type]


def test_due_cards_come_most_overdue_first_then_new(clock: FakeClock) -> None:
    now = clock.now()
    phrases = [phrase(n) for n in range(1, 7)]
    cards = {
        "p1": card("p1", now - timedelta(days=1)),
        "p2": card("p2", now - timedelta(days=5)),
        "p3": card("p3", now + timedelta(days=1)),  # not due
        "p4": card("p4", now),  # due this very moment
    }
    queue = build_queue(phrases, cards, now, new_per_day=5)
    assert [i.phrase.id for i in queue.due] == ["p2", "p1", "p4"]
    assert [i.phrase.id for i in queue.new] == ["p5", "p6"]
    assert [i.phrase.id for i in queue.items] == ["p2", "p1", "p4", "p5", "p6"]
    assert queue.first() is not None and queue.first().phrase.id == "p2"  # type: ignore[union-attr]
    assert queue.count == 5


def test_new_phrases_in_a_set_come_before_the_rest_and_reworded_ones_first(
    clock: FakeClock,
) -> None:
    now = clock.now()
    phrases = [phrase(1), phrase(2, sets=("essentials",)), phrase(3), phrase(4, say="new words")]
    cards = {"p4": card("p4", now + timedelta(days=3))}  # learned with other words
    queue = build_queue(phrases, cards, now, new_per_day=3)
    assert [i.phrase.id for i in queue.new] == ["p4", "p2", "p1"]
    assert queue.new_waiting == 1


def test_learning_cards_due_soon_are_shown_ahead_only_when_asked(clock: FakeClock) -> None:
    now = clock.now()
    phrases = [phrase(1), phrase(2)]
    cards = {
        "p1": card("p1", now + timedelta(minutes=5), CardState.LEARNING, step=1),
        "p2": card("p2", now + timedelta(minutes=5)),  # in review: never ahead of time
    }
    assert build_queue(phrases, cards, now, 0).items == []
    queue = build_queue(phrases, cards, now, 0, learn_ahead=timedelta(minutes=20))
    assert [i.phrase.id for i in queue.ahead] == ["p1"]
    assert queue.count == 0 and len(queue) == 1


def test_new_per_day_counts_phrases_introduced_today(store: Database, clock: FakeClock) -> None:
    clock.set(datetime(2026, 11, 24, 23, 0, tzinfo=UTC))  # TZ is UTC in tests
    phrases = [phrase(n) for n in range(1, 11)]
    practice = session(store, phrases, clock, new_per_day=3)
    first = practice.queue()
    assert [i.phrase.id for i in first.new] == ["p1", "p2", "p3"]
    assert first.new_waiting == 7
    for item in first.new:
        practice.grade(item, 4)  # easy: straight into review, due days later
    assert practice.queue().new == []
    assert practice.queue().new_waiting == 7
    # A second session the same day (another sitting) still sees today's limit used up.
    assert session(store, phrases, clock, new_per_day=3).queue().items == []
    assert due_count(store, phrases, clock.now(), 3) == 0
    clock.advance(hours=1, minutes=1)  # 00:01, the next local day
    tomorrow = session(store, phrases, clock, new_per_day=3).queue()
    assert [i.phrase.id for i in tomorrow.new] == ["p4", "p5", "p6"]
    assert due_count(store, phrases, clock.now(), 3) == 3
    assert due_count(store, phrases, clock.now(), 5) == 5


def test_the_set_filter_keeps_only_that_sets_phrases(store: Database, clock: FakeClock) -> None:
    phrases = [phrase(1, sets=("essentials",)), phrase(2), phrase(3, sets=("essentials", "x"))]
    for words in phrases:
        grade(store, words, 4, clock.now(), scheduler=EXACT)
    clock.advance(days=90)
    cards = practice_records.practice_cards(store)
    assert [i.phrase.id for i in build_queue(phrases, cards, clock.now(), 5, "essentials").due] == [
        "p1",
        "p3",
    ]
    assert [i.phrase.id for i in build_queue(phrases, cards, clock.now(), 5, "x").due] == ["p3"]
    assert build_queue(phrases, cards, clock.now(), 5, "nosuch").items == []
    practice = session(
        store, [*phrases, phrase(4), phrase(5, sets=("essentials",))], clock, set_name="essentials"
    )
    assert [i.phrase.id for i in practice.queue().items] == ["p1", "p3", "p5"]


def test_due_count_matches_the_queue(store: Database, clock: FakeClock) -> None:
    phrases = [phrase(n, sets=("s",) if n % 3 == 0 else ()) for n in range(1, 13)]
    for n, words in enumerate(phrases[:8]):
        grade(store, words, 1 + n % 4, clock.now() - timedelta(days=n), scheduler=EXACT)
    changed = [*phrases[:2], replace(phrases[2], say="reworded"), *phrases[3:]]
    for hours in (0, 1, 30, 24 * 5):
        now = clock.now() + timedelta(hours=hours)
        for limit in (0, 2, 10):
            expected = build_queue(
                changed,
                practice_records.practice_cards(store),
                now,
                limit,
                introduced_today=practice_records.practice_introduced(
                    store, now - timedelta(days=1), now
                ),
            ).count
            assert due_count(store, changed, now, limit) == expected, (hours, limit)


def test_session_summary_and_next_due(store: Database, clock: FakeClock) -> None:
    practice = session(store, [phrase(1), phrase(2)], clock)
    assert practice.next_due() is None
    while (item := practice.next()) is not None:
        practice.grade(item, 1 if item.phrase.id == "p2" and item.is_new else 4)
    summary = practice.summary
    assert (summary.reviewed, summary.forgotten, summary.new) == (3, 1, 2)
    assert summary.describe() == "Practised 3 phrases (2 new), forgot 1."
    next_due = practice.next_due()
    assert next_due is not None and next_due >= clock.now() + timedelta(days=1)
    assert describe_due(next_due, clock.now()).startswith("in ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "now"),
        (30, "in 1 min"),
        (600, "in 10 min"),
        (3 * 3600, "in 3 h"),
        (86400, "in 1 day"),
        (4 * 86400, "in 4 days"),
    ],
)
def test_describe_due(clock: FakeClock, seconds: int, text: str) -> None:
    assert describe_due(clock.now() + timedelta(seconds=seconds), clock.now()) == text


def test_practice_text_fills_only_the_agent() -> None:
    words = phrase(1, say="Hi {customer}, this is {agent}. Use {{braces}}.")
    assert practice_text(words, "Pat") == "Hi {customer}, this is Pat. Use {braces}."


# -- the word hint -------------------------------------------------------------------------


def test_word_diff_ignores_case_and_punctuation_but_shows_the_phrase_words() -> None:
    assert word_diff("i UNDERSTAND completely", "I understand, completely.") == [
        (SAME, "I understand, completely.")
    ]


def test_word_diff_marks_missing_and_extra_words_in_reading_order() -> None:
    runs = word_diff("I totally understand sir", "I understand — that's maddening, sir!")
    assert runs == [
        (SAME, "I"),
        (EXTRA, "totally"),
        (SAME, "understand —"),
        (MISSING, "that's maddening,"),
        (SAME, "sir!"),
    ]


def test_word_diff_replacement_shows_both_sides() -> None:
    assert word_diff("calm down", "go on") == [(EXTRA, "calm down"), (MISSING, "go on")]


def test_word_diff_of_nothing_typed_is_all_missing_and_accents_match() -> None:
    assert word_diff("", "Go on.") == [(MISSING, "Go on.")]
    assert word_diff("cafe", "Café!") == [(SAME, "Café!")]
    assert word_diff("Im sorry", "I'm sorry") == [(SAME, "I'm sorry")]


# -- progress ------------------------------------------------------------------------------


def stored_card(
    store: Database, words: Phrase, state: CardState, stability: float, now: datetime
) -> None:
    record = CardRecord(
        phrase_id=words.id,
        say_hash=say_hash(words.say),
        card_id=0,
        state=state,
        step=None,
        stability=stability,
        difficulty=5.0,
        due=now + timedelta(days=stability),
        last_review=now,
        introduced_at=now - timedelta(days=40),
    )
    for rating, before in ((3, CardState.NEW), (1, CardState.REVIEW), (1, CardState.LEARNING)):
        review = ReviewRecord(
            phrase_id=words.id,
            say_hash=record.say_hash,
            card_id=0,
            rating=rating,
            reviewed_at=now - timedelta(days=1),
            elapsed_days=None,
            state_before=before,
            state_after=state,
            stability=stability,
            difficulty=5.0,
            due=record.due,
        )
        record, _ = practice_records.save_practice_review(store, record, review)


def test_stats_per_phrase_and_learned_per_set(store: Database, clock: FakeClock) -> None:
    now = clock.now()
    ess = ("essentials",)
    phrases = [phrase(1, sets=ess), phrase(2, sets=ess), phrase(3, sets=(*ess, "b")), phrase(4)]
    stored_card(store, phrases[0], CardState.REVIEW, LEARNED_STABILITY_DAYS + 1, now)
    stored_card(store, phrases[1], CardState.REVIEW, LEARNED_STABILITY_DAYS - 1, now)
    stored_card(store, phrases[3], CardState.REVIEW, 90, now)
    result = stats(phrases, store, now)
    by_id = {row.phrase_id: row for row in result.phrases}
    assert [row.phrase_id for row in result.phrases] == ["p1", "p2", "p3", "p4"]
    assert (by_id["p1"].learned, by_id["p2"].learned, by_id["p3"].learned) == (True, False, False)
    # Three reviews each; only the 1 given in review is a lapse.
    assert (by_id["p1"].reviews, by_id["p1"].lapses) == (3, 1)
    assert (by_id["p3"].reviews, by_id["p3"].lapses, by_id["p3"].state) == (0, 0, CardState.NEW)
    assert by_id["p1"].due == now + timedelta(days=LEARNED_STABILITY_DAYS + 1)
    assert [(s.name, s.learned, s.seen, s.total) for s in result.sets] == [
        ("essentials", 1, 2, 3),  # the set learned first comes first
        ("b", 0, 0, 1),
    ]
    assert (result.learned, result.total, result.due_now) == (2, 4, 0)
    only = stats(phrases, store, now, "essentials")
    assert [row.phrase_id for row in only.phrases] == ["p1", "p2", "p3"]
    assert (only.learned, only.total) == (1, 3)
    assert [(s.name, s.total) for s in only.sets] == [("essentials", 3), ("b", 1)]
    later = stats(phrases, store, now + timedelta(days=30), "essentials")
    assert later.due_now == 2
    payload = result.to_json()
    assert payload["phrases"][0]["state"] == "review" and payload["learned"] == 2


def test_stats_without_a_database_has_every_phrase_new(clock: FakeClock) -> None:
    result = stats([phrase(1, sets=("a",))], None, clock.now())
    assert [(r.state, r.reviews) for r in result.phrases] == [(CardState.NEW, 0)]
    assert [(s.name, s.learned, s.total) for s in result.sets] == [("a", 0, 1)]


# -- storage -------------------------------------------------------------------------------


def test_an_old_database_gains_the_practice_tables(tmp_path: Path, clock: FakeClock) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    MIGRATIONS[0](db)
    MIGRATIONS[1](db)
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()
    with Database.open(path, clock) as store:
        assert grade(store, phrase(1), 3, clock.now(), scheduler=EXACT).card_id == 1
        assert len(practice_records.practice_reviews(store)) == 1


def test_card_ids_are_never_reused(store: Database, clock: FakeClock) -> None:
    ids = [grade(store, phrase(n), 3, clock.now(), scheduler=EXACT).card_id for n in (1, 2)]
    ids.append(grade(store, phrase(1, say="changed"), 3, clock.now(), scheduler=EXACT).card_id)
    ids.append(grade(store, phrase(3), 3, clock.now(), scheduler=EXACT).card_id)
    assert ids == [1, 2, 3, 4]


def test_core_practice_imports_neither_textual_nor_fsrs() -> None:
    code = (
        "import sys, calldesk.core.practice.records, calldesk.core.practice.cards;"
        "print(sorted(m for m in ('textual', 'rich', 'fsrs') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
