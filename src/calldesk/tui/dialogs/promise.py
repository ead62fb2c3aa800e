"""Ask when a promise is due: Enter keeps it, Escape drops it; the time is read as it is typed."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label

from calldesk.core.clock import Clock
from calldesk.core.promises.model import when_text
from calldesk.core.promises.when import DueError, parse_due
from calldesk.tui.text import LiteralInput, clip, literal


class PromiseDialog(ModalScreen[datetime | None]):
    """Answers the due time, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="promise-cancel",
            tooltip="Make no promise",
        ),
    ]

    def __init__(self, what: str, clock: Clock, due: str = "in 1h") -> None:
        super().__init__()
        self._what = what
        self._clock = clock
        self._due = due

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Make a promise", classes="dialog-title")
            yield Label(literal(clip(self._what, 200)), markup=False)
            yield LiteralInput(self._due, id="promise-due", placeholder="When is it due?")
            yield Label("", id="promise-when", markup=False)
            yield Label(
                "e.g. 15:30 · 3pm · in 2h · tomorrow 10am · Friday\n"
                "Enter keeps the promise · Escape makes none",
                classes="dialog-hint",
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(LiteralInput).focus()
        self._read(self._due)

    def _read(self, text: str) -> datetime | None:
        label = self.query_one("#promise-when", Label)
        now = self._clock.now()
        try:
            due = parse_due(text, now)
        except DueError as error:
            label.update(literal(str(error), "yellow"))
            return None
        label.update(literal(f"due {when_text(due, now)}", "bold"))
        return due

    def on_input_changed(self, event: Input.Changed) -> None:
        self._read(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        due = self._read(self.query_one(LiteralInput).true_value)
        if due is not None:
            self.dismiss(due)

    def action_cancel(self) -> None:
        self.dismiss(None)
