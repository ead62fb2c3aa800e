"""Keys typed ahead of a focus change land in the field the agent moved to.

A terminal hands Textual a burst of keys in one read: Tab and the first letters of the next field
often arrive together when an agent types fast (within about 10 ms). Textual forwards each key to
the widget focused *when the app reads it*. Tab is a screen binding, so it only acts once the
focused field has looked at it and let it bubble up; by then the letters behind it have already
been forwarded to the old field, and land there.

As app-level priority bindings, Tab and shift+Tab move the focus as the app reads them, before
the keys behind them are forwarded. Nothing in calldesk uses Tab inside a field (every text area
is `tab_behavior="focus"`), so no field loses a key it wanted.
"""

from __future__ import annotations

from textual.binding import Binding

FOCUS_BINDINGS = [
    Binding(
        "tab",
        "focus_next",
        "",  # F1 lists Tab with the typing keys (keys.py)
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
