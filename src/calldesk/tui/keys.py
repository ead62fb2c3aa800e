"""The key map in one place, for the help screen, the README table and the tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    action: str
    where: str


# Keys handled inside widgets rather than by bindings (typing keys of the note field).
TYPING_KEYS = (
    KeyHelp("Enter", "File the note you are typing as a timestamped entry", "notes"),
    KeyHelp("ctrl+j", "New line inside a note", "notes"),  # see typing_keys()
    KeyHelp("Tab", "Move to the next field or pane (shift+Tab: back)", "anywhere"),
    KeyHelp("Up / Down", "Move through the phrase results while typing a search", "phrases"),
)


def typing_keys() -> list[KeyHelp]:
    """TYPING_KEYS with the new-line keys this terminal can really tell apart from Enter."""
    from calldesk.tui.terminal_input import TERMINAL

    newline = " / ".join(TERMINAL.newline_keys())
    return [
        KeyHelp(newline, row.action, row.where) if row.keys == "ctrl+j" else row
        for row in TYPING_KEYS
    ]


def binding_help() -> list[KeyHelp]:
    """Every shown key of the app, gathered from the bindings themselves so they never drift."""
    from textual.binding import Binding

    from calldesk.tui.app import CalldeskApp
    from calldesk.tui.widgets.notes_pane import NoteList
    from calldesk.tui.widgets.phrase_pane import PhrasePane

    rows: list[KeyHelp] = []
    for where, bindings in (
        ("anywhere", CalldeskApp.BINDINGS),
        ("phrases", PhrasePane.BINDINGS),
        ("note list", NoteList.BINDINGS),
    ):
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            keys = " / ".join(key.strip() for key in binding.key.split(","))
            rows.append(KeyHelp(keys, binding.tooltip or binding.description, where))
    rows += typing_keys()
    order = ["anywhere", "notes", "note list", "phrases"]
    return sorted(
        rows, key=lambda row: order.index(row.where) if row.where in order else len(order)
    )
