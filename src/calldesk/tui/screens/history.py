"""F5: past calls, newest first, searchable by caller and by words in the notes; read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import Call, CallSummary, format_duration
from calldesk.core.textsafe import counted
from calldesk.tui.text import LiteralInput, clip, literal, visible
from calldesk.tui.widgets.notes_pane import entry_text
from calldesk.tui.widgets.screen_footer import ScreenFooter

if TYPE_CHECKING:
    from calldesk.core.storage import Database

LIST_LIMIT = 200


def call_option(call: Call | CallSummary) -> Option:
    started = call.started_at.astimezone()
    prompt = Text(started.strftime("%a %d %b %H:%M"), style="dim")
    if call.missed:  # before the caller, so a narrow list cannot cut it off
        prompt.append(" missed", style="bold yellow")
        prompt.append(" " + visible(clip(call.display_caller(), 28)))
    else:
        prompt.append("  " + visible(clip(call.display_caller(), 28)))
    if call.outcome is not None and call.outcome.wants_cooldown:
        prompt.append(f"  {call.outcome.value}", style="bold red")
    return Option(prompt, id=str(call.id))


def call_detail(call: Call) -> Text:
    """A read-only rendering of a whole call, everything shown literally."""
    started = call.started_at.astimezone()
    text = Text(visible(call.display_caller()), style="bold")
    if call.caller_number and call.caller_name:
        text.append(f"  {visible(call.caller_number)}")
    if call.ticket:
        text.append(f"  #{visible(call.ticket)}", style="dim")
    ended = call.ended_at.astimezone().strftime("%H:%M") if call.ended_at else "still open"
    text.append(f"\n{started:%A %d %B %Y, %H:%M} – {ended}  (call {call.id})", style="dim")
    if call.ended_at:
        text.append(f"  ({format_duration(call.duration(call.ended_at))})", style="dim")
    if call.missed:
        text.append("\nMissed call: the caller hung up while it rang.", style="bold yellow")
    if call.outcome is not None:
        text.append(f"\nOutcome: {call.outcome.value}")
        if call.outcome_reason:
            text.append(f" — {visible(call.outcome_reason)}")
    text.append("\n\n")
    if not call.notes:
        text.append("No notes.", style="dim italic")
    for entry in call.notes:
        text.append_text(entry_text(entry, detail=True))
        text.append("\n")
    if call.draft.strip():
        text.append("\nUnfinished note: ", style="dim")
        text.append(visible(call.draft))
    return text


class HistoryScreen(Screen[None]):
    """Search box and call list on the left, the highlighted call on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back", id="history-close", tooltip="Back to the desk"),
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
    ]

    def __init__(self, store: Database) -> None:
        super().__init__()
        self.store = store
        self._calls: list[CallSummary] = []
        self.selected_call: Call | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="history-panes"):
            with Vertical(id="history-list-pane"):
                yield LiteralInput(placeholder="Search calls and notes", id="history-search")
                yield OptionList(id="history-list")
            with VerticalScroll(id="history-detail"):
                yield Static("", id="history-detail-text", markup=False)
        yield ScreenFooter("start-call", "checklist", "export")

    def on_mount(self) -> None:
        self.query_one("#history-list-pane").border_title = "History"
        self.query_one("#history-detail").border_title = "Call"
        self.query_one("#history-search", LiteralInput).focus()
        self.refresh_calls("")

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def refresh_calls(self, query: str) -> None:
        query = query.strip()
        calls = (
            call_history.search_calls(self.store, query, limit=LIST_LIMIT)
            if query
            else call_history.list_calls(self.store, limit=LIST_LIMIT)
        )
        self.app.call_from_thread(self._show_calls, calls, query)

    def _show_calls(self, calls: list[CallSummary], query: str) -> None:
        self._calls = calls
        listing = self.query_one("#history-list", OptionList)
        listing.clear_options()
        listing.add_options(call_option(call) for call in calls)
        listing.highlighted = 0 if calls else None
        pane = self.query_one("#history-list-pane")
        pane.border_subtitle = literal(
            counted(len(calls), "call") + (f" matching “{clip(query, 20)}”" if query else "")
        )
        if not calls:
            message = "No call matches." if query else "No calls yet. They appear here once taken."
            self.query_one("#history-detail-text", Static).update(Text(message, style="dim"))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.refresh_calls(event.value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id is not None:
            self.show_detail(int(event.option_id))

    @work(thread=True, exclusive=True, group="history-detail", exit_on_error=False)
    def show_detail(self, call_id: int) -> None:
        call = call_history.get_call(self.store, call_id)
        self.app.call_from_thread(self._show_detail, call)

    def _show_detail(self, call: Call) -> None:
        self.selected_call = call
        self.query_one("#history-detail-text", Static).update(call_detail(call))

    def action_move(self, step: int) -> None:
        listing = self.query_one("#history-list", OptionList)
        if listing.option_count:
            current = listing.highlighted if listing.highlighted is not None else -1
            listing.highlighted = max(0, min(listing.option_count - 1, current + step))

    def action_close(self) -> None:
        self.dismiss()
