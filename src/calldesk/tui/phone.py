"""The softphone in the app: hooks and baresip start, pop and end call records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from calldesk.core.storage import StoreError
from calldesk.tui.widgets.notes_pane import NotesPane

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call
    from calldesk.core.phone.events import PhoneEvent


def phone_caller(event: PhoneEvent) -> str:
    """`name · number` from the network, made safe to show on one line."""
    from calldesk.core.phone.events import display_safe

    parts = [part for part in (event.name, event.number) if part]
    return display_safe(" · ".join(parts) or "unknown caller", 60)


def display_caller_safe(call: Call) -> str:
    """`name · number` of a call record, made safe to show on one line."""
    from calldesk.core.phone.events import display_safe

    parts = [part for part in (call.caller_name, call.caller_number) if part]
    return display_safe(" · ".join(parts) or "unknown caller", 60)


class PhoneMixin:
    """Listens for phone events and turns them into call records; part of `CalldeskApp`."""

    # -- the softphone --------------------------------------------------------------------------

    def _start_phone(self) -> None:
        """Listen for softphone hooks, follow baresip if configured, and show missed pops."""
        from calldesk.core.phone.baresip import BaresipFollower, parse_hostport
        from calldesk.core.phone.channel import SocketError, socket_path
        from calldesk.core.phone.server import EventServer
        from calldesk.core.phone.spool import pending_file_path, take_all_pending
        from calldesk.paths import runtime_dir

        if self.read_only_reason:
            return
        try:
            missed = take_all_pending(self.store, pending_file_path(self.settings.data_dir))
        except (OSError, StoreError) as error:
            missed = []
            self.notify(
                f"Could not read the calls missed while calldesk was closed: {error}",
                severity="warning",
            )
        self._handled_events.update(missed)
        rings = [event for event in missed if event.kind == "ring"]
        if rings:
            lines = [f"{event.at.astimezone():%H:%M} {phone_caller(event)}" for event in rings[-5:]]
            self.notify(
                "\n".join(lines),
                title=f"Missed while calldesk was closed ({len(rings)})",
                timeout=30,
            )

        def on_event(event: PhoneEvent) -> None:
            self.call_from_thread(self.phone_event, event)

        self.phone_server = EventServer(socket_path(runtime_dir(self.settings.data_dir)), on_event)
        try:
            self.phone_server.start()
        except SocketError as error:
            self.phone_server = None
            self.notify(
                f"Phone hooks cannot reach this window: {error}",
                title="Softphone",
                severity="warning",
            )
        if self.settings.softphone.baresip:
            try:
                host, port = parse_hostport(self.settings.softphone.baresip)
            except ValueError as error:
                self.notify(f"softphone.baresip: {error}", title="Softphone", severity="error")
                return

            def on_link(up: bool) -> None:
                self.call_from_thread(self._phone_linked, up)

            self.baresip = BaresipFollower(host, port, on_event, on_link)
            self.phone_link = "☎ baresip …"
            self.baresip.start()

    def _phone_linked(self, up: bool) -> None:
        self.phone_link = "☎ baresip" if up else "☎ baresip down"
        self._set_save_state(self.save_state)

    async def phone_event(self, event: PhoneEvent) -> None:
        """What the phone says happens to the call record; the agent's own calls are left alone."""
        from calldesk.core.calls.desk import PhoneAction

        if event in self._handled_events:
            return
        self._handled_events.add(event)
        if self.read_only_reason:
            return
        outcome = self.desk.on_phone_event(event, self.settings.softphone.start_on)
        caller = phone_caller(event)
        action = outcome.action
        if action is PhoneAction.STARTED:
            await self._show_phone_call()
        elif action is PhoneAction.RINGING:
            self.notify(
                f"{caller}\nThe call record starts when you answer.", title="Ringing", timeout=10
            )
        elif action is PhoneAction.ANSWERED:
            self._tick()  # RINGING becomes ON CALL at once
        elif action is PhoneAction.MISSED and outcome.call is not None:
            await self._missed(outcome.call, outcome.started)
        elif action is PhoneAction.BUSY:
            self.notify(
                f"{caller} is ringing while this call is open.",
                title="Another call",
                severity="warning",
                timeout=10,
            )
        elif action is PhoneAction.OTHER_ANSWERED:
            self.notify(
                f"{caller} was answered while this call is open: notes still go to this"
                " record. F8 ends it.",
                title="Another call",
                severity="warning",
                timeout=15,
            )
        elif action is PhoneAction.HUNG_UP:
            self.notify("The phone hung up. F8 ends the call record.", title="Phone", timeout=10)
        elif action is PhoneAction.UNMATCHED:
            who = caller if event.name or event.number else "a withheld number"
            self.notify(
                f"The phone hung up a call from {who}: calldesk cannot tell whether it was"
                " this one. If it was, F8 ends it.",
                title="Phone",
                timeout=15,
            )
        elif action is PhoneAction.ENDED and outcome.call is not None:
            await self._to_desk()
            self._show_call()
            self.refresh_bindings()
            self.after_call(outcome.call)

    async def _show_phone_call(self) -> None:
        """Bring the record the phone opened to the screen, with what calldesk knows."""
        call = self.desk.call
        if call is None:
            return
        await self._to_desk()
        self._show_call()
        self.refresh_bindings()
        title = "Ringing" if self.desk.is_ringing(call) else "Answered"
        self.notify(display_caller_safe(call), title=title, timeout=5)
        self.lookup_caller(call.caller_number)

    async def _missed(self, call: Call, started: Call | None) -> None:
        """A caller gave up while it rang: a short notice, and no after-call steps."""
        self.notify(
            f"{display_caller_safe(call)} hung up while it rang. It is in the history as missed.",
            title="Missed call",
            severity="warning",
            timeout=10,
        )
        if started is not None:
            await self._show_phone_call()
        elif self.desk.call is None:
            self._show_call()
            self.refresh_bindings()

    @work(thread=True, exclusive=True, group="caller-card", exit_on_error=False)
    def lookup_caller(self, number: str) -> None:
        """Who is calling: earlier calls, open fixes and recurring problems for this number."""
        from calldesk.core.calls.caller import lookup_caller

        card = None
        if self.store is not None and number.strip():
            self.desk.writer.flush(
                timeout=1.0
            )  # the open call must have its stored id to be left out
            call_id = self.desk.call.id if self.desk.call is not None else None
            card = lookup_caller(self.store, number, self.clock.now(), exclude_call_id=call_id)
        self.call_from_thread(self.desk_screen().query_one(NotesPane).show_caller_card, card)
