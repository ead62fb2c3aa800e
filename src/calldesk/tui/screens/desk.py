"""The main screen: status line, notes on the left, phrases on the right, keys at the bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen

from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane
from calldesk.tui.widgets.screen_footer import ScreenFooter
from calldesk.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from calldesk.tui.notes import NoteTaking


class DeskScreen(Screen[None]):
    """Where an agent spends the call: layout, and the panes' messages handed to `notes`."""

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

    def __init__(self, notes: NoteTaking) -> None:
        super().__init__()
        self.notes = notes

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status-bar")
        with Horizontal(id="panes"):
            yield NotesPane(id="notes-pane")
            yield PhrasePane(id="phrase-pane")
        yield ScreenFooter(every_global=True)  # ctrl+p: see F1

    # The panes' messages, for the note-taking controller (the app's actions do the rest).

    def on_note_input_submitted(self, message: NoteInput.Submitted) -> None:
        self.notes.submitted(message)

    def on_note_input_too_long(self, message: NoteInput.TooLong) -> None:
        self.notes.too_long(message)

    def on_text_area_changed(self, message: NoteInput.Changed) -> None:
        self.notes.draft_changed(message)

    def on_notes_pane_caller_changed(self, message: NotesPane.CallerChanged) -> None:
        self.notes.caller_changed(message)

    def on_notes_pane_card_shown(self, message: NotesPane.CardShown) -> None:
        self.notes.card_shown(message.card)

    def on_note_list_edit_requested(self, message: NoteList.EditRequested) -> None:
        self.notes.edit_requested(message)

    def on_note_list_delete_requested(self, message: NoteList.DeleteRequested) -> None:
        self.notes.delete_requested(message)

    def on_phrase_pane_chosen(self, message: PhrasePane.Chosen) -> None:
        self.notes.phrase_chosen(message)

    def on_note_list_promise_requested(self, message: NoteList.PromiseRequested) -> None:
        self.notes.promise_requested(message)

    def on_phrase_pane_search_missed(self, message: PhrasePane.SearchMissed) -> None:
        self.notes.search_missed(message)

    def on_phrase_pane_dismissed(self, message: PhrasePane.Dismissed) -> None:
        self.notes.suggestion_dismissed(message)
