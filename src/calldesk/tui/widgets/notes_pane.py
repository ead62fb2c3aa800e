"""The notes of the open call: caller fields, timestamped entries and the note being typed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label, ListItem, ListView

from calldesk.core.calls.caller import CallerCard
from calldesk.core.calls.model import Call, NoteEntry
from calldesk.tui.bindings import active_keymap, key_name
from calldesk.tui.text import LiteralInput, clip, literal, visible
from calldesk.tui.widgets.note_input import NoteInput


def local_time(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M:%S")


def entry_text(entry: NoteEntry) -> Text:
    """`HH:MM:SS  text`, continuation lines indented under the text, shown literally."""
    stamp = local_time(entry.created_at)
    lines = visible(entry.text).split("\n")
    text = Text(stamp, style="dim")
    text.append("  " + lines[0])
    for line in lines[1:]:
        text.append("\n" + " " * (len(stamp) + 2) + line)
    if entry.edited_at is not None:
        text.append("  (edited)", style="dim italic")
    return text


def note_count(count: int) -> str:
    return f"{count} note" if count == 1 else f"{count} notes"


class NoteItem(ListItem):
    """One entry in the list; keeps the entry it shows."""

    def __init__(self, entry: NoteEntry) -> None:
        super().__init__(Label(entry_text(entry), markup=False))
        self.entry = entry

    def refresh_entry(self) -> None:
        self.query_one(Label).update(entry_text(self.entry))


class NoteList(ListView):
    """The call's entries; Enter edits the highlighted one, Delete removes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter,e", "edit", "Edit note", id="note-edit", tooltip="Edit the highlighted note"
        ),
        Binding(
            "delete",
            "delete",
            "Delete note",
            id="note-delete",
            tooltip="Delete the highlighted note",
        ),
        Binding(
            "escape",
            "back",
            "Back to typing",
            id="note-back",
            tooltip="Return to the note input",
            show=False,
        ),
    ]

    @dataclass
    class EditRequested(Message):
        entry: NoteEntry

    @dataclass
    class DeleteRequested(Message):
        entry: NoteEntry

    def _highlighted_entry(self) -> NoteEntry | None:
        item = self.highlighted_child
        return item.entry if isinstance(item, NoteItem) else None

    def action_edit(self) -> None:
        if (entry := self._highlighted_entry()) is not None:
            self.post_message(self.EditRequested(entry))

    def action_delete(self) -> None:
        if (entry := self._highlighted_entry()) is not None:
            self.post_message(self.DeleteRequested(entry))

    def action_back(self) -> None:
        self.screen.query_one(NoteInput).focus()


class NotesPane(Vertical):
    """Caller details, the entry list and the note input, for one call at a time."""

    @dataclass
    class CallerChanged(Message):
        field: str
        value: str

    def compose(self) -> ComposeResult:
        with Horizontal(id="caller-fields"):
            yield LiteralInput(placeholder="Caller name", id="caller_name", max_length=200)
            yield LiteralInput(placeholder="Number", id="caller_number", max_length=100)
            yield LiteralInput(placeholder="Ticket", id="ticket", max_length=100)
        yield Label("", id="caller-card", markup=False)
        yield NoteList(id="note-list")
        yield Label("", id="notes-empty", markup=False)
        yield NoteInput(
            id="note-input",
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder="Type a note · Enter adds it · ctrl+j new line",
        )

    def on_mount(self) -> None:
        self.border_title = "Notes"
        self.show_call(None)

    def show_caller_card(self, card: CallerCard | None) -> None:
        """What calldesk knows about this caller, above the notes; hidden when nothing is known."""
        label = self.query_one("#caller-card", Label)
        if card is None or not card.known:
            label.display = False
            return
        text = Text()
        for number, line in enumerate(card.lines()):
            style = "bold" if number == 0 else ("yellow" if line.startswith("Recurring") else "")
            text.append(("\n" if number else "") + visible(clip(line, 160)), style=style)
        label.update(text)
        label.display = True

    def show_call(self, call: Call | None) -> None:
        """Fill the pane from `call`, or show how to start one."""
        for field in ("caller_name", "caller_number", "ticket"):
            field_input = self.query_one(f"#{field}", LiteralInput)
            with field_input.prevent(Input.Changed):
                field_input.value = getattr(call, field) if call else ""
            field_input.disabled = call is None
        note_list = self.query_one(NoteList)
        note_list.clear()
        if call is not None:
            note_list.extend(NoteItem(entry) for entry in call.notes)
            if call.notes:
                note_list.index = len(call.notes) - 1
        note_input = self.query_one(NoteInput)
        with note_input.prevent(NoteInput.Changed):
            note_input.load_text(call.draft if call else "")
            note_input.move_cursor(note_input.document.end)
        note_input.disabled = call is None
        if call is None:
            self.query_one("#caller-card").display = False
        empty = self.query_one("#notes-empty", Label)
        if call is None:
            start_key = key_name("start-call", active_keymap(self.app))
            empty.update(f"No call open. Press {start_key} when the phone rings.")
        elif not call.notes:
            empty.update("Type a note and press Enter. ctrl+j starts a new line.")
        empty.display = call is None or not call.notes
        self.border_subtitle = literal("" if call is None else note_count(len(call.notes)))

    def append_entry(self, entry: NoteEntry, count: int) -> None:
        note_list = self.query_one(NoteList)
        note_list.append(NoteItem(entry))
        note_list.index = len(note_list.children) - 1
        note_list.scroll_end(animate=False)
        self.query_one("#notes-empty").display = False
        self.border_subtitle = literal(note_count(count))

    def refresh_entry(self, entry: NoteEntry) -> None:
        for item in self.query(NoteItem):
            if item.entry is entry:
                item.refresh_entry()

    def remove_entry(self, entry: NoteEntry) -> None:
        for item in self.query(NoteItem):
            if item.entry is entry:
                item.remove()

    def insert_text(self, text: str) -> None:
        """Put `text` into the note being typed, at the cursor, and go back to typing."""
        note_input = self.query_one(NoteInput)
        current = note_input.true_text
        if current and not current.endswith((" ", "\n")):
            text = " " + text
        note_input.insert(text)
        note_input.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("caller_name", "caller_number", "ticket"):
            event.stop()  # `value` is the true text (see LiteralInput)
            self.post_message(self.CallerChanged(event.input.id, event.value))
