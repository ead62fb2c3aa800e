"""What the agent is told when saved notes could not all be brought back after a crash."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import Call
from calldesk.core.textsafe import visible

if TYPE_CHECKING:
    from calldesk.core.db.database import Database


def last_saved_at(call: Call) -> datetime:
    """The newest time stored for `call`: its last note, edit, answer or end."""
    times = [call.started_at, call.answered_at, call.ended_at]
    for note in call.notes:
        times += [note.created_at, note.edited_at]
    return max(when for when in times if when is not None)


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def journal_warning(store: Database) -> str | None:
    """The warning for a damaged journal found at open (`Database.journal_loss`), or None.

    It names the call the newest notes went to, from what time notes may be missing (the
    last save that came back), and where the damaged journal is kept.
    """
    loss = store.journal_loss
    if loss is None:
        return None
    saves = loss.scan.lost_saves
    what = f"{saves} save{'s' if saves != 1 else ''}" if saves else "some saves"
    lines = [
        f"The journal calldesk keeps while it runs was damaged when it stopped: {what} in it "
        "could not be read back."
    ]
    call = call_history.latest_call(store)
    if call is None:
        lines.append("Calls and notes typed in the last session may be missing.")
    else:
        who = visible(call.display_caller())
        when = call.started_at.astimezone().strftime("%H:%M")
        lines.append(
            f"Notes of call {call.id} ({who}, started {when}) typed after "
            f"{_local(last_saved_at(call))} may be missing, and any call started after that."
        )
    lines.append(f"The damaged journal is kept at {loss.copy}.")
    return "\n".join(lines)
