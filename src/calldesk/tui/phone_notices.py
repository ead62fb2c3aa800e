"""What the app tells the agent when the phone does something that changes no screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from calldesk.core.calls.phone_link import PhoneAction

if TYPE_CHECKING:
    from calldesk.core.phone.events import PhoneEvent
    from calldesk.tui.host import Host


def tell(host: Host, action: PhoneAction, event: PhoneEvent, caller: str) -> None:
    """A notice for `action`, the phone's `event` from `caller`; nothing for other actions."""
    end = host.key("end-call")
    if action is PhoneAction.RINGING:
        host.notify(
            f"{caller}\nThe call record starts when you answer.", title="Ringing", timeout=10
        )
    elif action is PhoneAction.ANSWERED:
        host.refresh_status()  # RINGING becomes ON CALL at once
    elif action is PhoneAction.BUSY:
        host.notify(
            f"{caller} is ringing while this call is open.",
            title="Another call",
            severity="warning",
            timeout=10,
        )
    elif action is PhoneAction.OTHER_ANSWERED and host.desk.phone.answered_waiting:
        host.notify(
            f"{caller} was answered. Its record opens when you end this one ({end}).",
            title="Another call",
            timeout=15,
        )
    elif action is PhoneAction.OTHER_ANSWERED:
        host.notify(
            f"{caller} was answered while this call is open: notes still go to this"
            f" record. {end} ends it.",
            title="Another call",
            severity="warning",
            timeout=15,
        )
    elif action is PhoneAction.HUNG_UP:
        host.notify(f"The phone hung up. {end} ends the call record.", title="Phone", timeout=10)
    elif action is PhoneAction.HELD:
        host.notify(
            f"The caller hung up. Your note stays: {end} ends the call record when you are done.",
            title="Phone",
            timeout=15,
        )
    elif action is PhoneAction.UNMATCHED:
        who = caller if event.name or event.number else "a withheld number"
        host.notify(
            f"The phone hung up a call from {who}: calldesk cannot tell whether it was"
            f" this one. If it was, {end} ends it.",
            title="Phone",
            timeout=15,
        )
