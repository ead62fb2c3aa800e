"""F9: practise phrases card by card (spaced repetition), so the words are there on a bad call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label

from calldesk.core.practice.cards import (
    RATINGS,
    PracticeQueue,
    PracticeSession,
    PracticeSummary,
    QueueItem,
    describe_due,
    practice_text,
)
from calldesk.core.practice.hint import EXTRA, MISSING, word_diff
from calldesk.core.practice.progress import LEGEND, set_lines
from calldesk.core.practice.stats import SetStats, stats
from calldesk.core.practice.teach import CardView, prepare, score_attempt
from calldesk.tui.reads import DataAccess, InPlace
from calldesk.tui.screens.practice_card import PracticeCard
from calldesk.tui.text import LiteralInput, visible

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from fsrs import Scheduler

    from calldesk.core.clock import Clock
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.practice.scoring import Score
    from calldesk.core.storage import Database

_DIFF_STYLES = {MISSING: "bold underline green", EXTRA: "strike red"}


def diff_text(runs: list[tuple[str, str]]) -> Text:
    """The word hint: phrase words as they are, left-out ones underlined, extra ones struck."""
    text = Text()
    for op, words in runs:
        if text:
            text.append(" ")
        text.append(visible(words), style=_DIFF_STYLES.get(op, ""))
    return text


@dataclass(frozen=True, slots=True)
class _Next:
    """What the screen needs for its next card, read in one go behind the last grade."""

    queue: PracticeQueue
    summary: PracticeSummary
    next_due: datetime | None
    ratings: list[int]
    """The first card's grades in its current words (for the fading cues)."""
    sets: list[SetStats]
    """Progress per drill set; only read when nothing is left to practise."""


def _read_next(session: PracticeSession) -> _Next:
    """Runs behind the queued writes (the desk's writer thread in the app)."""
    queue = session.queue()
    item = queue.first()
    ratings = session.ratings(item) if item is not None else []
    sets = (
        [] if item is not None else stats(session.phrases, session.store, session.clock.now()).sets
    )
    return _Next(queue, session.summary, session.next_due(), ratings, sets)


class PracticeScreen(Screen[PracticeSummary | None]):
    """One card at a time: the situation, an optional attempt, the real words, a 1-4 grade.

    Dismisses with the session's summary on Escape (None only if something else closes it).
    The session's reads and grades go through `data`: in the app, the desk's writer thread,
    so a slow disk never holds the screen; shown on its own (tests), in place.
    """

    HOLDS_ATTENTION = True  # global keys other than F2, F1 and quit stay away

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "reveal",
            "Show phrase",
            id="practice-reveal",
            tooltip="Show the real words (type your attempt first, or just say it aloud)",
        ),
        Binding(
            "enter",
            "take",
            "Suggested",
            id="practice-take",
            tooltip="Grade the card as suggested by the score of your attempt",
        ),
        Binding("1", "grade(1)", "Again", id="practice-again", tooltip="Forgot it: see it soon"),
        Binding("2", "grade(2)", "Hard", id="practice-hard", tooltip="Got it, with effort"),
        Binding("3", "grade(3)", "Good", id="practice-good", tooltip="Knew it"),
        Binding("4", "grade(4)", "Easy", id="practice-easy", tooltip="Knew it without thinking"),
        Binding("escape", "end", "End", id="practice-end", tooltip="End practice: back to work"),
        Binding(
            "ctrl+t",
            "aloud",
            "Aloud",
            id="practice-aloud",
            tooltip="Say-it-aloud mode: Enter starts the clock, Enter again (as you start to "
            "speak) shows the phrase",
        ),
    ]

    def __init__(
        self,
        phrases: Sequence[Phrase],
        store: Database,
        clock: Clock,
        *,
        new_per_day: int,
        set_name: str | None = None,
        agent_name: str = "",
        scheduler: Scheduler | None = None,
        data: DataAccess | None = None,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.agent_name = agent_name
        self.data: DataAccess = data or InPlace()
        self._open_session = lambda: PracticeSession(
            store,
            phrases,
            clock,
            new_per_day=new_per_day,
            set_name=set_name,
            scheduler=scheduler,
        )
        self.session: PracticeSession | None = None
        self.set_name = set_name
        self.item: QueueItem | None = None
        self.view: CardView | None = None
        self.summary = PracticeSummary()
        self._next_due: datetime | None = None
        self._progress: list[SetStats] = []
        self.revealed = False
        self.attempt = ""
        self.score: Score | None = None
        self.aloud = False
        """Say-it-aloud mode (ctrl+t): no typing; the time to start speaking is recorded."""
        self.started: datetime | None = None
        """Aloud mode: when the situation was shown (None: still waiting for the first Enter)."""
        self.seconds_to_speak: float | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="practice"):
            yield Label("", id="practice-progress", markup=False)
            yield PracticeCard(id="practice-card")
            yield Label("", id="practice-ready", markup=False)
            yield LiteralInput(
                placeholder="Type what you would say, or say it aloud; Enter shows the phrase",
                id="practice-attempt",
                max_length=1000,
            )
            with Vertical(id="practice-answer"):
                yield Label("", id="practice-say", markup=False)
                yield Label("", id="practice-diff", markup=False)
                yield Label("", id="practice-score", markup=False)
                yield Label(
                    Text("How well did you know it? 1 again · 2 hard · 3 good · 4 easy"),
                    id="practice-grades",
                    markup=False,
                )
            yield Label("", id="practice-empty", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.data.read(self._open_session, self._session_opened)

    def _session_opened(self, session: PracticeSession) -> None:
        self.session = session
        self.show_next()

    # -- showing --------------------------------------------------------------------------

    def show_next(self) -> None:
        """Show the next due card, or say that nothing is due (read behind the last grade)."""
        session = self.session
        if session is not None:
            self.data.read(lambda: _read_next(session), self._show_queue)

    def _show_queue(self, found: _Next) -> None:
        if not self.is_attached:
            return  # ended while the read was on its way
        queue = found.queue
        self.summary, self._next_due, self._progress = found.summary, found.next_due, found.sets
        self.item = queue.first()
        self.revealed = False
        self.attempt = ""
        self.score = None
        self.started = None
        self.seconds_to_speak = None
        self.view = None
        if self.item is not None:
            words = practice_text(self.item.phrase, self.agent_name)
            self.view = prepare(self.item, words, found.ratings)
        has_card = self.item is not None
        waiting = has_card and self.aloud
        self.query_one("#practice-card").display = has_card and not waiting
        self.query_one("#practice-ready").display = waiting
        self.query_one("#practice-answer").display = False
        self.query_one("#practice-empty").display = not has_card
        attempt = self.query_one("#practice-attempt", LiteralInput)
        attempt.display = has_card and not self.aloud
        attempt.disabled = not has_card or self.aloud
        attempt.value = ""
        progress = Text("Practice", style="bold")
        if self.set_name:
            progress.append(f" · set {visible(self.set_name)}")
        progress.append(f"   {len(queue.due)} due · {len(queue.new)} new", style="dim")
        if queue.ahead:
            progress.append(f" · {len(queue.ahead)} learning", style="dim")
        if self.aloud:
            progress.append(" · aloud", style="dim")
        self.query_one("#practice-progress", Label).update(progress)
        if self.item is None:
            self._show_empty()
        else:
            self.query_one(PracticeCard).show(self.item, self.view)
            ready = Text("Say it aloud. ", style="bold")
            ready.append("Enter shows the situation and starts the clock; press Enter again ")
            ready.append("the moment you start to speak.")
            self.query_one("#practice-ready", Label).update(ready)
            if self.aloud:
                self.set_focus(None)
            else:
                attempt.focus()
        self.refresh_bindings()

    def _show_empty(self) -> None:
        summary = self.summary
        lines = Text("Nothing to practise right now.", style="bold")
        next_due = self._next_due
        if next_due is not None:
            lines.append(f"\nNext phrase due {describe_due(next_due, self.clock.now())}.")
        if summary.reviewed:
            lines.append(f"\n{summary.describe()}")
        bars = set_lines(self._progress)
        if bars:
            lines.append("\n\nProgress per set", style="bold")
            lines.append(f"  {LEGEND}", style="dim")
            for line in bars:
                lines.append("\n" + visible(line))
        lines.append("\nEscape goes back.", style="dim")
        self.query_one("#practice-empty", Label).update(lines)

    # -- keys -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            return self.item is not None and not self.revealed
        if action == "take":
            return self.item is not None and self.revealed and self.score is not None
        if action == "grade":
            return self.item is not None and self.revealed
        return True

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_reveal()

    def action_take(self) -> None:
        """Enter after the reveal: the suggested grade."""
        if self.revealed and self.score is not None:
            self.action_grade(self.score.suggested)

    def action_reveal(self) -> None:
        """Enter: show the phrase (in aloud mode, first the situation and the clock)."""
        if self.item is None or self.revealed:
            return
        if self.aloud and self.started is None:
            self.started = self.clock.now()
            self.query_one("#practice-ready").display = False
            self.query_one("#practice-card").display = True
            return
        if self.started is not None:
            self.seconds_to_speak = (self.clock.now() - self.started).total_seconds()
        attempt = self.query_one("#practice-attempt", LiteralInput)
        self.attempt = "" if self.aloud else attempt.true_value
        self.revealed = True
        # Disabled, so 1-4 reach the grade bindings instead of the text field.
        attempt.disabled = True
        phrase = self.item.phrase
        words = practice_text(phrase, self.agent_name)
        say = Text.assemble((visible(phrase.title), "bold"), "\n", visible(words))
        self.query_one("#practice-say", Label).update(say)
        diff = self.query_one("#practice-diff", Label)
        if self.attempt.strip():
            hint = Text.assemble(("Yours vs the phrase: ", "dim"))
            answer = self.view.answer if self.view is not None else words
            hint.append_text(diff_text(word_diff(self.attempt, answer)))
            diff.update(hint)
        diff.display = bool(self.attempt.strip())
        self._show_score()
        self.query_one("#practice-answer").display = True
        self.refresh_bindings()

    def _show_score(self) -> None:
        """How the attempt did on the key clause, and the suggested grade (Enter takes it)."""
        label = self.query_one("#practice-score", Label)
        view, item = self.view, self.item
        self.score = None
        if view is not None and item is not None and self.attempt.strip():
            self.score = score_attempt(view, self.attempt, item.phrase.instead_of)
        text = Text()
        if self.seconds_to_speak is not None:
            text.append(f"You started after {self.seconds_to_speak:.1f} s.", style="dim")
        if self.score is not None:
            said = len(self.score.clause_said)
            total = said + len(self.score.clause_missed)
            if text:
                text.append("\n")
            text.append("Key clause: ", style="bold")
            text.append(visible(f"“{self.score.clause}”"))
            text.append(f", {said} of {total} key words said.\n")
            grade = self.score.suggested
            text.append(f"Suggested: {grade} {RATINGS[grade]}", style="bold")
            text.append(f" ({self.score.reason}) · Enter takes it, or 1-4")
        label.update(text)
        label.display = bool(text)
        # The suggestion line says what the keys do; the general question would not fit 80x24.
        self.query_one("#practice-grades").display = self.score is None

    def action_grade(self, rating: int) -> None:
        session, item = self.session, self.item
        if session is None or item is None or not self.revealed:
            return
        typed = bool(self.attempt.strip())
        seconds = self.seconds_to_speak
        self.item = None  # no second grade while this one is on its way
        self.data.write(lambda: session.grade(item, rating, typed=typed, seconds_to_speak=seconds))
        self.show_next()

    def action_aloud(self) -> None:
        """Switch say-it-aloud mode; an unrevealed card starts over in the new mode."""
        self.aloud = not self.aloud
        if not self.revealed:
            self.show_next()
        self.notify(
            "Say-it-aloud mode: Enter starts the clock." if self.aloud else "Typing mode.",
            title="Practice",
        )

    def action_end(self) -> None:
        session = self.session
        if session is None:
            self.dismiss(self.summary)
            return
        self.data.read(lambda: session.summary, self._end)

    def _end(self, summary: PracticeSummary) -> None:
        if self.is_attached and self.is_active:
            self.dismiss(summary)
