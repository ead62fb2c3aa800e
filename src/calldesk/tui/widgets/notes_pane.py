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

from calldesk.core.calls.bigtext import DETAIL_CHARS, NOTE_LIMIT, pointer_line, preview
from calldesk.core.calls.caller import CallerCard
from calldesk.core.calls.model import Call, NoteEntry
from calldesk.core.textsafe import counted
from calldesk.tui.bindings import active_keymap, key_name
from calldesk.tui.text import LiteralInput, clip, literal, visible
from calldesk.tui.typeahead import keys_for_the_next_screen
from calldesk.tui.widgets.note_input import NoteInput


def local_time(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M:%S")


def entry_text(entry: NoteEntry, *, detail: bool = False) -> Text:
    """`HH:MM:SS  text`, continuation lines indented under the text, shown literally.

    A long note shows its start (`preview`) and how much more there is; editing or exporting
    it shows all of it. Building this costs the preview's size, never the note's. A `detail`
    view (history) shows a note of up to `DETAIL_CHARS` whole.
    """
    stamp = local_time(entry.created_at)
    shown = (
        preview(entry.text, lines=DETAIL_CHARS, chars=DETAIL_CHARS)
        if detail
        else preview(entry.text)
    )
    lines = visible(shown.text).split("\n")
    indent = "\n" + " " * (len(stamp) + 2)
    text = Text(stamp, style="dim")
    text.append("  " + lines[0])
    for line in lines[1:]:
        text.append(indent + line)
    if shown.hidden:
        text.append(indent + shown.more(), style="dim italic")
        if pointer := pointer_line(entry.text):  # where the rest of a long paste went
            text.append(indent + visible(pointer), style="dim")
    if entry.edited_at is not None:
        text.append("  (edited)", style="dim italic")
    return text


def note_count(count: int) -> str:
    return counted(count, "note")


class NoteItem(ListItem):
    """One entry in the list; keeps the entry it shows."""

    def __init__(self, entry: NoteEntry) -> None:
        super().__init__(Label(entry_text(entry), markup=False))
        self.entry = entry

    def refresh_entry(self) -> None:
        self.query_one(Label).update(entry_text(self.entry))


class NoteList(ListView):
    """The call's entries; Enter edits the highlighted one, Delete removes it.

    It builds a widget for at most `WINDOW` (+ `PAGE`) entries at a time, the latest first: a
    call with 10,000 notes costs what one with 60 does. Moving up past the first entry shown
    (or down past the last) shows the next `PAGE` of them; the labels around the list say
    how many are out of view.
    """

    WINDOW: ClassVar[int] = 60
    """Entries with a widget at a time, at most (plus `PAGE` appended before it is trimmed)."""
    PAGE: ClassVar[int] = 30
    """Entries brought in by moving past either end of those shown."""

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
            "p",
            "promise",
            "Promise",
            id="note-promise",
            tooltip="Make the highlighted note a promise to the caller, with a due time",
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

    @dataclass
    class PromiseRequested(Message):
        entry: NoteEntry

    class WindowMoved(Message):
        """The entries shown changed: the labels around the list say what is out of view."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._entries: list[NoteEntry] = []
        """The open call's notes (the desk's own list: it changes as notes come and go)."""
        self._start = 0
        self._end = 0
        """The entries shown are `_entries[_start:_end]` (the widgets may still be on the way)."""

    def shown_range(self) -> tuple[int, int]:
        """`(start, end)`: the entries shown are `entries[start:end]`."""
        return self._start, self._end

    def total(self) -> int:
        """How many notes the call has, shown or not."""
        return len(self._entries)

    def out_of_view(self) -> tuple[int, int]:
        """How many entries are before and after those shown."""
        return self._start, max(0, len(self._entries) - self._end)

    def show_entries(self, entries: list[NoteEntry]) -> None:
        """Show the latest of `entries`, the last one highlighted."""
        self._entries = entries
        self._show_window(max(0, len(entries) - self.WINDOW), len(entries) - 1)

    def _show_window(self, start: int, highlight: int) -> None:
        """Show the entries from `start` on (at most `WINDOW`), `highlight` highlighted."""
        self._start = start
        self._end = min(len(self._entries), start + self.WINDOW)
        entries = self._entries[self._start : self._end]
        # Widgets are removed and mounted in turn: changes queue behind each other, in order.
        self.call_next(self._rebuild, entries, highlight - start)
        self.post_message(self.WindowMoved())

    async def _rebuild(self, entries: list[NoteEntry], highlight: int) -> None:
        await self.clear()
        if entries:
            await self.extend(NoteItem(entry) for entry in entries)
            self.index = max(0, min(highlight, len(entries) - 1))

    def add_entry(self, entry: NoteEntry) -> None:
        """A new entry was filed (the last of the call's): show it, highlighted."""
        if self._end < len(self._entries) - 1 or self._end - self._start >= self.WINDOW + self.PAGE:
            # Scrolled back, or too many built: show the latest again, from scratch.
            self.show_entries(self._entries)
            return
        self._end += 1
        self.call_next(self._append, entry)
        self.post_message(self.WindowMoved())

    async def _append(self, entry: NoteEntry) -> None:
        await self.append(NoteItem(entry))
        self.index = len(self) - 1
        self.scroll_end(animate=False)

    def remove_entry(self, entry: NoteEntry) -> None:
        """`entry` was deleted from the call's notes (the desk took it out of the list)."""
        for item in self.query_children(NoteItem):
            if item.entry is entry:
                self._end -= 1
                self.call_next(self._remove_item, item)  # in turn with window changes
        self.post_message(self.WindowMoved())

    async def _remove_item(self, item: NoteItem) -> None:
        await item.remove()
        if len(self):  # the next note stays highlighted, so Delete goes on working
            self.index = min(self.index or 0, len(self) - 1)

    def action_cursor_up(self) -> None:
        if self.index == 0 and self._start > 0:
            new_start = max(0, self._start - self.PAGE)
            self._show_window(new_start, self._start - 1)
            return
        super().action_cursor_up()

    def action_cursor_down(self) -> None:
        if self.index == len(self) - 1 and self._end < len(self._entries):
            end = self._end
            new_start = max(0, min(end + self.PAGE, len(self._entries)) - self.WINDOW)
            self._show_window(new_start, end)
            return
        super().action_cursor_down()

    def _highlighted_entry(self) -> NoteEntry | None:
        item = self.highlighted_child
        return item.entry if isinstance(item, NoteItem) else None

    def action_edit(self) -> None:
        if (entry := self._highlighted_entry()) is not None:
            keys_for_the_next_screen(self.app)  # what is typed behind Enter is for the dialog
            self.post_message(self.EditRequested(entry))

    def action_delete(self) -> None:
        if (entry := self._highlighted_entry()) is not None:
            self.post_message(self.DeleteRequested(entry))

    def action_promise(self) -> None:
        if (entry := self._highlighted_entry()) is not None:
            self.post_message(self.PromiseRequested(entry))

    def action_back(self) -> None:
        self.screen.query_one(NoteInput).focus()

    def typing_field(self) -> NoteInput | None:
        """Where a printable key the list does not bind goes (see `KeysInOrder`): the note,
        so `she reset it` typed after shift+Tab is not taken letter by letter as e, p …"""
        note_input = self.screen.query_one(NoteInput)
        return None if note_input.disabled else note_input


SMILE_CUE = "☺ Smile: they can hear it."
"""From the seeds: a smile is heard in the voice. Off with `smile_cue = false`."""


def start_of_call_text(app: object) -> Text:
    """What an empty call's notes say: the smile cue (unless turned off), then how to type."""
    text = Text()
    if getattr(getattr(app, "settings", None), "smile_cue", True):
        text.append(SMILE_CUE + "\n", style="bold")
    text.append("Type a note and press Enter. ctrl+j starts a new line.")
    return text


class NotesPane(Vertical):
    """Caller details, the entry list and the note input, for one call at a time."""

    @dataclass
    class CallerChanged(Message):
        field: str
        value: str

    @dataclass
    class CardShown(Message):
        """The caller card for the open call is on show (None: nothing known)."""

        card: CallerCard | None

    def compose(self) -> ComposeResult:
        with Horizontal(id="caller-fields"):
            yield LiteralInput(placeholder="Caller name", id="caller_name", max_length=200)
            yield LiteralInput(placeholder="Number", id="caller_number", max_length=100)
            yield LiteralInput(placeholder="Ticket", id="ticket", max_length=100)
        yield Label("", id="caller-card", markup=False)
        yield Label("", id="notes-earlier", markup=False, classes="out-of-view")
        yield NoteList(id="note-list")
        yield Label("", id="notes-later", markup=False, classes="out-of-view")
        yield Label("", id="notes-empty", markup=False)
        yield NoteInput(
            id="note-input",
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            placeholder="Type a note · Enter adds it · ctrl+j new line",
            limit=NOTE_LIMIT,
        )

    def on_mount(self) -> None:
        self.border_title = "Notes"
        self.show_call(None)

    def show_caller_card(self, card: CallerCard | None) -> None:
        """What calldesk knows about this caller, above the notes; hidden when nothing is known."""
        label = self.query_one("#caller-card", Label)
        self.post_message(self.CardShown(card))  # the phrase pane's suggestions read it too
        if card is None or not (card.known or card.promises):
            label.display = False
            return
        text = Text()
        for number, line in enumerate(card.lines()):
            if line == card.warning:
                style = "bold red" if line.startswith("⚠") else "bold yellow"
            elif line.startswith("Promised"):
                style = "bold yellow"
            elif line.startswith("Called"):
                style = "bold"
            else:
                style = "yellow" if line.startswith("Recurring") else ""
            text.append(("\n" if number else "") + visible(clip(line, 400)), style=style)
        label.update(text)
        label.display = True

    def show_call(self, call: Call | None) -> None:
        """Fill the pane from `call`, or show how to start one."""
        for field in ("caller_name", "caller_number", "ticket"):
            field_input = self.query_one(f"#{field}", LiteralInput)
            with field_input.prevent(Input.Changed):
                field_input.value = getattr(call, field) if call else ""
            field_input.disabled = call is None
        self.query_one(NoteList).show_entries(call.notes if call is not None else [])
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
            empty.update(start_of_call_text(self.app))
        empty.display = call is None or not call.notes
        self.border_subtitle = literal("" if call is None else note_count(len(call.notes)))

    def append_entry(self, entry: NoteEntry, count: int) -> None:
        self.query_one(NoteList).add_entry(entry)
        self.query_one("#notes-empty").display = False
        self.border_subtitle = literal(note_count(count))

    def refresh_entry(self, entry: NoteEntry) -> None:
        for item in self.query(NoteItem):
            if item.entry is entry:
                item.refresh_entry()

    def remove_entry(self, entry: NoteEntry) -> None:
        note_list = self.query_one(NoteList)
        note_list.remove_entry(entry)
        left = note_list.total()  # all of the call's notes, not only those on show
        self.border_subtitle = literal(note_count(left))  # the count stays true after a delete
        self.query_one("#notes-empty").display = not left

    def on_note_list_window_moved(self, message: NoteList.WindowMoved) -> None:
        """Say how many notes are above and below those the list shows."""
        earlier, later = self.query_one(NoteList).out_of_view()
        for label_id, count, words in (
            ("#notes-earlier", earlier, "earlier · ↑ at the top shows them"),
            ("#notes-later", later, "later · ↓ at the bottom shows them"),
        ):
            label = self.query_one(label_id, Label)
            label.display = count > 0
            if count:
                label.update(f"{count:,} {words}")

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
