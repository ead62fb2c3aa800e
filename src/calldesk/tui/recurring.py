"""Problems that keep coming back: told after a checklist, and on top of the fixes view (F7).

`RecurringProblems` reads this week's recurring problems behind the queued writes (so the call
just ended counts), tells the agent the first two once a checklist is done, and opens the
fixes view with them on top.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from calldesk.core.aftercall import records as aftercall_records
from calldesk.tui.typeahead import keys_for_the_next_screen

if TYPE_CHECKING:
    from calldesk.core.aftercall.fixes import RecurringProblem
    from calldesk.tui.host import Host


class RecurringProblems:
    """This week's recurring problems, and the fixes view they head. Owned by the app."""

    def __init__(self, host: Host) -> None:
        self.host = host

    async def recurring(self) -> list[RecurringProblem]:
        """Problems that came back this week, from the calls stored behind the queued writes."""
        from calldesk.core.aftercall.fixes import recurring_problems

        store = self.host.store
        if store is None:
            return []
        now = self.host.clock.now()
        return await self.host.data.fetch(
            lambda: recurring_problems(
                aftercall_records.recent_calls_for_recurrence(store, now - timedelta(days=7)), now
            )
        )

    async def tell(self) -> None:
        """After a checklist: the first two, each a warning that asks for a permanent fix."""
        for problem in (await self.recurring())[:2]:
            self.host.notify(
                problem.label,
                title="This keeps happening: fix it for good",
                severity="warning",
                timeout=15,
            )

    def open_fixes(self) -> None:
        """F7: the fixes view, with this week's recurring problems on top."""
        if self.host.store is None:
            self.host.notify(
                "Permanent fixes need the database, which could not be opened.", severity="warning"
            )
            return
        keys_for_the_next_screen(self.host)  # F7 then d marks the first fix done
        # Not the after-call group: opening the fixes must not cancel the steps of a call.
        self.host.run_worker(
            self._open_fixes, exclusive=True, group="fixes", exit_on_error=False, name="fixes"
        )

    async def _open_fixes(self) -> None:
        from calldesk.tui.screens.fixes import FixesScreen

        recurring = await self.recurring()
        store = self.host.store
        if store is not None and not isinstance(self.host.screen, FixesScreen):
            self.host.push_screen(FixesScreen(store, recurring, self.host.data))
