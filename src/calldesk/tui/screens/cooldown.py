"""The break after a bad call: a countdown that only an explicit key starts, snoozes or skips."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import Digits, Footer, Label

from calldesk.core.aftercall.cooldown import CooldownError, CooldownState, Phase, message_lines
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.typeahead import keys_for_the_next_screen


def clock_face(state: CooldownState, now: datetime) -> str:
    seconds = int(state.remaining(now).total_seconds() + 0.999)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class CooldownScreen(Screen[None]):
    """Covers the desk until the break is taken, snoozed or skipped; stray keys do nothing."""

    HOLDS_ATTENTION = True  # global keys other than F2, F1 and quit stay away

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "s", "start", "Start break", id="cooldown-start", tooltip="Start the countdown now"
        ),
        Binding(
            "z",
            "snooze",
            "Snooze",
            id="cooldown-snooze",
            tooltip="Put the break off for a little while",
        ),
        Binding(
            "x", "skip", "Skip", id="cooldown-skip", tooltip="Skip this break (it is recorded)"
        ),
        Binding(
            "e", "end_early", "End early", id="cooldown-end", tooltip="Back before the time is up"
        ),
        Binding("enter", "back", "Back to work", id="cooldown-back", tooltip="Return to the desk"),
    ]

    def __init__(
        self,
        state: CooldownState,
        now: Callable[[], datetime],
        save: Callable[[CooldownState], None],
    ) -> None:
        super().__init__()
        self.state = state
        self._now = now
        self._save = save

    def compose(self) -> ComposeResult:
        with Center(id="cooldown-box"), Vertical(id="cooldown"):
            yield Label("", id="cooldown-title", markup=False)
            yield Digits(clock_face(self.state, self._now()), id="cooldown-clock")
            for line in message_lines(self.state):
                yield Label(Text(line), classes="cooldown-line", markup=False)
            yield Label("", id="cooldown-status", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.set_interval(0.5, self.tick)
        self.tick()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        phase = self.state.state
        if action == "start":
            return phase in (Phase.OFFERED, Phase.SNOOZED)
        if action == "snooze":
            return phase in (Phase.OFFERED, Phase.SNOOZED) and self.state.can_snooze
        if action == "skip":  # a running break ends early instead (and counts as taken)
            return phase in (Phase.OFFERED, Phase.SNOOZED)
        if action == "end_early":
            return phase is Phase.RUNNING
        if action == "back":
            return not phase.is_active
        return True

    def _set(self, state: CooldownState) -> None:
        self.state = state
        self._save(state)
        self.refresh_bindings()
        self.tick()

    def tick(self) -> None:
        if not self.is_attached:
            return  # dismissed: its timer may still fire once while the screen is taken down
        now = self._now()
        if self.state.state is Phase.RUNNING and self.state.is_finished(now):
            self._set(self.state.finish(now))
            self.app.bell()
            self.app.notify("Your break is over. Welcome back.", title="Break over", timeout=15)
        try:
            title = self.query_one("#cooldown-title", Label)
            digits = self.query_one(Digits)
            status = self.query_one("#cooldown-status", Label)
        except NoMatches:
            return  # mounting or unmounting: the next tick draws it
        title.update(Text("A longer break" if self.state.long_break else "Take five", style="bold"))
        digits.update(clock_face(self.state, now))
        status.update(self._status())

    def _status(self) -> Text:
        phase = self.state.state
        if phase is Phase.RUNNING:
            return Text("On a break. Stand up, breathe, get some water. e ends early.")
        if phase in (Phase.OFFERED, Phase.SNOOZED):
            left = self.state.max_snoozes - self.state.snoozes_used
            return Text(f"s starts the break · z snoozes ({left} left) · x skips")
        if phase is Phase.DONE:
            return Text(
                "Break over. Next call is a fresh start. Enter goes back to the desk.", style="bold"
            )
        return Text("Break skipped. Enter goes back to the desk.")

    def interrupt(self) -> None:
        """A call came in: a running break counts as taken, one not yet started as skipped."""
        now = self._now()
        if self.state.state is Phase.RUNNING:
            self._set(self.state.finish(now))
        elif self.state.state.is_active:
            self._set(self.state.skip(now))

    def action_start(self) -> None:
        self._step(lambda now: self.state.start(now))

    def action_snooze(self) -> None:
        if self._step(lambda now: self.state.snooze(now)):
            minutes = round(self.state.snooze_s / 60)
            self.app.notify(f"Break snoozed for {minutes} min. It will come back.", timeout=5)
            self.dismiss()

    def action_skip(self) -> None:
        def answered(skip: bool | None) -> None:
            if skip and self._step(lambda now: self.state.skip(now)):
                self.dismiss()

        self.app.push_screen(
            ConfirmDialog(
                "Skip this break?", "It is recorded as skipped. You can still step away any time."
            ),
            answered,
        )

    def action_end_early(self) -> None:
        def answered(end: bool | None) -> None:
            if end and self.state.state is Phase.RUNNING:
                self._step(lambda now: self.state.finish(now))

        # Asked, so a key pressed by accident never ends the break the agent needed.
        self.app.push_screen(
            ConfirmDialog("End the break now?", "It counts as a break taken."), answered
        )

    def action_back(self) -> None:
        if not self.state.state.is_active:
            keys_for_the_next_screen(self.app)  # the checklist follows the break
            self.dismiss()

    def _step(self, change: Callable[[datetime], CooldownState]) -> bool:
        try:
            self._set(change(self._now()))
        except CooldownError as error:
            self.app.notify(str(error), severity="warning")
            return False
        return True
