"""The app's global key bindings, and how to name the key bound to an action right now."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("f1", "help", "Help", id="help", tooltip="Show every key", priority=True),
    Binding(
        "f2",
        "start_call",
        "Call",
        id="start-call",
        tooltip="Start a call record",
        priority=True,
    ),
    Binding(
        "f8",
        "end_call",
        "End",
        id="end-call",
        tooltip="End the call and go to the after-call steps",
        priority=True,
    ),
    Binding(
        "f3",
        "focus_phrases",
        "Find",
        id="find-phrase",
        tooltip="Search the phrase library",
        priority=True,
    ),
    Binding(
        "f4",
        "focus_caller",
        "Caller",
        id="edit-caller",
        tooltip="Edit caller name, number and ticket",
        priority=True,
        show=False,  # the fields are always on screen; F1 and the palette list it
    ),
    Binding(
        "f5",
        "history",
        "History",
        id="history",
        tooltip="Past calls, searchable",
        priority=True,
    ),
    Binding(
        "f6",
        "checklist",
        "Checks",
        id="checklist",
        tooltip="The post-call checklist of the last call",
        priority=True,
    ),
    Binding(
        "f7",
        "fixes",
        "Fixes",
        id="fixes",
        tooltip="Open permanent fixes: fix everything twice",
        priority=True,
    ),
    Binding(
        "f9",
        "practice",
        "Practice",
        id="practice",
        tooltip="Drill the awkward phrases between calls",
        priority=True,
    ),
    Binding(
        "f10",
        "export",
        "Export",
        id="export",
        tooltip="Export the call to Markdown (the highlighted one in history)",
        priority=True,
    ),
    Binding(
        "ctrl+r",
        "my_record",
        "Record",
        id="my-record",
        tooltip="My record: what you achieved, week by week",
        priority=True,
        show=False,  # the footer is full at 80 columns; F1 and the palette list it
    ),
    Binding(
        "ctrl+l",
        "fan_moment",
        "Fan",
        id="fan-moment",
        tooltip="Mark the open or last call a fan moment (again: take it back)",
        priority=True,
        show=False,  # the footer is full at 80 columns; F1 and the palette list it
    ),
    Binding(
        "ctrl+q",
        "quit",
        "Quit",
        id="quit",
        tooltip="Quit (an open call is kept for next time)",
        priority=True,
        show=False,
    ),
    # Tab and shift+Tab as app priority bindings: they move the focus as the app reads them,
    # before the keys typed behind them go to a field (see tui/typeahead.py). F1 lists them
    # with the typing keys (keys.py), hence no description.
    Binding(
        "tab",
        "focus_next",
        "",
        id="focus-next",
        tooltip="Move to the next field or pane",
        show=False,
        priority=True,
    ),
    Binding(
        "shift+tab",
        "focus_previous",
        "",
        id="focus-previous",
        tooltip="Move to the previous field or pane",
        show=False,
        priority=True,
    ),
]

HELP_BINDINGS: list[BindingType] = [
    Binding("escape,f1,q", "close", "Close", id="help-close", tooltip="Back to where you were")
]
"""F1's own keys; here, not in the help screen, so that the key list can name them without the
help screen and the key list importing each other."""

# calldesk's global actions; the cooldown, checklist, practice and dialogs keep all but F2.
DESK_ACTIONS = frozenset(
    {
        "start_call",
        "end_call",
        "focus_phrases",
        "focus_caller",
        "focus_notes",
        "history",
        "checklist",
        "fixes",
        "practice",
        "export",
        "my_record",
        "fan_moment",
    }
)


def action_allowed(
    action: str, *, on_call: bool, has_last_call: bool, holding: bool, in_history: bool
) -> bool:
    """Whether a global action may run now (the app's `check_action`).

    `holding`: a screen that holds the agent's attention (a dialog, the break, the checklist,
    practice) is up: only a new call, help and quit get past it.
    """
    if action in ("help", "quit", "command_palette"):
        return True
    if action not in DESK_ACTIONS:
        return True  # Textual's own (focus_next on Tab, …)
    if holding and action != "start_call":
        return False
    if action == "start_call":
        return not on_call
    if action in ("end_call", "focus_caller"):
        return on_call
    if action == "practice":
        return not on_call
    if action == "fan_moment":
        return on_call or has_last_call
    if action in ("checklist", "export"):
        return in_history or has_last_call or (action == "export" and on_call)
    return True


_FUNCTION_KEY = re.compile(r"f\d{1,2}")


def key_label(key: str) -> str:
    """How a key is written in calldesk's messages: `F2`, `ctrl+y`, `Escape`."""
    *modifiers, key = key.strip().split("+")
    if _FUNCTION_KEY.fullmatch(key):
        key = key.upper()
    else:
        key = {"escape": "Escape", "enter": "Enter", "delete": "Delete", "tab": "Tab"}.get(key, key)
    return "+".join([*modifiers, key])  # shift+Tab, ctrl+F2


def key_name(
    binding_id: str,
    keymap: Mapping[str, str] | None = None,
    bindings: Iterable[BindingType] = APP_BINDINGS,
) -> str:
    """The key bound to `binding_id` now: the user's keymap first, else the binding's own key.

    Several keys bound: the first is named. An id nobody declared is named as itself, so a
    mistake shows on screen instead of a wrong key.
    """
    keys = (keymap or {}).get(binding_id)
    if keys is None:
        keys = next(
            (b.key for b in bindings if isinstance(b, Binding) and b.id == binding_id), None
        )
    if not keys:
        return binding_id
    return key_label(keys.split(",")[0])


def active_keymap(app: object) -> Mapping[str, str]:
    """The keymap the app runs with (Textual keeps what `set_keymap` was given)."""
    keymap = getattr(app, "_keymap", None)
    return keymap if isinstance(keymap, Mapping) else {}


KEY_PLACEHOLDER = re.compile(r"\{key:([a-z0-9-]+)\}")


def name_keys(
    text: str,
    keymap: Mapping[str, str] | None = None,
    bindings: Iterable[BindingType] = APP_BINDINGS,
) -> str:
    """`{key:start-call}` placeholders (core's messages name actions) become the keys bound now."""
    bindings = list(bindings)
    return KEY_PLACEHOLDER.sub(lambda m: key_name(m.group(1), keymap, bindings), text)
