"""Practice in the app: when the drill may open, and the count of phrases due on the status line."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.core.practice.cards import PracticeSummary
    from calldesk.tui.host import Host


class PracticeCoach:
    """Opens the practice screen between calls and keeps the due count fresh. Owned by the app."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def open(self) -> None:
        """Practice between calls only: never during a call or a break, never read-only."""
        from calldesk.tui.screens.practice import PracticeScreen

        host = self.host
        store, library = host.store, host.library
        reason = ""
        if host.desk.call is not None:
            reason = f"Practice is for between calls: end this one first ({host.key('end-call')})."
        elif host.cooldown is not None and host.cooldown.state.is_active:
            reason = "Take your break first: practice can wait."
        elif store is None or store.readonly:
            reason = "Practice needs the database, and this window cannot write to it."
        elif library is None:
            reason = "The phrase library is still loading."
        if reason or store is None or library is None:
            host.notify(reason, severity="warning")
            return

        def finished(summary: PracticeSummary | None) -> None:
            if summary is not None and summary.reviewed:
                host.notify(summary.describe(), title="Practice")
            self.refresh_due()

        host.push_screen(
            PracticeScreen(
                library.phrases,
                store,
                host.clock,
                new_per_day=host.settings.practice.new_per_day,
                agent_name=host.settings.agent_name,
                data=host.data,
            ),
            finished,
        )

    def refresh_due(self) -> None:
        """How many phrases are due for practice, for the status line (behind the grades)."""
        self.host.run_worker(
            self._count_due, exclusive=True, group="due", exit_on_error=False, name="refresh_due"
        )

    async def _count_due(self) -> None:
        from calldesk.core.practice.cards import due_count

        host = self.host
        store, library = host.store, host.library
        if store is None or library is None:
            return
        new_per_day = host.settings.practice.new_per_day
        count = await host.data.fetch(
            lambda: due_count(store, library.phrases, host.clock.now(), new_per_day)
        )
        host.due_text = f"{count} to practise ({host.key('practice')})" if count else ""
