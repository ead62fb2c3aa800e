"""Export in the app: one call's Markdown, written behind the queued writes, off the UI thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.core.aftercall.checklist import Checklist
    from calldesk.core.calls.model import Call
    from calldesk.core.export.callrecord import CallRecord
    from calldesk.tui.host import Host


class Exporter:
    """F10: the highlighted call in history, else the open call, else the last one."""

    def __init__(self, host: Host, checklist: Callable[[], Checklist]) -> None:
        self.host = host
        self._checklist = checklist
        """Gives the checklist the export lists answers for (the library's, once loaded)."""

    def export(self) -> None:
        from calldesk.tui.screens.history import HistoryScreen

        host = self.host
        screen = host.screen
        if isinstance(screen, HistoryScreen):
            call = screen.selected_call
        else:
            call = host.desk.call or host.desk.last_call
        if call is None:
            host.notify(
                f"No call to export yet. Past calls: {host.key('history')}, highlight one,"
                f" {host.key('export')}.",
                severity="warning",
            )
            return
        host.run_worker(
            partial(self._export, host.desk.snapshot(call)),
            exclusive=True,
            group="export",
            exit_on_error=False,
            name="export_call",
        )

    async def _export(self, call: Call) -> None:
        """Write one call's Markdown to the export folder (from memory if the store is down)."""
        from calldesk.core.export.callrecord import build_record, load_record
        from calldesk.core.export.files import ExportError, export_call_to_dir
        from calldesk.core.storage import StoreError

        host = self.host
        store, writer = host.store, host.desk.writes.writer
        checklist = self._checklist()

        def read() -> CallRecord:
            if store is not None and host.desk.writes.is_stored(call) and not writer.failing:
                return load_record(store, call.id, checklist)
            return build_record(call, checklist=checklist)

        try:
            record = await host.data.fetch(read)
            path = await asyncio.to_thread(
                export_call_to_dir, record, host.settings.export_dir, force=True
            )
        except (ExportError, StoreError, OSError) as error:
            host.notify(str(error), title="Export failed", severity="error")
            return
        host.notify(str(path), title="Call exported", timeout=8)
