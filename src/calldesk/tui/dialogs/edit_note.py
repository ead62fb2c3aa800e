"""Edit one note entry: ctrl+s keeps the change, Escape drops it."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from calldesk.tui.bindings import active_keymap, key_name
from calldesk.tui.text import LiteralTextArea


class EditNoteDialog(ModalScreen[str | None]):
    """Answers the new text, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # Not a priority binding: it must act after the keys typed before it have reached the
        # text area, so it waits its turn behind them (a priority one saved half the words).
        Binding("ctrl+s", "save", "Save", id="edit-save", tooltip="Keep the edited note"),
        Binding("escape", "cancel", "Cancel", id="edit-cancel", tooltip="Leave the note as it was"),
    ]

    def __init__(self, text: str, on_change: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self._text = text
        self._on_change = on_change
        """Hears the text after each change (the controller saves it as the edit's draft)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Edit note", classes="dialog-title")
            yield LiteralTextArea(self._text, id="edit-text", soft_wrap=True, tab_behavior="focus")
            keymap = active_keymap(self.app)
            save = key_name("edit-save", keymap, self.BINDINGS)
            cancel = key_name("edit-cancel", keymap, self.BINDINGS)
            yield Label(f"{save} save · {cancel} cancel", classes="dialog-hint", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        area = self.query_one(LiteralTextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def on_text_area_changed(self, message: LiteralTextArea.Changed) -> None:
        if self._on_change is not None and isinstance(message.text_area, LiteralTextArea):
            self._on_change(message.text_area.true_text)

    def action_save(self) -> None:
        self.dismiss(self.query_one(LiteralTextArea).true_text)

    def action_cancel(self) -> None:
        self.dismiss(None)
