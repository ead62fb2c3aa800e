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


CALL_STATUS_ROOM = 28
"""Cells the left side always keeps: " ○ NO CALL   F2 starts one", or the call's state and timer."""


def extra_status(
    save_state: str,
    *,
    due: str = "",
    promise: Text | None = None,
    breaks: str = "",
    phone_link: str = "",
    room: int = 0,
) -> Text:
    """The right side: practice due, the next promise, today's breaks, the phone link and
    whether notes save.

    Within `room` cells (0: no limit) the least urgent parts give way first: the practice
    count, then today's breaks, then the promise is shortened. The save state always shows.
    """
    text = _extra(save_state, due, promise, breaks, phone_link)
    if room <= 0 or text.cell_len <= room:
        return text
    text = _extra(save_state, "", promise, breaks, phone_link)
    if text.cell_len <= room:
        return text
    text = _extra(save_state, "", promise, "", phone_link)
    if text.cell_len > room and promise:
        over = text.cell_len - room
        shortened = promise.copy()
        shortened.truncate(max(4, promise.cell_len - over), overflow="ellipsis")
        text = _extra(save_state, "", shortened, "", phone_link)
    return text


def _extra(save_state: str, due: str, promise: Text | None, breaks: str, phone_link: str) -> Text:
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

    _extra: tuple[str, dict[str, object]] | None = None
    """The right side's parts as last shown, to fit them again when the terminal is resized."""

    def compose(self) -> ComposeResult:
        yield Label("", id="status-call", markup=False)
        yield Label("", id="status-extra", markup=False)

    def show(self, call: Call | None, now: datetime, start_key: str = "F2") -> None:
        self.query_one("#status-call", Label).update(call_status(call, now, start_key))

    def show_extra(self, save_state: str, **parts: object) -> None:
        """Show the right side, fitted to the line (again whenever the terminal is resized)."""
        self._extra = (save_state, parts)
        room = self.size.width - CALL_STATUS_ROOM if self.size.width else 0
        text = extra_status(save_state, room=room, **parts)  # type: ignore[arg-type]
        self.query_one("#status-extra", Label).update(text)

    def on_resize(self) -> None:
        if self._extra is not None:
            self.show_extra(self._extra[0], **self._extra[1])
