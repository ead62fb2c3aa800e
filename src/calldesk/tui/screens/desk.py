"""The main screen: status line, notes on the left, phrases on the right, keys at the bottom."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen

from calldesk.tui.widgets.notes_pane import NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane
from calldesk.tui.widgets.screen_footer import ScreenFooter
from calldesk.tui.widgets.status_bar import StatusBar


class DeskScreen(Screen[None]):
    """Where an agent spends the call. The app's actions do the work; this is layout."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "app.focus_notes",
            "Notes",
            id="focus-notes",
            tooltip="Back to typing notes",
            show=False,
        ),
    ]

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="panes"):
            yield NotesPane(id="notes-pane")
            yield PhrasePane(id="phrase-pane")
        yield ScreenFooter(every_global=True)  # ctrl+p: see F1
