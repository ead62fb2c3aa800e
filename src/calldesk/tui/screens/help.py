"""F1: every key calldesk answers to, screen by screen, as bound now; it scrolls at 80x24."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from calldesk.tui.bindings import HELP_BINDINGS, active_keymap, key_label
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
    BINDINGS: ClassVar[list[BindingType]] = HELP_BINDINGS

    def compose(self) -> ComposeResult:
        keymap = active_keymap(self.app)
        bound = keymap.get("help-close", "escape,f1,q").split(",")
        closers = [key_label(key) for key in bound]
        close_keys = (
            ", ".join(closers[:-1]) + f" or {closers[-1]}" if len(closers) > 1 else closers[0]
        )
        with Vertical(classes="dialog wide", id="help"):
            yield Label("calldesk keys · ↑↓ PgUp PgDn scroll", classes="dialog-title")
            with VerticalScroll(id="help-keys"):
                yield Static(help_table(binding_help(keymap)), id="help-table", markup=False)
            yield Label(
                f"ctrl+p: every action by name. {close_keys} closes.",
                classes="dialog-hint",
                markup=False,  # the keys come from config.toml
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#help-keys", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
