"""The note being typed: Enter files it as an entry, ctrl+j (or alt+enter) starts a new line."""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import TextArea

NEWLINE_KEYS = frozenset({"ctrl+j", "shift+enter", "alt+enter"})


class NoteInput(TextArea):
    """A multi-line text field where Enter submits, as in a chat box."""

    @dataclass
    class Submitted(Message):
        """The agent pressed Enter on a note."""

        note_input: NoteInput
        text: str

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.post_message(self.Submitted(self, self.text))
            return
        if event.key in NEWLINE_KEYS:
            event.stop()
            event.prevent_default()
            self.insert("\n")
            return
        await super()._on_key(event)
