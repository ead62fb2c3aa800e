"""F7: every open permanent fix across calls ("fix everything twice"), to read and mark.

Each fix is listed whole (wrapped, never cut) with its caller, owner and status on the line
above; the highlighted one is shown in full below, with where it is filed and the calls it
came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import RecurringProblem
from calldesk.core.aftercall.records import FixStatus, PermanentFix
from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import Call
from calldesk.tui.reads import DataAccess, InPlace
from calldesk.tui.text import clip, literal, visible
from calldesk.tui.widgets.screen_footer import ScreenFooter

if TYPE_CHECKING:
    from calldesk.core.storage import Database

STATUS_STYLE = {FixStatus.OPEN: "bold yellow", FixStatus.DONE: "green", FixStatus.WONTFIX: "dim"}
STATUS_NAME = {FixStatus.OPEN: "open", FixStatus.DONE: "done", FixStatus.WONTFIX: "won't fix"}


def fix_option(fix: PermanentFix) -> Text:
    """Two or more lines: date, caller, owner and status; then the whole fix, wrapped."""
    status = FixStatus(fix.status)
    text = Text()
    text.append(fix.call_started_at.astimezone().strftime("%d %b"), style="dim")
    text.append("  ")
    text.append(visible(clip(fix.caller, 24)) or "unknown caller", style="bold")
    text.append("  owner: ")
    text.append(visible(clip(fix.owner, 20)) or "nobody yet", style="" if fix.owner else "red")
    text.append("  ")
    text.append(STATUS_NAME[status], style=STATUS_STYLE[status])
    text.append("\n")
    text.append(visible(fix.what))
    return text


def fix_detail(fix: PermanentFix, calls: list[Call], recurring: list[RecurringProblem]) -> Text:
    """The whole fix, where it is filed, and the calls it came from (first one first)."""
    status = FixStatus(fix.status)
    text = Text()
    text.append("Permanent fix", style="bold")
    text.append(f" · {STATUS_NAME[status]}", style=STATUS_STYLE[status])
    text.append(f" · owner: {visible(fix.owner) or 'nobody yet'}")
    text.append(f" · filed: {visible(fix.where) or 'nowhere yet'}\n")
    text.append(visible(fix.what) + "\n")
    for problem in recurring:
        if fix.call_id in problem.call_ids:
            text.append(f"↻ {visible(problem.describe())}\n", style="yellow")
    text.append("\nFrom the call", style="bold")
    text.append("s" if len(calls) > 1 else "", style="bold")
    text.append(":\n", style="bold")
    for call in calls:
        when = call.started_at.astimezone().strftime("%d %b %Y %H:%M")
        line = f"{when}  {call.display_caller()}"
        if call.ticket:
            line += f"  #{call.ticket}"
        if call.outcome is not None:
            line += f"  ({call.outcome.value}"
            line += f": {call.outcome_reason})" if call.outcome_reason else ")"
        text.append(visible(line) + "\n")
        for note in call.notes[:2]:
            text.append(f"  {visible(clip(note.text, 300))}\n", style="dim")
    return text


class FixesScreen(Screen[None]):
    """Permanent fixes, whole; d marks done, w won't fix, o reopens, a shows closed ones too."""

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
            yield OptionList(id="fixes-list")
            yield Label("", id="fixes-empty", markup=False)
            with VerticalScroll(id="fix-detail", can_focus=False):
                yield Static("", id="fix-detail-text", markup=False)
        yield ScreenFooter("start-call")

    def on_mount(self) -> None:
        self.query_one("#fixes").border_title = "Fix everything twice: permanent fixes"
        recurring = self.query_one("#fixes-recurring", Label)
        if self.recurring:
            lines = [f"↻ {visible(problem.label)}" for problem in self.recurring[:3]]
            recurring.update(Text("\n".join(lines), style="bold yellow"))
        recurring.display = bool(self.recurring)
        self.query_one(OptionList).focus()
        self.reload()

    @property
    def selected(self) -> PermanentFix | None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None or highlighted >= len(self._fixes):
            return None
        return self._fixes[highlighted]

    def reload(self) -> None:
        """List the fixes again, behind a status change still on its way to the disk."""
        store, status = self.store, None if self.show_all else "open"
        self.data.read(lambda: aftercall_records.list_fixes(store, status=status), self._show)

    def _show(self, fixes: list[PermanentFix]) -> None:
        if not self.is_attached:
            return  # closed while the list was read
        keep = self.selected.id if self.selected else None
        self._fixes = fixes
        options = self.query_one(OptionList)
        row = options.highlighted or 0
        options.clear_options()
        options.add_options(Option(fix_option(fix), id=str(fix.id)) for fix in fixes)
        if fixes:
            same = next((i for i, fix in enumerate(fixes) if fix.id == keep), None)
            options.highlighted = same if same is not None else min(row, len(fixes) - 1)
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
        options.display = bool(fixes)
        self.query_one("#fix-detail").display = bool(fixes)
        self.query_one("#fixes").border_subtitle = literal(
            f"{len(fixes)} {'in all' if self.show_all else 'open'}"
        )
        self._load_detail(self.selected)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._load_detail(self.selected)

    def _load_detail(self, fix: PermanentFix | None) -> None:
        """The calls behind a fix: the one it was written in, then the others like it."""
        if fix is None:
            return
        related = [fix.call_id]
        for problem in self.recurring:
            if fix.call_id in problem.call_ids:
                related += [call_id for call_id in problem.call_ids if call_id not in related]
        store, wanted = self.store, related[:6]
        self.data.read(
            lambda: [call_history.get_call(store, call_id) for call_id in wanted],
            lambda calls: self._show_detail(fix, calls),
        )

    def _show_detail(self, fix: PermanentFix, calls: list[Call]) -> None:
        if not self.is_attached:
            return  # closed while the calls were read
        if self.selected is None or self.selected.id != fix.id:
            return  # the agent has moved on
        self.query_one("#fix-detail-text", Static).update(fix_detail(fix, calls, self.recurring))

    def action_mark(self, status: str) -> None:
        fix = self.selected
        if fix is None:
            return
        store = self.store
        self.data.write(lambda: aftercall_records.set_fix_status(store, fix.id, FixStatus(status)))
        self.notify(f"Marked {STATUS_NAME[FixStatus(status)]}: {clip(fix.what, 50)}", timeout=3)
        self.reload()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self.reload()

    def action_close(self) -> None:
        self.dismiss()
