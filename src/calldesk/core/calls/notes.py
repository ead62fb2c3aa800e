"""The open call's notes as the agent types them: the draft, notes added, edited and deleted,
an edit in progress kept across a crash, `#tags`, and texts too long for a note.

Every change is made in memory at once and queued (`Writes`): a crash loses at most the
keystroke being written, and nothing waits on the disk.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from calldesk.core.calls import records as call_records
from calldesk.core.calls.bigtext import NOTE_LIMIT, OVERFLOW_FOLDER, Fitted, fit, overflow_path
from calldesk.core.calls.errors import DeskError, require_call
from calldesk.core.calls.model import Call, NoteEntry
from calldesk.core.files import FileRefused, refuse_unsafe_dir, write_private

if TYPE_CHECKING:
    from pathlib import Path

    from calldesk.core.calls.writes import Writes
    from calldesk.core.clock import Clock


# `#printer` or `#vpn-drop` in a note tags the call; `#1234` (a ticket number) does not.
_HASHTAG = re.compile(r"(?<![\w#])#([^\W\d_][\w-]*)")


def hashtags(text: str) -> list[str]:
    """The `#tags` in a note, lower-cased, in order, without repeats."""
    return list(dict.fromkeys(tag.lower().rstrip("-") for tag in _HASHTAG.findall(text)))


EDIT_DRAFT_KEY = "edit_draft"
"""The `meta` row holding the note edit being typed (JSON: call id, note id, text)."""


class Notes:
    """The notes of the open call, which `open_call` names (None: no call is open)."""

    def __init__(
        self,
        writes: Writes,
        clock: Clock,
        open_call: Callable[[], Call | None],
        overflow_dir: Path | None = None,
    ) -> None:
        self._writes = writes
        self._clock = clock
        self._open_call = open_call
        self.overflow_dir = overflow_dir
        """Where the rest of a text too long for a note goes; None: beside the database."""
        self.on_overflow: Callable[[Fitted], None] | None = None
        """Hears of every text that did not fit in a note (on the caller's thread)."""
        self._overflows = 0
        self.restored_edit: tuple[NoteEntry, str] | None = None
        """A note edit typed but not kept when calldesk stopped (`restore`), to offer back."""

    def restore(self, call: Call | None) -> None:
        """After a restart, for the call brought back: a draft saved before notes had a limit
        is cut to fit, and a note edit typed but not kept is offered back (`restored_edit`)."""
        if call is not None and len(call.draft) > NOTE_LIMIT:
            # Saved before notes had a limit: every keystroke would rewrite all of it.
            self.set_draft(self.fit(call.draft).text)
        self.restored_edit = self._stored_edit_draft(call)

    def _stored_edit_draft(self, call: Call | None) -> tuple[NoteEntry, str] | None:
        """The note edit that was open (typed, not kept) when calldesk stopped, if its note is
        still in the open call and the text differs from it."""
        store = self._writes.store
        if store is None or call is None:
            return None
        try:
            saved = json.loads(store.get_meta(EDIT_DRAFT_KEY) or "null")
        except ValueError:
            return None
        if not isinstance(saved, dict) or saved.get("call_id") != call.id:
            return None
        text = saved.get("text")
        for entry in call.notes:
            if entry.id == saved.get("note_id") and isinstance(text, str) and text != entry.text:
                return entry, text
        return None

    def fit(self, text: str, room: int = NOTE_LIMIT) -> Fitted:
        """`text` made to fit in `room` characters of a note; the rest is saved to a new
        private file in the data folder (queued like every write) and `on_overflow` hears of it.

        Without a data folder (no database open) nothing is cut: there is nowhere to put the rest.
        """
        folder = self.overflow_dir
        store = self._writes.store
        if folder is None and store is not None:
            folder = store.path.parent / OVERFLOW_FOLDER
        if len(text) <= room or folder is None:
            return Fitted(text)
        try:
            refuse_unsafe_dir(folder)
        except FileRefused as error:
            fitted = Fitted(text, refused=str(error))  # nowhere safe for the rest: keep it all
            if self.on_overflow is not None:
                self.on_overflow(fitted)
            return fitted
        now = self._clock.now()
        call = self._open_call()
        call_id = call.id if call is not None else 0
        while True:
            self._overflows += 1
            path = overflow_path(folder, call_id, now, self._overflows)
            if not path.exists():
                break
        fitted = fit(text, room, path)
        rest = fitted.rest
        self._writes.writer.submit(lambda: write_private(path, rest))
        if self.on_overflow is not None:
            self.on_overflow(fitted)
        return fitted

    def set_draft(self, text: str) -> None:
        """Remember the note being typed; saved too, so a crash cannot lose it.

        An unchanged draft is not written again, and a queued draft write is replaced by a newer
        one, so a save costs the draft's length (at most about `NOTE_LIMIT`) once per change.
        """
        call = require_call(self._open_call())
        if text == call.draft:
            return
        call.draft = text
        store = self._writes.store
        self._writes.submit(
            lambda: call_records.save_draft(store, call.id, text), key=("draft", id(call))
        )

    def set_edit_draft(self, entry: NoteEntry, text: str) -> None:
        """Remember the text of a note being edited (its dialog is open, nothing kept yet):
        saved like the draft, so a crash cannot lose it; `restore` offers it back."""
        value = json.dumps({"call_id": entry.call_id, "note_id": entry.id, "text": text})
        store = self._writes.store
        self._writes.submit(lambda: store.set_meta(EDIT_DRAFT_KEY, value), key=("edit-draft",))

    def clear_edit_draft(self) -> None:
        """The edit dialog closed (kept or left): no edit is waiting any more."""
        self.restored_edit = None
        store = self._writes.store
        self._writes.submit(lambda: store.set_meta(EDIT_DRAFT_KEY, ""), key=("edit-draft",))

    def add(self, text: str) -> NoteEntry:
        """File `text` as a note of the open call; the draft is cleared."""
        call = require_call(self._open_call())
        text = text.rstrip()
        if not text.strip():
            raise DeskError("The note is empty.")
        text = self.fit(text).text
        entry = NoteEntry(
            id=self._writes.new_note_id(), call_id=call.id, created_at=self._clock.now(), text=text
        )
        call.notes.append(entry)
        call.draft = ""
        store = self._writes.store
        self._tag(call, text)

        call_id, note_id, at = call.id, entry.id, entry.created_at

        def run() -> NoteEntry:
            assert store is not None
            return call_records.add_note(store, call_id, text, at=at, note_id=note_id)

        self._writes.submit(run)
        return entry

    def edit(self, entry: NoteEntry, text: str) -> None:
        call = self._open_call()
        if call is None or entry not in call.notes:
            raise DeskError("Only notes of the open call can be edited.")
        text = text.rstrip()
        if not text.strip():
            raise DeskError("A note cannot be empty; delete it instead.")
        text = self.fit(text).text
        entry.text = text
        entry.edited_at = self._clock.now()
        store = self._writes.store
        self._tag(call, text)
        self._writes.submit(
            lambda: call_records.edit_note(store, entry.id, text, at=entry.edited_at)
        )

    def delete(self, entry: NoteEntry) -> None:
        call = require_call(self._open_call())
        if entry not in call.notes:
            raise DeskError("Only notes of the open call can be deleted.")
        call.notes.remove(entry)
        store = self._writes.store
        self._writes.submit(lambda: call_records.delete_note(store, entry.id))

    def _tag(self, call: Call, text: str) -> None:
        """Tags typed as `#tag` in notes become the call's tags (for the recurring-problem hint)."""
        new = [tag for tag in hashtags(text) if tag not in call.tags]
        if not new:
            return
        call.tags.extend(new)
        tags = list(call.tags)
        store = self._writes.store
        self._writes.submit(
            lambda: call_records.update_call(store, call.id, tags=tags), key=("tags", id(call))
        )
