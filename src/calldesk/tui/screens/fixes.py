"""F7: every open permanent fix across calls ("fix everything twice"), to mark done or won't-fix."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import RecurringProblem
from calldesk.core.aftercall.records import FixStatus, PermanentFix
from calldesk.tui.reads import DataAccess, InPlace
from calldesk.tui.text import clip, literal, visible

if TYPE_CHECKING:
    from calldesk.core.storage import Database


class FixesScreen(Screen[None]):
    """A table of permanent fixes; d marks done, w won't fix, o reopens, a shows closed ones too."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "d", "mark('done')", "Done", id="fix-done", tooltip="The permanent fix is in place"
        ),
        Binding(
            "w", "mark('wontfix')", "Won't fix", id="fix-wontfix", tooltip="Decided not to fix"
        ),
        Binding("o", "mark('open')", "Reopen", id="fix-reopen", tooltip="Mark the fix open again"),
        Binding("a", "toggle_all", "Open/all", id="fix-all", tooltip="Show closed fixes too"),
        Binding("escape", "close", "Back", id="fixes-close", tooltip="Back to the desk"),
    ]

    def __init__(
        self, store: Database, recurring: list[RecurringProblem], data: DataAccess | None = None
    ) -> None:
        super().__init__()
        self.store = store
        self.data: DataAccess = data or InPlace()
        """Reads and writes go through the desk's writer in the app (in place on its own)."""
        self.recurring = recurring
        self.show_all = False
        self._fixes: list[PermanentFix] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="fixes"):
            yield Label("", id="fixes-recurring", markup=False)
            yield DataTable(id="fixes-table", cursor_type="row", zebra_stripes=True)
            yield Label("", id="fixes-empty", markup=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#fixes").border_title = "Fix everything twice: permanent fixes"
        table = self.query_one(DataTable)
        table.add_columns("Date", "Caller", "Permanent fix", "Where", "Owner", "Status")
        recurring = self.query_one("#fixes-recurring", Label)
        if self.recurring:
            lines = [f"↻ {visible(problem.label)}" for problem in self.recurring[:3]]
            recurring.update(Text("\n".join(lines), style="bold yellow"))
        recurring.display = bool(self.recurring)
        table.focus()
        self.reload()

    def reload(self) -> None:
        """List the fixes again, behind a status change still on its way to the disk."""
        store, status = self.store, None if self.show_all else "open"
        self.data.read(lambda: aftercall_records.list_fixes(store, status=status), self._show)

    def _show(self, fixes: list[PermanentFix]) -> None:
        if not self.is_attached:
            return  # closed while the list was read
        self._fixes = fixes
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for fix in fixes:
            table.add_row(
                fix.call_started_at.astimezone().strftime("%d %b"),
                Text(visible(clip(fix.caller, 16))),
                Text(visible(clip(fix.what, 40))),
                Text(visible(clip(fix.where, 16))),
                Text(visible(clip(fix.owner, 12))),
                str(fix.status),
                key=str(fix.id),
            )
        if fixes:
            table.move_cursor(row=min(row, len(fixes) - 1))
        empty = self.query_one("#fixes-empty", Label)
        empty.update(
            Text(
                "No open permanent fixes. Nice."
                if not self.show_all
                else "No permanent fixes yet.",
                style="dim",
            )
        )
        empty.display = not fixes
        self.query_one("#fixes").border_subtitle = literal(
            f"{len(fixes)} {'in all' if self.show_all else 'open'}"
        )

    def action_mark(self, status: str) -> None:
        table = self.query_one(DataTable)
        if not self._fixes or table.cursor_row >= len(self._fixes):
            return
        fix = self._fixes[table.cursor_row]
        store = self.store
        self.data.write(lambda: aftercall_records.set_fix_status(store, fix.id, FixStatus(status)))
        self.notify(f"Marked {status}: {clip(fix.what, 50)}", timeout=3)
        self.reload()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.reload()

    def action_close(self) -> None:
        self.dismiss()
