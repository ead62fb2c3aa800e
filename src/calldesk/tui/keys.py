"""The key map in one place, for the help screen, the README table and the tests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding

from calldesk.tui.bindings import APP_BINDINGS, HELP_BINDINGS, key_label
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.dialogs.edit_note import EditNoteDialog
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.screens.cooldown import CooldownScreen
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.screens.fixes import FixesScreen
from calldesk.tui.screens.history import HistoryScreen
from calldesk.tui.screens.practice import PracticeScreen
from calldesk.tui.terminal_input import TERMINAL
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
    KeyHelp("ctrl+j", "New line inside a note", "notes"),  # see typing_keys()
    KeyHelp("Tab", "Move to the next field or pane (shift+Tab: back)", "anywhere"),
    KeyHelp("Up / Down", "Move through the phrase results while typing a search", "phrases"),
)

# Keys that are not bindings of ours: Textual's own, and the controls' own.
EXTRA_KEYS = (
    KeyHelp("ctrl+p", "Command palette: every action by name", "anywhere"),
    KeyHelp("Enter", "Save how it went, with the reason you typed", "how did it go?"),
    KeyHelp("Space / Up / Down", "Tick a box, choose an answer", "checklist"),
    KeyHelp("Tab", "Next answer (shift+Tab: back)", "checklist"),
    KeyHelp("Up / Down", "Move through the calls; typing searches them", "history"),
    KeyHelp("Up / Down / PgUp / PgDn", "Scroll this list", "this help"),
)


# The screens' own keys, in the order an agent meets them; each group is one heading in F1.
SCREEN_ORDER = (
    "anywhere",
    "notes",
    "note list",
    "phrases",
    "editing a note",
    "how did it go?",
    "the break",
    "a yes/no question",
    "checklist",
    "history",
    "fixes",
    "practice",
    "this help",
)


_MORE_NAMED_KEYS = {"space", "up", "down", "home", "end"}


def shown_key(key: str) -> str:
    """A key as the footer's neighbours write it: F1, Enter, Escape, Space, ctrl+s, y."""
    label = key_label(key)
    return label.capitalize() if label in _MORE_NAMED_KEYS else label


def typing_keys(keymap: Mapping[str, str] | None = None) -> list[KeyHelp]:
    """TYPING_KEYS with the new-line keys this terminal can really tell apart from Enter, and
    Tab / shift+Tab as the `keymap` binds them (`focus-next`, `focus-previous`)."""
    keymap = keymap or {}
    bound = {
        binding.id: " / ".join(
            key_label(key) for key in keymap.get(binding.id, binding.key).split(",")
        )
        for binding in APP_BINDINGS
        if isinstance(binding, Binding) and binding.id in ("focus-next", "focus-previous")
    }
    rows: list[KeyHelp] = []
    for row in TYPING_KEYS:
        if row.keys == "ctrl+j":
            row = KeyHelp(" / ".join(TERMINAL.newline_keys()), row.action, row.where)
        elif row.keys == "Tab":
            action = f"Move to the next field or pane ({bound['focus-previous']}: back)"
            row = KeyHelp(bound["focus-next"], action, row.where)
        rows.append(row)
    return rows


def binding_help(keymap: Mapping[str, str] | None = None) -> list[KeyHelp]:
    """Every shown key of the app and its screens, gathered from the bindings themselves so they
    never drift; `keymap` (binding id -> keys, as in config.toml) shows remapped keys as bound."""
    keymap = keymap or {}
    rows: list[KeyHelp] = []
    for where, bindings in (
        ("anywhere", APP_BINDINGS),
        ("notes", DeskScreen.BINDINGS),
        ("phrases", PhrasePane.BINDINGS),
        ("note list", NoteList.BINDINGS),
        ("editing a note", EditNoteDialog.BINDINGS),
        ("how did it go?", OutcomeDialog.BINDINGS),
        ("the break", CooldownScreen.BINDINGS),
        ("a yes/no question", ConfirmDialog.BINDINGS),
        ("checklist", ChecklistScreen.BINDINGS),
        ("history", HistoryScreen.BINDINGS),
        ("fixes", FixesScreen.BINDINGS),
        ("practice", PracticeScreen.BINDINGS),
        ("this help", HELP_BINDINGS),
    ):
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            if not binding.show and not binding.id:
                continue  # arrow keys of a list, and the like
            bound = keymap.get(binding.id or "", binding.key)
            keys = " / ".join(shown_key(key) for key in bound.split(","))
            rows.append(KeyHelp(keys, binding.tooltip or binding.description, where))
    rows += typing_keys(keymap)
    rows += EXTRA_KEYS
    order = list(SCREEN_ORDER)
    return sorted(
        rows, key=lambda row: order.index(row.where) if row.where in order else len(order)
    )
