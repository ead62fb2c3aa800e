"""Making a promise: a `/promise` note, the key on a note, a phrase that promises; when is asked.

`PromiseTaking` reads what the agent wrote or chose and, when no time is named, asks for one
with the promise dialog. The promise itself is then kept, numbered and stored by `Promises`
(`tui/promises.py`): this module only turns the agent's words into what and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.promises.model import PromiseSource
from calldesk.core.promises.when import (
    DueError,
    is_promise_note,
    parse_due,
    promise_what,
    split_promise,
)

if TYPE_CHECKING:
    from calldesk.core.calls.model import NoteEntry
    from calldesk.core.library.phrases import Phrase
    from calldesk.tui.host import Host
    from calldesk.tui.promises import Promises


class PromiseTaking:
    """Turns notes, the key on a note and promising phrases into promises. Owned by the app.

    Note taking hands it what the agent did; what and when go on to `promises.make`.
    """

    def __init__(self, host: Host, promises: Promises) -> None:
        self.host = host
        self.promises = promises

    def from_note(self, text: str) -> bool:
        """A filed note that says `/promise ...`: make the promise. False if not one."""
        if not is_promise_note(text):
            return False
        host = self.host
        call = host.desk.call
        try:
            parsed = split_promise(text, host.clock.now())
        except DueError as error:
            host.notify(
                f"{error}\nThe note is filed; press {host.key('note-promise')} on it to make it"
                " a promise.",
                title="No promise made",
                severity="warning",
                timeout=15,
            )
            return True
        self.promises.make(parsed.what, parsed.due, call, PromiseSource.NOTE)
        return True

    def from_entry(self, entry: NoteEntry) -> None:
        """The key on a note: its time if it names one, else ask when it is due."""
        from calldesk.tui.dialogs.promise import PromiseDialog

        host = self.host
        call = host.desk.call
        try:
            parsed = split_promise(entry.text, host.clock.now())
        except DueError:
            what = promise_what(entry.text)  # `/promise yesterday x` promises "x"

            def answered(due: datetime | None) -> None:
                if due is not None:
                    self.promises.make(what, due, call, PromiseSource.KEY)

            host.push_screen(PromiseDialog(what, host.clock), answered)
            return
        self.promises.make(parsed.what, parsed.due, call, PromiseSource.KEY)

    def offer_phrase(self, phrase: Phrase) -> None:
        """A phrase that promises something: ask when, with the trainer's suggested time."""
        from calldesk.tui.dialogs.promise import PromiseDialog

        host = self.host
        offer = getattr(phrase, "promise", None)
        if offer is None or host.desk.call is None:
            return
        call = host.desk.call

        def answered(due: datetime | None) -> None:
            if due is not None:
                self.promises.make(offer.what, due, call, PromiseSource.PHRASE)

        due = offer.due or "in 1h"
        try:
            parse_due(due, host.clock.now())
        except DueError:
            due = "in 1h"
        host.push_screen(PromiseDialog(offer.what, host.clock, due=due), answered)
