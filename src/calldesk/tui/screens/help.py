"""F1: every key calldesk answers to, and where."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Label

from calldesk.tui.bindings import active_keymap
from calldesk.tui.keys import binding_help


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close", id="help-close", tooltip="Back to where you were")
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="help"):
            yield Label("calldesk keys", classes="dialog-title")
            yield DataTable(
                id="help-keys", cursor_type="none", zebra_stripes=True, show_cursor=False
            )
            yield Label(
                "ctrl+p opens the command palette: every action is there by name.",
                classes="dialog-hint",
            )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Does")
        where = ""
        for row in binding_help(active_keymap(self.app)):
            if row.where != where:
                where = row.where
                table.add_row(Text(where.upper(), style="bold $accent"), Text(""))
            table.add_row(Text(row.keys, style="bold"), Text(row.action))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
