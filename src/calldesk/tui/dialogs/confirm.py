"""A yes/no question that only an explicit y or n answers."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from calldesk.tui.text import literal


class ConfirmDialog(ModalScreen[bool]):
    """Answers True for y, False for n or Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="confirm-yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm-no"),
    ]

    def __init__(self, question: str, detail: str = "") -> None:
        super().__init__()
        self._question = question
        self._detail = detail

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self._question, "bold"), classes="dialog-title", markup=False)
            if self._detail:  # may quote a note or an error: shown literally
                yield Label(literal(self._detail), markup=False)
            yield Label("y yes · n no", classes="dialog-hint")
        yield Footer(compact=True)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
