"""The softphone in the app: hooks and baresip start, pop and end call records."""

from __future__ import annotations

import contextlib
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from calldesk.core.storage import StoreError
from calldesk.tui.host import desk_in_front
from calldesk.tui.widgets.notes_pane import NotesPane

if TYPE_CHECKING:
    from calldesk.core.calls.caller import CallerCard
    from calldesk.core.calls.model import Call
    from calldesk.core.phone.baresip import BaresipFollower
    from calldesk.core.phone.events import PhoneEvent
    from calldesk.core.phone.journal import EventJournal
    from calldesk.core.phone.server import EventServer
    from calldesk.core.phone.spool import Spooled
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


TYPING_PAUSE = 2.0
"""Seconds since the last key under which the agent counts as typing."""


class Backlog(NamedTuple):
    """What waits at start: events taken but not shown, events hooks kept, ids handled."""

    taken: list[PhoneEvent]
    kept: list[Spooled]
    handled: set[str]


def _events(kept: list[Spooled]) -> list[PhoneEvent]:
    return [spooled.event for spooled in kept]


class PhoneLine:
    """Listens for phone events and turns them into call records. Owned by the app."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.server: EventServer | None = None
        self.baresip: BaresipFollower | None = None
        self.journal: EventJournal | None = None
        self._handled: set[str] = set()
        """Ids of the events handled, so a copy (from the spool, from the socket) is dropped."""
        self._last_seen: dict[str, datetime] = {}
        """The time of the latest event handled for each call id."""
        self._lookups = 0
        """Caller lookups asked for; only the newest one's answer is shown."""
        self._stopped = False

    def start(self) -> None:
        """Listen for softphone hooks, follow baresip if configured, and show missed pops."""
        from calldesk.core.phone.journal import EventJournal, journal_path
        from calldesk.core.phone.spool import pending_file_path, take_all_spooled

        if self.host.read_only_reason:
            return
        data_dir = self.host.settings.data_dir
        store, spool = self.host.store, pending_file_path(data_dir)
        journal = self.journal = EventJournal(journal_path(data_dir))

        def read() -> Backlog:
            recovered = journal.recover()
            kept = take_all_spooled(store, spool, lambda kept: journal.keep(_events(kept)))
            return Backlog(recovered.unhandled, kept, recovered.handled)

        # Read (and emptied) on the writer thread, then the socket opens: no event is lost
        # between the two, and none is shown twice.
        self.host.data.read(read, self._listen, on_error=self._spool_unread)

    def _spool_unread(self, error: BaseException) -> None:
        if not isinstance(error, OSError | StoreError):
            raise error
        self.host.notify(
            f"Could not read the calls missed while calldesk was closed: {error}",
            severity="warning",
        )
        self._listen(Backlog([], [], set()))

    def _listen(self, backlog: Backlog) -> None:
        """Show the pops calldesk could not show before, then listen for new ones."""
        from calldesk.core.phone.baresip import BaresipFollower, parse_hostport
        from calldesk.core.phone.channel import SocketError, SocketInUse, socket_path
        from calldesk.core.phone.server import EventServer
        from calldesk.core.phone.spool import pending_file_path
        from calldesk.paths import runtime_dir

        if self._stopped:
            return  # the app closed while the spool was read
        self._handled.update(backlog.handled)
        closed: list[PhoneEvent] = []
        not_shown: list[PhoneEvent] = list(backlog.taken)
        for spooled in backlog.kept:
            (closed if spooled.while_closed else not_shown).append(spooled.event)
        fresh = {
            event.id: event for event in [*closed, *not_shown] if event.id not in self._handled
        }
        self._handled.update(fresh)
        self._show_backlog(
            [event for event in closed if event.id in fresh],
            "Missed while calldesk was closed",
        )
        self._show_backlog(
            [event for event in not_shown if event.id in fresh],
            "Rang while calldesk was busy or closing",
        )
        if fresh and self.journal is not None:
            self._mark_handled(list(fresh))

        def on_event(event: PhoneEvent) -> None:
            self.host.call_from_thread(self.event, event)

        def on_spooled(spooled: Spooled) -> None:
            self.host.call_from_thread(self.kept_event, spooled.event)

        self.server = EventServer(
            socket_path(runtime_dir(self.host.settings.data_dir)),
            on_event,
            journal=self.journal,
            spool=pending_file_path(self.host.settings.data_dir),
            on_spooled=on_spooled,
        )
        try:
            self.server.start()
        except SocketInUse as error:
            self.server = None
            self.host.notify(
                f"Phone hooks cannot reach this window: {error}",
                title="Softphone",
                severity="warning",
            )
        except SocketError as error:
            # Hooks then say "not running" and keep their events in the spool: take them
            # from there while calldesk runs, as softphones.md promises, a moment late.
            self.server.start_spool_only()
            self.host.notify(
                f"Phone hooks cannot reach this window: {error} Until then calldesk takes"
                " the calls hooks keep, within a second.",
                title="Softphone",
                severity="warning",
                timeout=30,
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

    def _show_backlog(self, events: list[PhoneEvent], title: str) -> None:
        """One notice listing the rings among `events`, with when each rang."""
        rings = [event for event in events if event.kind == "ring"]
        if rings:
            lines = [f"{event.at.astimezone():%H:%M} {phone_caller(event)}" for event in rings[-5:]]
            self.host.notify("\n".join(lines), title=f"{title} ({len(rings)})", timeout=30)

    def _mark_handled(self, ids: list[str]) -> None:
        """Write down, behind the queued writes, that these events were shown."""
        journal = self.journal
        assert journal is not None

        def write() -> None:
            with contextlib.suppress(OSError):  # shown twice at worst, never lost
                journal.handled(ids)

        self.host.data.read(write, lambda _: None)

    def _phone_linked(self, up: bool) -> None:
        self.host.phone_link = "☎ baresip" if up else "☎ baresip down"

    async def event(self, event: PhoneEvent) -> None:
        """What the phone says happens to the call record; the agent's own calls are left alone."""
        from calldesk.core.calls.phone_link import PhoneAction
        from calldesk.tui.phone_notices import tell

        if event.id in self._handled:
            return
        self._handled.add(event.id)
        if event.call_id:
            last = self._last_seen.get(event.call_id)
            self._last_seen[event.call_id] = max(last, event.at) if last else event.at
        if self.host.read_only_reason:
            return
        outcome = self.host.desk.phone.on_event(
            event, self.host.settings.softphone.start_on, agent_busy=self._agent_busy()
        )
        caller = phone_caller(event)
        action = outcome.action
        if action is PhoneAction.STARTED:
            await self._show_phone_call()
        elif action is PhoneAction.MISSED and outcome.call is not None:
            await self._missed(outcome.call, outcome.started)
        elif action is PhoneAction.ENDED and outcome.call is not None:
            await desk_in_front(self.host)
            await self.open_answered()
            self.host.start_after_call(outcome.call)
        else:
            tell(self.host, action, event, caller)  # a notice; no screen changes

    async def open_answered(self) -> None:
        """A held record was ended: the call answered meanwhile gets its record now."""
        if self.host.desk.phone.open_answered() is not None:
            await self._show_phone_call()

    async def kept_event(self, event: PhoneEvent) -> None:
        """An event a hook kept while calldesk was busy, taken from the spool a moment late.

        Handled as if live, unless the phone already said something later about the same
        call (the answer came over the socket before the kept ring): then it is only told.
        """
        last = self._last_seen.get(event.call_id) if event.call_id else None
        if event.id in self._handled or last is None or last <= event.at:
            await self.event(event)
            return
        self._handled.add(event.id)
        if event.kind == "ring":
            self.host.notify(
                f"{event.at.astimezone():%H:%M:%S} {phone_caller(event)}\n"
                "calldesk got this ring after the call's later events.",
                title="Ringing (late)",
                timeout=10,
            )

    def _agent_busy(self) -> bool:
        """The agent is typing (a draft, or a key in the last moments), or using a screen or
        dialog over the desk.

        Phone events never close what the agent is using, nor put a question over their
        typing (the keys would answer it): what they need to show waits until it closes.
        """
        from calldesk.tui.screens.desk import DeskScreen
        from calldesk.tui.widgets.note_input import NoteInput

        if not isinstance(self.host.screen, DeskScreen):
            return True
        if self.host.typed_within(TYPING_PAUSE):
            return True  # between two notes: the next key would answer the question
        note = self.host.desk_widget(NoteInput)
        return note is not None and bool(note.true_text.strip())

    async def _make_way(self) -> bool:
        """Close the break for a call that came in; leave any other screen the agent is using.

        True when the desk is on screen. A running break counts as taken; one not started yet
        is kept and comes back after the call. Answers given so far are never dropped.
        """
        from calldesk.core.aftercall.cooldown import Phase
        from calldesk.tui.screens.cooldown import CooldownScreen
        from calldesk.tui.screens.desk import DeskScreen

        host = self.host
        stack = host.screen_stack
        desk = next((i for i, screen in enumerate(stack) if isinstance(screen, DeskScreen)), None)
        if desk is None or desk == len(stack) - 1:
            return desk is not None
        taking_break = stack[desk + 1]
        if not isinstance(taking_break, CooldownScreen):
            return False
        if taking_break.state.state is Phase.RUNNING:
            taking_break.interrupt()
        else:
            host.notify("The break waits: it comes back after this call.", timeout=8)
        while not isinstance(host.screen, DeskScreen):
            await host.screen.dismiss(None)
        return True

    async def _show_phone_call(self) -> None:
        """Bring the record the phone opened to the screen, with what calldesk knows."""
        call = self.host.desk.call
        if call is None:
            return
        shown = await self._make_way()
        self.host.show_call()
        self.host.refresh_bindings()
        title = "Ringing" if self.host.desk.is_ringing(call) else "Answered"
        if shown:
            self.host.notify(display_caller_safe(call), title=title, timeout=5)
        else:
            self.host.notify(
                f"{display_caller_safe(call)}\nIts call record is open under this screen:"
                " it shows when you close this one.",
                title=title,
                timeout=15,
            )
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
        if self.journal is not None:
            self.journal.close()
