"""How did the call go? f, b or a, with an optional one-line reason."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, OptionList
from textual.widgets.option_list import Option

from calldesk.core.calls.model import Call, Outcome
from calldesk.tui.text import LiteralInput, visible
from calldesk.tui.typeahead import keys_for_the_next_screen

CHOICES = (
    (Outcome.FINE, "f", "Fine", "it went OK, or better"),
    (Outcome.BAD, "b", "Bad", "it went badly; take a break"),
    (Outcome.ABUSIVE, "a", "Abusive", "the caller swore at you, threatened or demeaned you"),
)


@dataclass(frozen=True)
class OutcomeAnswer:
    outcome: Outcome
    reason: str


class OutcomeDialog(ModalScreen[OutcomeAnswer | None]):
    """Answers the outcome and reason, or None to decide later (Escape)."""

    AUTO_FOCUS = "#outcome-choices"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "choose('fine')", "Fine", id="outcome-fine", tooltip="Fine: it went OK"),
        Binding("b", "choose('bad')", "Bad", id="outcome-bad", tooltip="Bad: a break comes next"),
        Binding(
            "a",
            "choose('abusive')",
            "Abusive",
            id="outcome-abusive",
            tooltip="Abusive: they swore, threatened or demeaned you; a break comes next",
        ),
        Binding(
            "escape", "later", "Later", id="outcome-later", tooltip="Decide later, from history"
        ),
    ]

    def __init__(self, call: Call) -> None:
        super().__init__()
        self.call = call
        self.chosen: Outcome | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            title = Text("How did the call with ")
            title.append(visible(self.call.display_caller()))
            title.append(" go?")
            yield Label(title, classes="dialog-title", markup=False)
            yield OptionList(
                *(
                    Option(
                        Text.assemble((f"{key}  ", "bold"), name, (f"  {hint}", "dim")),
                        id=outcome.value,
                    )
                    for outcome, key, name, hint in CHOICES
                ),
                id="outcome-choices",
            )
            yield LiteralInput(
                placeholder="Why, in a line (optional) — Enter saves",
                id="outcome-reason",
                max_length=300,
            )
            yield Label(
                "f fine · b bad · a abusive · Enter saves · Escape decide later",
                classes="dialog-hint",
            )
        yield Footer(compact=True)

    def action_choose(self, value: str) -> None:
        self.chosen = Outcome(value)
        choices = self.query_one(OptionList)
        choices.highlighted = [outcome.value for outcome, *_ in CHOICES].index(value)
        self.query_one("#outcome-reason", LiteralInput).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.chosen = Outcome(event.option_id)
        self._answer()

    def on_input_submitted(self, event: LiteralInput.Submitted) -> None:
        event.stop()
        if self.chosen is None:
            highlighted = self.query_one(OptionList).highlighted or 0
            self.chosen = CHOICES[highlighted][0]
        self._answer()

    def _answer(self) -> None:
        assert self.chosen is not None
        reason = " ".join(self.query_one("#outcome-reason", LiteralInput).true_value.split())
        keys_for_the_next_screen(self.app)  # typed behind Enter: for the break or the checklist
        self.dismiss(OutcomeAnswer(self.chosen, reason))

    def action_later(self) -> None:
        keys_for_the_next_screen(self.app)
        self.dismiss(None)
