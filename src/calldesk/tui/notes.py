"""Note taking: what the note field, the note list and the phrase pane ask of the desk."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from calldesk.core.calls.bigtext import NOTE_LIMIT, Fitted
from calldesk.core.calls.errors import DeskError
from calldesk.core.library.suggest import CallSuggestions
from calldesk.tui.bindings import active_keymap, key_name
from calldesk.tui.clipboard import copy_phrase
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane

if TYPE_CHECKING:
    from calldesk.core.calls.caller import CallerCard
    from calldesk.core.calls.model import Call, NoteEntry
    from calldesk.tui.host import Host
    from calldesk.tui.promise_taking import PromiseTaking


SUGGEST_FROM_NOTES = 30
"""How many of the call's latest notes suggestions are read from."""


class NoteTaking:
    """Turns the panes' messages into desk calls, and shows what the desk did. Owned by the app.

    Notes and phrases that promise the caller something go on to `promises`.
    """

    def __init__(self, host: Host, promises: PromiseTaking | None = None) -> None:
        self.host = host
        self.promises = promises
        self._suggestions: CallSuggestions | None = None
        self._suggesting_for: int | None = None
        """The id of the call `_suggestions` belong to: each call starts afresh."""
        self._last_outcome: str | None = None
        """How the last call from this caller went, from the caller card: "abusive" brings
        the one warning up."""
        host.desk.notes.on_overflow = self._overflowed

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
            entry = desk.notes.add(message.text)
        except DeskError as error:
            message.note_input.give_back(message.text)  # NoteInput emptied itself on Enter
            self._refused(error)
            return
        if (pane := self._pane()) is not None:
            pane.append_entry(entry, len(desk.call.notes) if desk.call else 0)
        if self.promises is not None:
            self.promises.from_note(entry.text)  # `/promise 15:30 call back`
        self.suggest()

    def suggest(self) -> None:
        """Phrases that fit what the agent has just written lead the phrase pane while its
        search box is empty. Worked out here on the UI thread: only the latest notes are read
        (`SUGGEST_FROM_NOTES`), well within the 20 ms a note that benchmarks/suggest_bench.py
        holds it to."""
        call, pane = self.host.desk.call, self.host.desk_widget(PhrasePane)
        if pane is None or pane.index is None or call is None:
            return
        if self._suggestions is None or self._suggesting_for != call.id:
            # The opening is left to the starters: every opening phrase already leads the
            # empty search, and a ★ would only repeat the top row.
            self._suggestions = CallSuggestions(pane.index, moments=("closing",))
            self._suggesting_for = call.id
        self._suggestions.follow(pane.index)  # the library may have been reloaded
        # The latest notes only: suggestions follow the moment, and a call restored with
        # 10,000 notes must not be read whole on the UI thread (4-5 s without a key echoed).
        notes = "\n".join(entry.text for entry in call.notes[-SUGGEST_FROM_NOTES:])
        elapsed = (self.host.clock.now() - call.started_at).total_seconds()
        shown = self._suggestions.update(notes, self._last_outcome, elapsed=elapsed)
        pane.show_suggestions(shown)

    def tick(self) -> None:
        """Once a second: a call that has run a while gets its closing phrases, with no note."""
        call = self.host.desk.call
        if call is None:
            return
        if self._suggestions is None or self._suggesting_for != call.id:
            self.suggest()  # the phrases were still loading when the call began
        elif self._suggestions.due((self.host.clock.now() - call.started_at).total_seconds()):
            self.suggest()

    def card_shown(self, card: CallerCard | None) -> None:
        """The caller card came: a caller whose last call was marked abusive brings the one
        warning up, saying why."""
        if self.host.desk.call is None:
            return
        outcome = card.previous[0].outcome if card is not None and card.previous else None
        last = outcome.value if outcome is not None else None  # None: not decided yet
        if last != self._last_outcome:
            self._last_outcome = last
            self.suggest()

    def suggestion_dismissed(self, message: PhrasePane.Dismissed) -> None:
        """The agent hid a suggestion: it stays away for the rest of the call."""
        if self._suggestions is None:
            return
        self._suggestions.dismiss(message.phrase.id)
        if (pane := self.host.desk_widget(PhrasePane)) is not None:
            pane.show_suggestions(self._suggestions.current)

    def call_changed(self, call: Call | None) -> None:
        """A call began or ended: the last call's suggestions go."""
        if call is not None and call.id == self._suggesting_for:
            return
        self._suggestions, self._suggesting_for = None, None
        self._last_outcome = None
        if (pane := self.host.desk_widget(PhrasePane)) is not None:
            pane.show_suggestions(())
        if call is not None:
            self.suggest()  # from the start, so the closing moment is looked for each second

    def too_long(self, message: NoteInput.TooLong) -> None:
        """A paste too long for the note: what fits goes in, the rest to a file."""
        if self.host.desk.call is None:
            return
        message.note_input.insert_fitted(self.host.desk.notes.fit(message.text, message.room).text)

    def insert_text(self, pane: NotesPane, text: str) -> None:
        """Put `text` into the note being typed, as much as fits; the rest goes to a file."""
        room = NOTE_LIMIT - len(pane.query_one(NoteInput).true_text)
        pane.insert_text(self.host.desk.notes.fit(text, room).text)

    def draft_changed(self, message: NoteInput.Changed) -> None:
        if isinstance(message.text_area, NoteInput) and self.host.desk.call is not None:
            self.host.desk.notes.set_draft(message.text_area.true_text)

    def caller_changed(self, message: NotesPane.CallerChanged) -> None:
        if self.host.desk.call is not None:
            self.host.desk.update_caller(**{message.field: message.value})
            self.host.refresh_status()
            if message.field == "caller_number":
                self.host.lookup_caller(message.value)

    def edit_requested(self, message: NoteList.EditRequested) -> None:
        self._edit(message.entry, message.entry.text)

    def restore_edit(self) -> None:
        """A note edit typed but not kept when calldesk stopped: its dialog opens again."""
        if (restored := self.host.desk.notes.restored_edit) is None:
            return
        from calldesk.tui.dialogs.edit_note import EditNoteDialog

        entry, text = restored
        self._edit(entry, text)
        keymap = active_keymap(self.host)  # the dialog's keys: not among the app's own
        save = key_name("edit-save", keymap, EditNoteDialog.BINDINGS)
        cancel = key_name("edit-cancel", keymap, EditNoteDialog.BINDINGS)
        self.host.notify(
            f"Your unsaved edit of a note is back: {save} keeps it, {cancel} leaves the note "
            "as it was.",
            title="Edit restored",
        )

    def _edit(self, entry: NoteEntry, text: str) -> None:
        from calldesk.tui.dialogs.edit_note import EditNoteDialog

        def changed(text: str) -> None:
            self.host.desk.notes.set_edit_draft(entry, text)

        def edited(text: str | None) -> None:
            try:
                if text is not None:
                    self.host.desk.notes.edit(entry, text)
            except DeskError as error:
                self._refused(error)
                return
            finally:
                self.host.desk.notes.clear_edit_draft()  # queued after the edit itself
            if text is None:
                return
            if (pane := self._pane()) is not None:
                pane.refresh_entry(entry)
            self.suggest()

        self.host.push_screen(EditNoteDialog(text, on_change=changed), edited)

    def delete_requested(self, message: NoteList.DeleteRequested) -> None:
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        entry = message.entry

        def answered(delete: bool | None) -> None:
            if not delete:
                return
            try:
                self.host.desk.notes.delete(entry)
            except DeskError as error:
                self._refused(error)
                return
            if (pane := self._pane()) is not None:
                pane.remove_entry(entry)

        self.host.push_screen(ConfirmDialog("Delete this note?", entry.text[:200]), answered)

    def phrase_chosen(self, message: PhrasePane.Chosen) -> None:
        host = self.host
        text = host.desk.phrases.use(message.phrase, message.action)
        if message.action == "copy":
            copy_phrase(host, text, message.phrase.title, os.environ)  # OSC 52 + system tool
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
        if self.promises is not None:
            self.promises.offer_phrase(message.phrase)

    def promise_requested(self, message: NoteList.PromiseRequested) -> None:
        """The key on a note: make it a promise."""
        if self.promises is not None:
            self.promises.from_entry(message.entry)

    def search_missed(self, message: PhrasePane.SearchMissed) -> None:
        """A phrase search left with nothing found: counted for the team's library."""
        from calldesk.core.team.records import record_search_miss

        host = self.host
        store, at, query = host.store, host.clock.now(), message.query
        if store is not None and not host.read_only_reason:
            host.data.write(lambda: record_search_miss(store, query, at=at))
