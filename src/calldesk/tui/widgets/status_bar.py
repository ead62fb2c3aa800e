"""The top line: call state, caller and call timer on the left, save state on the right."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from calldesk.core.calls.model import Call, format_duration
from calldesk.tui.text import clip, visible


def call_status(call: Call | None, now: datetime, start_key: str = "F2") -> Text:
    """The left side: the call's state, timer, caller and ticket; how to start one if none."""
    if call is None:
        text = Text(" ○ NO CALL ", style="bold reverse")
        text.append(f"  {start_key} starts one", style="dim")
        return text
    ringing = call.answered_at is None
    text = Text(" ● RINGING " if ringing else " ● ON CALL ", style="bold reverse")
    text.append(f" {format_duration(call.duration(now))} ", style="bold")
    who = [part for part in (call.caller_name, call.caller_number) if part]
    text.append(" " + visible(clip(" · ".join(who), 40)) if who else " caller unknown", style="")
    if call.ticket:
        text.append(f"  #{visible(clip(call.ticket, 16))}", style="dim")
    return text


_SAVE_STYLES = {
    "saved": "dim",
    "read-only": "bold yellow",
    "re-created": "bold yellow",
    "NOT SAVED": "bold white on red",
}


def extra_status(
    save_state: str,
    *,
    due: str = "",
    promise: Text | None = None,
    breaks: str = "",
    phone_link: str = "",
) -> Text:
    """The right side: practice due, the next promise, today's breaks, the phone link and
    whether notes save."""
    text = Text(f" {due} ", style="dim") if due else Text()
    if promise:
        text.append(promise)
    if breaks:
        text.append(f" {breaks} ", style="dim")
    if phone_link:
        text.append(f" {phone_link} ", style="bold red" if "down" in phone_link else "dim")
    text.append(f" {save_state} ", style=_SAVE_STYLES.get(save_state, ""))
    return text


class StatusBar(Horizontal):
    """Always-visible state: never more than one line."""

    def compose(self) -> ComposeResult:
        yield Label("", id="status-call", markup=False)
        yield Label("", id="status-extra", markup=False)

    def show(self, call: Call | None, now: datetime, start_key: str = "F2") -> None:
        self.query_one("#status-call", Label).update(call_status(call, now, start_key))

    def show_extra(self, text: Text) -> None:
        self.query_one("#status-extra", Label).update(text)
