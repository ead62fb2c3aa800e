"""The key map in one place, for the help screen, the README table and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding

from calldesk.tui.bindings import APP_BINDINGS
from calldesk.tui.widgets.notes_pane import NoteList
from calldesk.tui.widgets.phrase_pane import PhrasePane


@dataclass(frozen=True)
class KeyHelp:
    keys: str
    action: str
    where: str


# Keys handled inside widgets rather than by bindings (typing keys of the note field).
TYPING_KEYS = (
    KeyHelp("Enter", "File the note you are typing as a timestamped entry", "notes"),
    KeyHelp("ctrl+j / alt+enter", "New line inside a note", "notes"),
    KeyHelp("Tab", "Move to the next field or pane (shift+Tab: back)", "anywhere"),
    KeyHelp("Up / Down", "Move through the phrase results while typing a search", "phrases"),
)


def binding_help(keymap: Mapping[str, str] | None = None) -> list[KeyHelp]:
    """Every shown key of the app, gathered from the bindings themselves so they never drift,
    with the keys of the user's `keymap` where it rebinds them."""
    keymap = keymap or {}
    rows: list[KeyHelp] = []
    for where, bindings in (
        ("anywhere", APP_BINDINGS),
        ("phrases", PhrasePane.BINDINGS),
        ("note list", NoteList.BINDINGS),
    ):
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            bound = keymap.get(binding.id or "", binding.key)
            keys = " / ".join(key.strip() for key in bound.split(","))
            rows.append(KeyHelp(keys, binding.tooltip or binding.description, where))
    rows += TYPING_KEYS
    order = ["anywhere", "notes", "note list", "phrases"]
    return sorted(
        rows, key=lambda row: order.index(row.where) if row.where in order else len(order)
    )
