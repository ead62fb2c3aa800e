"""What the desk refuses, and how its messages name keys without knowing them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call


class DeskError(Exception):
    """Something the agent asked for that cannot be done now; the message says what to do.

    Keys appear as `{key:<binding id>}` placeholders: the screen names the key bound now.
    """


def key(action_id: str) -> str:
    """A message's placeholder for the key of an action (`start-call`): core knows no keys."""
    return "{key:" + action_id + "}"


def require_call(call: Call | None) -> Call:
    """`call`, the open call; none open is the agent's to fix."""
    if call is None:
        raise DeskError(f"No call is open. Start one with {key('start-call')}.")
    return call
