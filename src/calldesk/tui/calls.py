"""The open call in the app: started (F2) and ended (F8) from the keys, and shown when it changes.

`Calls` is the keys' side of the desk's open call: a read-only window refuses to start one, the
desk's refusals are told with the keys bound now, an ended call leads on to the after-call steps
(or only a notice, if it was missed). When the app's `call` changes, it brings the call to the
desk: the notes pane, the note suggestions, the status line and the focus. Calls the phone
starts and ends are `PhoneLine`'s (`tui/phone.py`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calldesk.core.calls.errors import DeskError
from calldesk.tui.host import desk_in_front
from calldesk.tui.typeahead import keys_for_the_next_screen
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NotesPane
from calldesk.tui.widgets.phrase_pane import PhrasePane

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call
    from calldesk.tui.host import Host
    from calldesk.tui.notes import NoteTaking
    from calldesk.tui.phone import PhoneLine


class Calls:
    """Starts and ends the open call from the keys, and shows it on the desk. Owned by the app."""

    def __init__(self, host: Host, notes: NoteTaking, phone: PhoneLine) -> None:
        self.host = host
        self.notes = notes
        self.phone = phone

    async def start(self) -> None:
        """F2: a new call record, unless this window is read-only or a call is open."""
        host = self.host
        if host.read_only_reason:
            host.notify(host.read_only_reason, title="Read-only window", severity="warning")
            return
        try:
            host.desk.start_call()
        except DeskError as error:
            host.notify(host.name_keys(str(error)), severity="warning")
            return
        await desk_in_front(host)

    async def end(self) -> None:
        """F8: end the open call; its after-call steps follow, unless it only rang."""
        host = self.host
        try:
            call = host.desk.end_call()
        except DeskError as error:
            host.notify(host.name_keys(str(error)), severity="warning")
            return
        await desk_in_front(host)
        if call.missed:  # it only rang, and nothing was written in it: no after-call steps
            host.notify(
                "Ended as a missed call: it was never answered.", title="Missed call", timeout=8
            )
            return
        await self.phone.open_answered()  # a call answered after the phone hung this one up
        keys_for_the_next_screen(host)  # "f" typed right behind F8 answers "How did it go?"
        host.start_after_call(call)

    def shown(self, call: Call | None) -> None:
        """The open call changed: the notes pane, suggestions and status follow, and the focus
        goes to the note field (or, with no call, to the phrase search)."""
        host = self.host
        notes = host.desk_widget(NotesPane)
        if notes is None:
            return
        notes.show_call(call)
        self.notes.call_changed(call)
        host.refresh_status()
        if call is not None:
            host.desk_widget(NoteInput).focus()  # type: ignore[union-attr]
        else:
            host.desk_widget(PhrasePane).focus_search()  # type: ignore[union-attr]
