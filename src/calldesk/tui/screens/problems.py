"""Every problem in the phrase files, as `file:line:col: message`, for the agent to pass on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from calldesk.core.library.problems import Problem
from calldesk.core.textsafe import counted
from calldesk.tui.text import visible


class ProblemsScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="problems-close", tooltip="Back to the desk")
    ]

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__()
        self.problems = list(problems)

    def compose(self) -> ComposeResult:
        text = Text()
        for problem in self.problems:
            style = "red" if problem.is_error else "yellow"
            text.append(visible(problem.format()) + "\n", style=style)
        with VerticalScroll(classes="dialog wide"):
            yield Label(
                f"{counted(len(self.problems), 'problem')} in phrase files",
                classes="dialog-title",
                markup=False,
            )
            yield Static(text or Text("None."), markup=False)
            yield Label(
                "Files with errors were skipped; everything else is loaded. "
                "`calldesk phrases check` prints the same list.",
                classes="dialog-hint",
            )
        yield Footer(compact=True)

    def action_close(self) -> None:
        self.dismiss(None)
