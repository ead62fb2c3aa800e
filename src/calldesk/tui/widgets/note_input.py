"""The note being typed: Enter files it as an entry, ctrl+j (or alt+enter) starts a new line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events
from textual.message import Message

from calldesk.tui.text import LiteralTextArea

NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "alt+enter"})


class NoteInput(LiteralTextArea):
    """A multi-line text field where Enter submits, as in a chat box; shown literally.

    With a `limit`, a paste that would take the note past it is not inserted: `TooLong`
    carries it, and how much room is left, to whoever can put the rest somewhere safe.
    """

    def __init__(self, text: str = "", *, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.limit = limit

    @dataclass
    class TooLong(Message):
        """A paste that does not fit: insert what fits of `text` in `room` characters."""

        note_input: NoteInput
        text: str
        room: int

    @dataclass
    class Submitted(Message):
        """The agent pressed Enter on a note."""

        note_input: NoteInput
        text: str
        """The true text (hidden characters included), not what is shown."""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            text = self.true_text
            if text.strip():
                # Empty the field now, not when the app has filed the note: keys typed right
                # after Enter are already queued behind it and belong to the next note.
                with self.prevent(self.Changed):
                    self.clear()
            self.post_message(self.Submitted(self, text))
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)

    def give_back(self, text: str) -> None:
        """Put a note the app could not file back in front of what was typed since."""
        self.insert(text, location=(0, 0))

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual runs TextArea's own handler after this one unless the default is prevented.
        if self.limit is not None and not self.read_only:
            room = self.limit - len(self.true_text)
            if len(event.text) > room:
                event.stop()
                event.prevent_default()
                self.post_message(self.TooLong(self, event.text, room))

    def insert_fitted(self, text: str) -> None:
        """Put `text` in place of the selection (already made to fit), as a paste would."""
        if result := self._replace_via_keyboard(text, *self.selection):
            self.move_cursor(result.end_location)
        self.focus()
