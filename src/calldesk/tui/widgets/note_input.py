"""The note being typed: Enter files it as an entry, ctrl+j (or alt+enter) starts a new line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message

from calldesk.tui.text import LiteralTextArea

NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "alt+enter"})


class NoteInput(LiteralTextArea):
    """A multi-line text field where Enter submits, as in a chat box; shown literally."""

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
