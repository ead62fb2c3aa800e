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
