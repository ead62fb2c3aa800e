"""The practice card's question: the situation, what the agent wants to say, the ask, the cue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Label

from calldesk.tui.text import literal, visible

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from calldesk.core.practice.cards import QueueItem
    from calldesk.core.practice.teach import CardView


class PracticeCard(Vertical):
    """One card's question, drawn from its phrase and how it is taught today (`CardView`).

    The border names the phrase's category and whether the card is new, reworded or a review;
    the answer, the attempt and the grades are the practice screen's.
    """

    def compose(self) -> ComposeResult:
        yield Label("", id="practice-when", markup=False)
        yield Label("", id="practice-instead", markup=False)
        yield Label("", id="practice-ask", markup=False)
        yield Label("", id="practice-cue", markup=False)

    def show(self, item: QueueItem, view: CardView | None) -> None:
        """Draw `item`'s question: a fill-the-gap ask when `view` has a cloze, a hint if a cue."""
        phrase = item.phrase
        label = "new" if item.card is None else "new words" if item.changed else "review"
        self.border_title = literal(phrase.category)
        self.border_subtitle = literal(label)
        when = self.query_one("#practice-when", Label)
        if phrase.when or phrase.instead_of:
            when.update(Text.assemble(("When: ", "bold"), visible(phrase.when)))
        else:  # no situation written: the title is the only cue
            when.update(Text.assemble(("Phrase: ", "bold"), visible(phrase.title)))
        when.display = bool(phrase.when or not phrase.instead_of)
        instead = self.query_one("#practice-instead", Label)
        instead.update(
            Text.assemble(("You want to say: ", "bold"), literal(f"“{phrase.instead_of}”"))
        )
        instead.display = bool(phrase.instead_of)
        ask_label = self.query_one("#practice-ask", Label)
        if view is not None and view.cloze is not None:
            self.border_subtitle = literal(f"{label} · fill the gap")
            ask = Text("Fill the gap: ", style="italic")
            ask.append(visible(view.cloze.text))
            ask_label.update(ask)
        else:
            ask = "What do you say instead?" if phrase.instead_of else "What do you say?"
            ask_label.update(Text(ask, style="italic"))
        cue = self.query_one("#practice-cue", Label)
        cue.update(Text.assemble(("Hint: ", "bold"), visible(view.cue if view else "")))
        cue.display = bool(view and view.cue)
