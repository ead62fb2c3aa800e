"""Moving about the app: back to the desk, the focus keys, and the help and history screens.

`Navigator` knows where the agent is: going back to the desk closes whatever is over it (a
break in progress ends, counted as taken), the focus keys go back to the desk first, and help
and history open over it, once each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.phrase_pane import PhrasePane

if TYPE_CHECKING:
    from calldesk.tui.host import Host


class Navigator:
    """Takes the agent back to the desk, or to help or history over it. Owned by the app."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def to_desk(self) -> DeskScreen:
        """Close whatever is over the desk; a break in progress ends (counted as taken)."""
        from calldesk.tui.screens.cooldown import CooldownScreen

        while not isinstance(screen := self.host.screen, DeskScreen):
            if isinstance(screen, CooldownScreen):
                screen.interrupt()
            await screen.dismiss(None)
        return screen

    async def focus_phrases(self) -> None:
        (await self.to_desk()).query_one(PhrasePane).focus_search()

    async def focus_notes(self) -> None:
        (await self.to_desk()).query_one(NoteInput).focus()

    async def focus_caller(self) -> None:
        (await self.to_desk()).query_one("#caller_name").focus()

    def help(self) -> None:
        from calldesk.tui.screens.help import HelpScreen

        if not isinstance(self.host.screen, HelpScreen):
            self.host.push_screen(HelpScreen())

    def history(self) -> None:
        from calldesk.tui.screens.history import HistoryScreen

        host = self.host
        if host.store is None:
            host.notify(
                "There is no saved history: the database could not be opened.", severity="warning"
            )
            return
        if not isinstance(host.screen, HistoryScreen):
            host.push_screen(HistoryScreen(host.store))
