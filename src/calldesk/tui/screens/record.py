"""My record: what the agent achieved per week and month, with sparklines and bars."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from calldesk.tui.reads import DataAccess, InPlace
from calldesk.tui.text import visible

if TYPE_CHECKING:
    from calldesk.core.clock import Clock
    from calldesk.core.storage import Database

WEEKS = 12


class RecordScreen(ModalScreen[None]):
    """The last 12 weeks, read behind the desk's writes; `calldesk record --markdown` for more."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="record-close", tooltip="Back to the desk")
    ]

    def __init__(self, store: Database, clock: Clock, data: DataAccess | None = None) -> None:
        super().__init__()
        self.store = store
        self.clock = clock
        self.data: DataAccess = data or InPlace()
        self.text = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog wide"):
            yield Label("My record", classes="dialog-title")
            yield Static("Reading your calls…", id="record-text", markup=False)
            yield Label(
                "For a review: calldesk record --since DATE --markdown",
                classes="dialog-hint",
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.data.read(self._build, self._show)

    def _build(self) -> str:
        """The record as text (runs on the desk's writer thread in the app)."""
        from calldesk.core.practice import records as practice_records
        from calldesk.core.practice.stats import is_learned
        from calldesk.core.record.render import render_plain
        from calldesk.core.record.summary import build_agent_record

        now = self.clock.now()
        today = now.astimezone().date()
        since = today - timedelta(weeks=WEEKS - 1)
        since -= timedelta(days=since.weekday())
        cards = practice_records.practice_cards(self.store).values()
        learned = sum(is_learned(card) for card in cards)
        record = build_agent_record(self.store, since, now, learned=learned)
        return render_plain(record)

    def _show(self, text: str) -> None:
        self.text = text
        shown = next(iter(self.query("#record-text").results(Static)), None)
        if shown is not None:  # the agent may have closed the screen before the read was back
            shown.update(Text(visible(text)))

    def action_close(self) -> None:
        self.dismiss(None)
