"""Note taking: what the note field, the note list and the phrase pane ask of the desk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calldesk.core.calls.bigtext import NOTE_LIMIT, Fitted
from calldesk.core.calls.desk import DeskError
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane

if TYPE_CHECKING:
    from calldesk.tui.host import Host


class NoteTaking:
    """Turns the panes' messages into desk calls, and shows what the desk did. Owned by the app."""

    def __init__(self, host: Host) -> None:
        self.host = host
        host.desk.on_overflow = self._overflowed

    def _overflowed(self, fitted: Fitted) -> None:
        """Text too long for a note was cut: say so, and where the rest is (nothing is lost)."""
        self.host.notify(fitted.message(), title="Note too long", severity="warning", timeout=15)

    def _pane(self) -> NotesPane | None:
        return self.host.desk_widget(NotesPane)

    def _refused(self, error: DeskError) -> None:
        self.host.notify(self.host.name_keys(str(error)), severity="warning")

    def submitted(self, message: NoteInput.Submitted) -> None:
        """Enter in the note field: the text becomes a timestamped entry."""
        if not message.text.strip():
            return
        desk = self.host.desk
        try:
            entry = desk.add_note(message.text)
        except DeskError as error:
            self._refused(error)
            return
        with message.note_input.prevent(NoteInput.Changed):
            message.note_input.clear()
        if (pane := self._pane()) is not None:
            pane.append_entry(entry, len(desk.call.notes) if desk.call else 0)

    def too_long(self, message: NoteInput.TooLong) -> None:
        """A paste too long for the note: what fits goes in, the rest to a file."""
        if self.host.desk.call is None:
            return
        message.note_input.insert_fitted(self.host.desk.fit(message.text, message.room).text)

    def insert_text(self, pane: NotesPane, text: str) -> None:
        """Put `text` into the note being typed, as much as fits; the rest goes to a file."""
        room = NOTE_LIMIT - len(pane.query_one(NoteInput).true_text)
        pane.insert_text(self.host.desk.fit(text, room).text)

    def draft_changed(self, message: NoteInput.Changed) -> None:
        if isinstance(message.text_area, NoteInput) and self.host.desk.call is not None:
            self.host.desk.set_draft(message.text_area.true_text)

    def caller_changed(self, message: NotesPane.CallerChanged) -> None:
        if self.host.desk.call is not None:
            self.host.desk.update_caller(**{message.field: message.value})
            self.host.refresh_status()
            if message.field == "caller_number":
                self.host.lookup_caller(message.value)

    def edit_requested(self, message: NoteList.EditRequested) -> None:
        from calldesk.tui.dialogs.edit_note import EditNoteDialog

        entry = message.entry

        def edited(text: str | None) -> None:
            if text is None:
                return
            try:
                self.host.desk.edit_note(entry, text)
            except DeskError as error:
                self._refused(error)
                return
            if (pane := self._pane()) is not None:
                pane.refresh_entry(entry)

        self.host.push_screen(EditNoteDialog(entry.text), edited)

    def delete_requested(self, message: NoteList.DeleteRequested) -> None:
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        entry = message.entry

        def answered(delete: bool | None) -> None:
            if not delete:
                return
            try:
                self.host.desk.delete_note(entry)
            except DeskError as error:
                self._refused(error)
                return
            if (pane := self._pane()) is not None:
                pane.remove_entry(entry)

        self.host.push_screen(ConfirmDialog("Delete this note?", entry.text[:200]), answered)

    def phrase_chosen(self, message: PhrasePane.Chosen) -> None:
        host = self.host
        text = host.desk.use_phrase(message.phrase, message.action)
        if message.action == "copy":
            host.copy_to_clipboard(text)
            host.notify(f"Copied “{message.phrase.title}”.", timeout=3)
            return
        if host.desk.call is None:
            host.notify(
                f"Start a call ({host.key('start-call')}) to put phrases into its notes;"
                f" {host.key('phrase-copy')} copies instead.",
                severity="warning",
            )
            return
        if (pane := self._pane()) is not None:
            self.insert_text(pane, text)
