"""The app's side of the socket: serve hooks' events, one JSON line each, on threads of its own.

`EventServer` ties three parts together, one job each: the socket file (`listener.py`), the
connected hooks (`connections.py`) and the way of an event to the app (`delivery.py`).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calldesk.core.phone.channel import CLIENT_TIMEOUT, FIRST_BYTE_TIMEOUT, MAX_CLIENTS
from calldesk.core.phone.connections import Client, Connections
from calldesk.core.phone.delivery import Delivery
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.phone.journal import EventJournal
from calldesk.core.phone.listener import Listener
from calldesk.core.phone.spool import Spooled

SPOOL_POLL = 0.5
"""Seconds between looks at the spool while serving: a hook that gave up waiting keeps its
event there, and the running app takes it from there at most this much later."""


def _logger() -> Any:
    # logging costs a few milliseconds to import; hooks never need it.
    import logging

    return logging.getLogger(__name__)


class EventServer:
    """Serves the event socket: one JSON request per line, one JSON reply per line.

    Request `{"v":1,"event":{...}}` (the event as `PhoneEvent.to_dict`); reply `{"ok":true}`
    once the event is validated, written to `journal` (flushed to the disk) and queued, else
    `{"ok":false,"error":"..."}`. Events arriving together are written with one flush. If the
    journal cannot be written the event is still queued, but the reply is an error, so the
    hook keeps its own copy too (the app drops the second one by id). `on_event` is called on
    a thread of the server's own, one event at a time in arrival order, so a slow callback
    never makes a hook wait; it must not block on the thread that calls `stop()`. When it
    returns, the event is marked handled in the journal.

    With `spool` and `on_spooled`, the server also takes what hooks kept in the spool while it
    runs (every `spool_poll` seconds, a stat when there is nothing) and hands each kept event
    to `on_spooled` on the same thread, in the same order as live ones, marked handled after.

    The folder is made 0700 and must belong to this user; the socket is 0600; clients of
    another user are refused (SO_PEERCRED where the system has it). Lines longer than
    `MAX_LINE`, garbage and silent clients (after `first_byte_timeout` if they send nothing,
    `client_timeout` in all) are handled without disturbing other clients; when
    `max_clients` are connected, the oldest one still waiting for its request is let go to
    make room, so idle connections cannot lock hooks out. `start()` replaces a stale socket
    left by a crash and raises `SocketInUse` if another calldesk is serving.
    """

    def __init__(
        self,
        path: Path,
        on_event: Callable[[PhoneEvent], None],
        *,
        client_timeout: float = CLIENT_TIMEOUT,
        first_byte_timeout: float = FIRST_BYTE_TIMEOUT,
        max_clients: int = MAX_CLIENTS,
        journal: EventJournal | None = None,
        spool: Path | None = None,
        on_spooled: Callable[[Spooled], None] | None = None,
        spool_poll: float = SPOOL_POLL,
    ) -> None:
        self.path = Path(path)
        self._listener = Listener(self.path, max_clients)
        self._delivery = Delivery(on_event, journal, on_spooled)
        self._client_timeout = client_timeout
        self._first_byte_timeout = min(first_byte_timeout, client_timeout)
        self._max_clients = max_clients
        self._spool = spool if on_spooled is not None else None
        self._spool_poll = spool_poll
        self._next_look = 0.0
        self._taken: list[tuple[Client, PhoneEvent]] = []
        """Events accepted in this round of the loop, to be written with one flush."""
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = threading.Event()
        self._serve_thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._serve_thread is not None and self._serve_thread.is_alive()

    def start(self) -> None:
        """Bind the socket and start serving; raises SocketError (or a subclass) if it cannot."""
        if self._serve_thread is not None:
            raise RuntimeError("the event server was already started")
        self._listener.open()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping.clear()
        self._serve_thread = threading.Thread(
            target=self._serve, name="calldesk-event-socket", daemon=True
        )
        self._delivery.start()
        self._serve_thread.start()

    def start_spool_only(self) -> None:
        """Take only what hooks keep in the spool (every `spool_poll` seconds), no socket.

        For when the socket cannot be served (its folder cannot be made): every hook then says
        "not running" and keeps its event, and the app still shows it a moment later.
        """
        if self._serve_thread is not None:
            raise RuntimeError("the event server was already started")
        if self._spool is None:
            return
        self._stopping.clear()
        self._serve_thread = threading.Thread(
            target=self._serve_spool, name="calldesk-event-spool", daemon=True
        )
        self._delivery.start()
        self._serve_thread.start()

    def _serve_spool(self) -> None:
        assert self._spool is not None
        try:
            while not self._stopping.is_set():
                self._delivery.take_spool(self._spool)
                self._stopping.wait(self._spool_poll)
        except Exception:  # a bug must not kill the app silently
            _logger().exception("reading the phone spool stopped after an error")

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, remove the socket, and deliver events already accepted.

        Waits at most `timeout` seconds for each server thread, so a callback stuck on the
        caller's thread cannot hang shutdown.
        """
        if self._serve_thread is None:
            return
        self._stopping.set()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        self._serve_thread.join(timeout)
        self._delivery.stop(timeout)
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None
        self._serve_thread = None

    def __enter__(self) -> EventServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self) -> None:
        assert self._listener.sock is not None and self._wake_r is not None
        connections = Connections(
            self._listener.sock,
            self._wake_r,
            self._take,
            client_timeout=self._client_timeout,
            first_byte_timeout=self._first_byte_timeout,
            max_clients=self._max_clients,
        )
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                if self._spool is not None:
                    if now >= self._next_look:
                        self._delivery.take_spool(self._spool)
                        self._next_look = now + self._spool_poll
                    wait_until = self._next_look
                else:
                    wait_until = now + 60
                wait = connections.next_deadline(default=wait_until) - now
                connections.poll(min(wait, wait_until - now))
                if self._taken:
                    self._commit(connections)
                connections.drop_late(time.monotonic())
        except Exception:  # a server bug must not kill the app silently
            _logger().exception("the softphone event socket stopped after an error")
        finally:
            connections.close()
            self._listener.close()

    def _take(self, client: Client, event: PhoneEvent) -> None:
        self._taken.append((client, event))

    def _commit(self, connections: Connections) -> None:
        """Write this round's events to the journal, queue them, then reply to their clients.

        Replies to one client keep the order of its requests: an error found while parsing a
        later line may be in its outbox already, so a client sending several events on one
        connection should wait for each reply (the hook sends one).
        """
        taken, self._taken = self._taken, []
        answer = self._delivery.keep([event for _, event in taken])
        for client, event in taken:
            self._delivery.put(event)
            client.waiting -= 1
            if connections.connected(client):
                connections.reply(client, answer)
        for client in {id(client): client for client, _ in taken}.values():
            if connections.connected(client):
                connections.flush(client)
