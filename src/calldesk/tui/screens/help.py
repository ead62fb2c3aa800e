"""F1: every key calldesk answers to, and where."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from calldesk.tui.keys import binding_help


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close", id="help-close")]

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does", ratio=1)
        table.add_column("Where", style="dim", no_wrap=True)
        for row in binding_help():
            table.add_row(Text(row.keys), Text(row.action), Text(row.where))
        with VerticalScroll(classes="dialog wide"):
            yield Label("calldesk keys", classes="dialog-title")
            yield Static(table)
            yield Label("ctrl+p opens the command palette: every action is there by name.", classes="dialog-hint")
        yield Footer(compact=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
