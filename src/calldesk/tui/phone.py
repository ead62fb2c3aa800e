"""The softphone in the app: hooks and baresip start, pop and end call records."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from calldesk.core.storage import StoreError
from calldesk.tui.widgets.notes_pane import NotesPane

if TYPE_CHECKING:
    from calldesk.core.calls.caller import CallerCard
    from calldesk.core.calls.model import Call
    from calldesk.core.phone.baresip import BaresipFollower
    from calldesk.core.phone.events import PhoneEvent
    from calldesk.core.phone.server import EventServer
    from calldesk.tui.host import Host


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


class PhoneLine:
    """Listens for phone events and turns them into call records. Owned by the app."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.server: EventServer | None = None
        self.baresip: BaresipFollower | None = None
        self._handled_events: set[PhoneEvent] = set()
        self._lookups = 0
        self._stopped = False
        """Caller lookups asked for; only the newest one's answer is shown."""

    def start(self) -> None:
        """Listen for softphone hooks, follow baresip if configured, and show missed pops."""
        from calldesk.core.phone.spool import pending_file_path, take_all_pending

        if self.host.read_only_reason:
            return
        store, spool = self.host.store, pending_file_path(self.host.settings.data_dir)
        # Read (and emptied) on the writer thread, then the socket opens: no event is lost
        # between the two, and none is shown twice.
        self.host.data.read(
            lambda: take_all_pending(store, spool), self._listen, on_error=self._spool_unread
        )

    def _spool_unread(self, error: BaseException) -> None:
        if not isinstance(error, OSError | StoreError):
            raise error
        self.host.notify(
            f"Could not read the calls missed while calldesk was closed: {error}",
            severity="warning",
        )
        self._listen([])

    def _listen(self, missed: list[PhoneEvent]) -> None:
        """Show the pops missed while calldesk was closed, then listen for new ones."""
        from calldesk.core.phone.baresip import BaresipFollower, parse_hostport
        from calldesk.core.phone.channel import SocketError, socket_path
        from calldesk.core.phone.server import EventServer
        from calldesk.paths import runtime_dir

        if self._stopped:
            return  # the app closed while the spool was read
        self._handled_events.update(missed)
        rings = [event for event in missed if event.kind == "ring"]
        if rings:
            lines = [f"{event.at.astimezone():%H:%M} {phone_caller(event)}" for event in rings[-5:]]
            self.host.notify(
                "\n".join(lines),
                title=f"Missed while calldesk was closed ({len(rings)})",
                timeout=30,
            )

        def on_event(event: PhoneEvent) -> None:
            self.host.call_from_thread(self.event, event)

        self.server = EventServer(socket_path(runtime_dir(self.host.settings.data_dir)), on_event)
        try:
            self.server.start()
        except SocketError as error:
            self.server = None
            self.host.notify(
                f"Phone hooks cannot reach this window: {error}",
                title="Softphone",
                severity="warning",
            )
        if self.host.settings.softphone.baresip:
            try:
                host, port = parse_hostport(self.host.settings.softphone.baresip)
            except ValueError as error:
                self.host.notify(f"softphone.baresip: {error}", title="Softphone", severity="error")
                return

            def on_link(up: bool) -> None:
                self.host.call_from_thread(self._phone_linked, up)

            self.baresip = BaresipFollower(host, port, on_event, on_link)
            self.host.phone_link = "☎ baresip …"
            self.baresip.start()

    def _phone_linked(self, up: bool) -> None:
        self.host.phone_link = "☎ baresip" if up else "☎ baresip down"

    async def event(self, event: PhoneEvent) -> None:
        """What the phone says happens to the call record; the agent's own calls are left alone."""
        from calldesk.core.calls.desk import PhoneAction

        if event in self._handled_events:
            return
        self._handled_events.add(event)
        if self.host.read_only_reason:
            return
        outcome = self.host.desk.on_phone_event(event, self.host.settings.softphone.start_on)
        caller = phone_caller(event)
        action = outcome.action
        if action is PhoneAction.STARTED:
            await self._show_phone_call()
        elif action is PhoneAction.RINGING:
            self.host.notify(
                f"{caller}\nThe call record starts when you answer.", title="Ringing", timeout=10
            )
        elif action is PhoneAction.ANSWERED:
            self.host.refresh_status()  # RINGING becomes ON CALL at once
        elif action is PhoneAction.MISSED and outcome.call is not None:
            await self._missed(outcome.call, outcome.started)
        elif action is PhoneAction.BUSY:
            self.host.notify(
                f"{caller} is ringing while this call is open.",
                title="Another call",
                severity="warning",
                timeout=10,
            )
        elif action is PhoneAction.OTHER_ANSWERED:
            self.host.notify(
                f"{caller} was answered while this call is open: notes still go to this"
                f" record. {self.host.key('end-call')} ends it.",
                title="Another call",
                severity="warning",
                timeout=15,
            )
        elif action is PhoneAction.HUNG_UP:
            self.host.notify(
                f"The phone hung up. {self.host.key('end-call')} ends the call record.",
                title="Phone",
                timeout=10,
            )
        elif action is PhoneAction.UNMATCHED:
            who = caller if event.name or event.number else "a withheld number"
            self.host.notify(
                f"The phone hung up a call from {who}: calldesk cannot tell whether it was"
                f" this one. If it was, {self.host.key('end-call')} ends it.",
                title="Phone",
                timeout=15,
            )
        elif action is PhoneAction.ENDED and outcome.call is not None:
            await self.host.to_desk()
            self.host.show_call()
            self.host.refresh_bindings()
            self.host.start_after_call(outcome.call)

    async def _show_phone_call(self) -> None:
        """Bring the record the phone opened to the screen, with what calldesk knows."""
        call = self.host.desk.call
        if call is None:
            return
        await self.host.to_desk()
        self.host.show_call()
        self.host.refresh_bindings()
        title = "Ringing" if self.host.desk.is_ringing(call) else "Answered"
        self.host.notify(display_caller_safe(call), title=title, timeout=5)
        self.host.lookup_caller(call.caller_number)

    async def _missed(self, call: Call, started: Call | None) -> None:
        """A caller gave up while it rang: a short notice, and no after-call steps."""
        self.host.notify(
            f"{display_caller_safe(call)} hung up while it rang. It is in the history as missed.",
            title="Missed call",
            severity="warning",
            timeout=10,
        )
        if started is not None:
            await self._show_phone_call()
        elif self.host.desk.call is None:
            self.host.show_call()
            self.host.refresh_bindings()

    def lookup_caller(self, number: str) -> None:
        """Who is calling: earlier calls, open fixes and recurring problems for this number.

        Read behind the queued writes, so the open call has its stored id and is left out.
        """
        from calldesk.core.calls.caller import lookup_caller

        self._lookups += 1
        asked, lookups = self._lookups, self
        store, desk, now = self.host.store, self.host.desk, self.host.clock.now()

        def read() -> CallerCard | None:
            if store is None or not number.strip() or asked != lookups._lookups:
                return None  # a newer lookup is queued behind this one
            call_id = desk.call.id if desk.call is not None else None
            return lookup_caller(store, number, now, exclude_call_id=call_id)

        self.host.data.read(read, partial(self._show_card, asked))

    def _show_card(self, asked: int, card: CallerCard | None) -> None:
        pane = self.host.desk_widget(NotesPane)
        if asked == self._lookups and pane is not None:
            pane.show_caller_card(card)

    def stop(self) -> None:
        self._stopped = True
        if self.server is not None:
            self.server.stop()
        if self.baresip is not None:
            self.baresip.stop()
