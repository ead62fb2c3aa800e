"""Pilot tests and snapshots of the practice screen, mounted in a small app with calldesk's CSS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fsrs import Scheduler
from tests.tui_helpers import type_text
from textual.app import App
from textual.content import Content
from textual.widgets import Input, Label

import calldesk.tui
from calldesk.core.clock import FakeClock
from calldesk.core.library.phrases import Phrase
from calldesk.core.practice import records as practice_records
from calldesk.core.practice.cards import CardState, PracticeSummary
from calldesk.core.storage import Database
from calldesk.tui.screens.practice import PracticeScreen

PHRASES = [
    Phrase(
        id="go-on",
        title="Let them get it all out",
        say="Go on, I'm listening.\nTell me all of it. I'm writing it down.",
        category="Calming a furious caller",
        when="The caller opens angry and needs to vent before they can hear anything.",
        instead_of="Calm down, sir.",
        sets=("essentials",),
    ),
    Phrase(
        id="markup",
        title="[bold]Not bold[/bold]",
        say="Say [red]this[/red] as written, {agent}.",
        category="Odd [i]text[/i]",
        when="A trainer wrote [b]markup[/b] into a phrase.",
    ),
]


class PracticeApp(App[None]):
    """Just the practice screen, styled by calldesk's own stylesheet."""

    CSS_PATH = Path(calldesk.tui.__file__).parent / "app.tcss"

    def __init__(self, screen: PracticeScreen) -> None:
        super().__init__()
        self.practice = screen
        self.results: list[PracticeSummary | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.practice, self.results.append)


@pytest.fixture
def store(tmp_path: Path, clock: FakeClock) -> Iterator[Database]:
    with Database.open(tmp_path / "data" / "calldesk.db", clock) as opened:
        yield opened


def practice_app(store: Database, clock: FakeClock, phrases: list[Phrase] = PHRASES) -> PracticeApp:
    screen = PracticeScreen(
        phrases,
        store,
        clock,
        new_per_day=5,
        agent_name="Pat",
        scheduler=Scheduler(enable_fuzzing=False),
    )
    return PracticeApp(screen)


def label_text(app: App[None], selector: str) -> str:
    return str(app.screen.query_one(selector, Label).render())


async def test_a_session_grades_cards_and_dismisses_with_the_summary(
    store: Database, clock: FakeClock
) -> None:
    app = practice_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.practice
        assert isinstance(app.focused, Input)
        assert "The caller opens angry" in label_text(app, "#practice-when")
        assert "Calm down, sir." in label_text(app, "#practice-instead")
        assert not screen.query_one("#practice-answer").display
        await pilot.press("3")  # typed into the attempt, not a grade: nothing is revealed yet
        assert practice_records.practice_reviews(store) == []
        await pilot.press("backspace")
        await type_text(pilot, "go on tell me everything")
        await pilot.press("enter")
        assert screen.revealed and screen.query_one("#practice-answer").display
        assert "Tell me all of it." in label_text(app, "#practice-say")
        hint = screen.query_one("#practice-diff", Label).render()
        assert "everything" in str(hint) and "listening" in str(hint)
        await pilot.press("4")
        assert [
            (r.phrase_id, r.rating, r.typed) for r in practice_records.practice_reviews(store)
        ] == [("go-on", 4, True)]
        # The next card: markup in trainer text is shown as written.
        assert "[b]markup[/b]" in label_text(app, "#practice-when")
        title = screen.query_one("#practice-card").border_title  # read back as markup
        assert Content.from_markup(title or "").plain == "Odd [i]text[/i]"
        await pilot.press("enter")  # said it aloud
        assert "Say [red]this[/red] as written, Pat." in label_text(app, "#practice-say")
        assert not screen.query_one("#practice-diff").display
        await pilot.press("1")
        # Forgotten: it comes back at once (still being learned), until it is known.
        assert screen.item is not None and screen.item.phrase.id == "markup"
        await pilot.press("enter", "3", "enter", "3")
        assert "Nothing to practise right now." in label_text(app, "#practice-empty")
        assert not screen.query_one("#practice-attempt").display
        await pilot.press("escape")
        await pilot.pause()
    summary = app.results[0]
    assert summary is not None
    assert (summary.reviewed, summary.forgotten, summary.new) == (4, 1, 2)
    states = {
        card.phrase_id: card.state for card in practice_records.practice_cards(store).values()
    }
    assert states == {"go-on": CardState.REVIEW, "markup": CardState.REVIEW}


async def test_grade_keys_do_nothing_before_the_phrase_is_shown(
    store: Database, clock: FakeClock
) -> None:
    app = practice_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        app.set_focus(None)  # even with the text field out of the way
        await pilot.press("2")
        assert practice_records.practice_reviews(store) == []
        assert not app.practice.revealed
        await pilot.press("enter", "2")
        assert [r.rating for r in practice_records.practice_reviews(store)] == [2]
        # Escape ends the session even while the attempt field has the focus.
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        await pilot.pause()
    assert len(app.results) == 1 and app.results[0] is not None
    assert (app.results[0].reviewed, app.results[0].forgotten) == (1, 0)


async def test_nothing_due_says_so_and_when(store: Database, clock: FakeClock) -> None:
    app = practice_app(store, clock, PHRASES[:1])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "4")
        text = label_text(app, "#practice-empty")
        assert "Nothing to practise right now." in text
        assert "Next phrase due in" in text
        assert "Practised 1 phrase (1 new), forgot 0." in text
        await pilot.press("escape")
        await pilot.pause()
    assert app.results[0] is not None and app.results[0].reviewed == 1


def test_snapshot_card(snap_compare, store: Database, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(practice_app(store, clock), terminal_size=(80, 24), run_before=run_before)


def test_snapshot_revealed_with_hint(snap_compare, store: Database, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await type_text(pilot, "I'm listening, tell me everything")
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(practice_app(store, clock), terminal_size=(80, 24), run_before=run_before)


# -- practice that teaches (#18) ------------------------------------------------------------------


async def test_calm_down_sir_is_suggested_again_and_enter_takes_the_suggestion(
    store: Database, clock: FakeClock
) -> None:
    app = practice_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "calm down sir")
        await pilot.press("enter")
        score = label_text(app, "#practice-score")
        assert "Suggested: 1 again" in score and '"calm down" is never the right words' in score
        assert app.practice.score is not None and app.practice.score.suggested == 1
        await pilot.press("enter")  # takes the suggestion
        reviews = practice_records.practice_reviews(store)
        assert [(r.phrase_id, r.rating) for r in reviews] == [("go-on", 1)]


async def test_another_grade_overrides_the_suggestion(store: Database, clock: FakeClock) -> None:
    app = practice_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await type_text(pilot, "go on, I'm listening, I'm writing it down")
        await pilot.press("enter")
        assert "Suggested: 3 good" in label_text(app, "#practice-score")
        await pilot.press("2")
        assert [r.rating for r in practice_records.practice_reviews(store)] == [2]


async def test_without_an_attempt_there_is_no_suggestion(store: Database, clock: FakeClock) -> None:
    app = practice_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert not app.practice.query_one("#practice-score").display
        await pilot.press("enter")  # nothing to take: Enter does not grade
        assert practice_records.practice_reviews(store) == []
        await pilot.press("3")
        assert [r.rating for r in practice_records.practice_reviews(store)] == [3]


async def test_say_it_aloud_times_the_start_of_speaking(store: Database, clock: FakeClock) -> None:
    app = practice_app(store, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.practice
        await pilot.press("ctrl+t")
        assert screen.aloud and not screen.query_one("#practice-attempt").display
        assert not screen.query_one("#practice-card").display  # the situation waits for Enter
        assert "Enter shows the situation" in label_text(app, "#practice-ready")
        await pilot.press("enter")
        assert screen.query_one("#practice-card").display and not screen.revealed
        clock.advance(2.5)
        await pilot.press("enter")
        assert screen.revealed
        assert "You started after 2.5 s." in label_text(app, "#practice-score")
        await pilot.press("3")
    (review,) = practice_records.practice_reviews(store)
    assert (review.rating, review.typed, review.seconds_to_speak) == (3, False, 2.5)


async def test_a_card_the_agent_keeps_missing_shows_first_letters(
    store: Database, clock: FakeClock
) -> None:
    app = practice_app(store, clock, PHRASES[:1])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.practice
        assert not screen.query_one("#practice-cue").display  # a new card needs no hint
        await pilot.press("enter", "1")  # forgotten: back in a minute, with a hint
        clock.advance(120)
        screen.show_next()
        await pilot.pause()
        assert label_text(app, "#practice-cue").startswith("Hint: G ·, I ·.")
        await pilot.press("enter", "1")
        clock.advance(120)
        screen.show_next()
        await pilot.pause()
        assert label_text(app, "#practice-cue").startswith("Hint: G o, I l.")


async def test_the_end_of_a_round_shows_progress_per_set(store: Database, clock: FakeClock) -> None:
    app = practice_app(store, clock, PHRASES[:1])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter", "4")
        text = label_text(app, "#practice-empty")
        assert "Progress per set" in text
        assert "essentials  ▒" in text and "0/1 learned, 1 started" in text


async def test_a_long_phrase_seen_before_comes_back_as_a_cloze(
    store: Database, clock: FakeClock
) -> None:
    long = Phrase(
        id="warning",
        title="The one warning",
        say="{customer}, I want to help you with this. But I can't keep going while I'm being "
        "sworn at. If it happens again, I'll end the call.",
        category="Abusive callers",
        when="The caller swears at you for the first time.",
        key="I can't keep going while I'm being sworn at.",
    )
    app = practice_app(store, clock, [long])
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.practice
        assert "What do you say?" in label_text(app, "#practice-ask")  # new: asked whole
        await pilot.press("enter", "3")
        clock.advance(minutes=11)
        screen.show_next()
        await pilot.pause()
        ask = label_text(app, "#practice-ask")
        assert ask.startswith("Fill the gap: {customer}, I want to help you with this. But _____")
        assert "sworn" not in ask and ask.endswith("If it happens again, I'll end the call.")
        await type_text(pilot, "I cant keep going while being sworn at")
        await pilot.press("enter")
        assert "Suggested: 3 good" in label_text(app, "#practice-score")
