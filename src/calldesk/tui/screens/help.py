"""F1: every key calldesk answers to, screen by screen, as bound now; it scrolls at 80x24."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from calldesk.tui.keys import KeyHelp, binding_help
from calldesk.tui.text import visible


def help_table(rows: list[KeyHelp]) -> Table:
    """Keys and what they do, a heading per screen; long descriptions wrap, never cut."""
    table = Table(
        box=None, expand=True, show_header=False, padding=(0, 1), pad_edge=False, show_edge=False
    )
    table.add_column("Key", no_wrap=False, ratio=1, min_width=12, max_width=24)
    table.add_column("Does", ratio=3, overflow="fold")
    where = ""
    for row in rows:
        if row.where != where:
            if where:
                table.add_row("", "")
            where = row.where
            table.add_row(Text(where.upper(), style="bold"), "")
        # Remapped keys come from config.toml: shown literally, like every text from outside.
        table.add_row(Text(visible(row.keys), style="bold"), Text(row.action))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close", id="help-close", tooltip="Back to where you were")
    ]

    def compose(self) -> ComposeResult:
        keymap = dict(getattr(getattr(self.app, "settings", None), "keymap", None) or {})
        with Vertical(classes="dialog wide", id="help"):
            yield Label("calldesk keys · ↑↓ PgUp PgDn scroll", classes="dialog-title")
            with VerticalScroll(id="help-keys"):
                yield Static(help_table(binding_help(keymap)), id="help-table", markup=False)
            yield Label(
                "ctrl+p: every action by name. Escape, F1 or q closes.",
                classes="dialog-hint",
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-keys", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
