"""The app's side of the socket: serve hooks' events, one JSON line each, on threads of its own."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import selectors
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calldesk.core.phone.channel import (
    CLIENT_TIMEOUT,
    FIRST_BYTE_TIMEOUT,
    MAX_CLIENTS,
    PROTOCOL_VERSION,
    SocketError,
    SocketInUse,
    prepare_folder,
    sun_path,
    take_lock,
)
from calldesk.core.phone.events import MAX_LINE, PhoneEvent
from calldesk.core.phone.journal import EventJournal
from calldesk.core.phone.spool import Spooled, read_spooled, spool_waiting

SPOOL_POLL = 0.5
"""Seconds between looks at the spool while serving: a hook that gave up waiting keeps its
event there, and the running app takes it from there at most this much later."""


def _logger() -> Any:
    # logging costs a few milliseconds to import; hooks never need it.
    import logging

    return logging.getLogger(__name__)


@dataclass(slots=True)
class _Client:
    sock: socket.socket
    started: float
    deadline: float
    inbox: bytearray
    outbox: bytearray
    closing: bool = False
    heard: bool = False
    """The client has sent at least one byte."""
    waiting: int = 0
    """Its events being written to the journal, whose replies are still to come."""

    @property
    def idle(self) -> bool:
        """Still waiting for its request: no reply owed, none being written."""
        return not self.closing and not self.outbox and not self.waiting


_STOP = object()


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
        self._on_event = on_event
        self._client_timeout = client_timeout
        self._first_byte_timeout = min(first_byte_timeout, client_timeout)
        self._max_clients = max_clients
        self._journal = journal
        self._spool = spool
        self._on_spooled = on_spooled
        self._spool_poll = spool_poll
        self._next_look = 0.0
        self._taken: list[tuple[_Client, PhoneEvent]] = []
        """Events accepted in this round of the loop, to be written with one flush."""
        self._listener: socket.socket | None = None
        self._lock_fd: int | None = None
        self._identity: tuple[int, int] | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._queue: queue.Queue[object] = queue.Queue()
        self._stopping = threading.Event()
        self._serve_thread: threading.Thread | None = None
        self._dispatch_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._serve_thread is not None and self._serve_thread.is_alive()

    def start(self) -> None:
        """Bind the socket and start serving; raises SocketError (or a subclass) if it cannot."""
        if self._serve_thread is not None:
            raise RuntimeError("the event server was already started")
        if not hasattr(socket, "AF_UNIX"):
            raise SocketError(
                "This Python has no Unix sockets, so softphone hooks cannot reach it."
            )
        sun_path(self.path)  # refuse a path the kernel cannot take before creating folders
        prepare_folder(self.path.parent)
        self._lock_fd = take_lock(self.path)
        try:
            self._listener = self._bind()
        except BaseException:
            self._release_lock()
            raise
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping.clear()
        self._serve_thread = threading.Thread(
            target=self._serve, name="calldesk-event-socket", daemon=True
        )
        self._dispatch_thread = threading.Thread(
            target=self._dispatch, name="calldesk-event-dispatch", daemon=True
        )
        self._dispatch_thread.start()
        self._serve_thread.start()

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
        self._queue.put(_STOP)
        if self._dispatch_thread is not None:
            self._dispatch_thread.join(timeout)
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None
        self._serve_thread = self._dispatch_thread = None
        self._queue = queue.Queue()

    def __enter__(self) -> EventServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None

    def _bind(self) -> socket.socket:
        address = sun_path(self.path)
        if os.path.lexists(self.path):
            self._remove_stale(address)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(address)
            # bind() honours the umask; the folder is private anyway, but be exact.
            os.chmod(address, 0o600)
            info = os.stat(address)
            self._identity = (info.st_dev, info.st_ino)
            listener.listen(self._max_clients)
            listener.setblocking(False)
        except OSError as error:
            listener.close()
            raise SocketError(f"Cannot serve {self.path}: {error.strerror or error}.") from error
        return listener

    def _remove_stale(self, address: str) -> None:
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise SocketError(
                f"{self.path} exists and is not a socket. Remove it, then start calldesk again."
            )
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(0.5)
        try:
            probe.connect(address)
        except (ConnectionRefusedError, FileNotFoundError):
            pass  # nobody listens: a crashed calldesk left it behind
        except OSError as error:
            raise SocketInUse(
                f"Something still answers on {self.path} ({error.strerror or error})."
            ) from error
        else:
            raise SocketInUse(
                f"Another program is serving {self.path}. Close it, then start calldesk again."
            )
        finally:
            probe.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    # -- serving -----------------------------------------------------------------------------

    def _serve(self) -> None:
        assert self._listener is not None and self._wake_r is not None
        selector = selectors.DefaultSelector()
        selector.register(self._listener, selectors.EVENT_READ, None)
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        clients: dict[socket.socket, _Client] = {}
        try:
            while not self._stopping.is_set():
                now = time.monotonic()
                if self._spool is not None and self._on_spooled is not None:
                    if now >= self._next_look:
                        self._look_at_spool()
                        self._next_look = now + self._spool_poll
                    wait_until = self._next_look
                else:
                    wait_until = now + 60
                deadlines = (c.deadline for c in clients.values())
                wait = min(deadlines, default=wait_until) - now
                wait = min(wait, wait_until - now)
                for key, mask in selector.select(max(wait, 0)):
                    sock = key.fileobj
                    if sock is self._wake_r:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(64)
                    elif sock is self._listener:
                        self._accept(selector, clients)
                    elif isinstance(sock, socket.socket) and sock in clients:
                        self._service(selector, clients, clients[sock], mask)
                if self._taken:
                    self._commit(selector, clients)
                now = time.monotonic()
                for client in [c for c in clients.values() if c.deadline <= now]:
                    self._drop(selector, clients, client)
        except Exception:  # a server bug must not kill the app silently
            _logger().exception("the softphone event socket stopped after an error")
        finally:
            for client in list(clients.values()):
                self._drop(selector, clients, client)
            selector.close()
            self._close_listener()

    def _look_at_spool(self) -> None:
        assert self._spool is not None
        if not spool_waiting(self._spool):
            return
        journal = self._journal

        def write_down(kept: list[Spooled]) -> None:
            # Taken from the spool means the app answers for them: a quit before they are
            # handled must leave them for the next start, as for events taken live.
            if journal is not None:
                try:
                    journal.keep([spooled.event for spooled in kept])
                except OSError as error:  # handled now all the same: never stuck in the spool
                    _logger().warning("cannot write the phone journal: %s", error)

        try:
            kept = read_spooled(self._spool, write_down)
        except OSError as error:
            _logger().warning("cannot read the phone spool: %s", error)
            return
        for spooled in kept:
            self._queue.put(spooled)

    def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        # Only remove the socket if it is still ours: a newer calldesk may have replaced it.
        with contextlib.suppress(OSError):
            info = os.lstat(self.path)
            if (info.st_dev, info.st_ino) == self._identity:
                os.unlink(self.path)
        self._release_lock()

    def _accept(
        self, selector: selectors.BaseSelector, clients: dict[socket.socket, _Client]
    ) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                if error.errno != errno.ECONNABORTED:
                    _logger().warning("cannot accept a softphone client: %s", error)
                    return
                continue
            if not self._same_user(sock) or not self._make_room(selector, clients):
                sock.close()
                continue
            sock.setblocking(False)
            now = time.monotonic()
            client = _Client(sock, now, now + self._first_byte_timeout, bytearray(), bytearray())
            clients[sock] = client
            selector.register(sock, selectors.EVENT_READ, None)

    def _make_room(
        self, selector: selectors.BaseSelector, clients: dict[socket.socket, _Client]
    ) -> bool:
        """Whether a new client fits, letting the oldest idle one go if all places are taken."""
        if len(clients) < self._max_clients:
            return True
        idle = [client for client in clients.values() if client.idle]
        if not idle:
            return False
        self._drop(selector, clients, min(idle, key=lambda client: client.started))
        return True

    @staticmethod
    def _same_user(sock: socket.socket) -> bool:
        option = getattr(socket, "SO_PEERCRED", None)
        if option is None:
            return True  # the 0700 folder is the guard on systems without SO_PEERCRED
        try:
            credentials = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
        except OSError:
            return False
        _pid, uid, _gid = struct.unpack("3i", credentials)
        return uid == os.getuid()

    def _service(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, _Client],
        client: _Client,
        mask: int,
    ) -> None:
        if mask & selectors.EVENT_READ and not client.closing:
            try:
                data = client.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                self._drop(selector, clients, client)
                return
            if data == b"":
                client.closing = True  # the client is done sending; flush replies, then close
            elif data:
                if not client.heard:
                    client.heard = True
                    client.deadline = client.started + self._client_timeout
                client.inbox += data
                self._answer_lines(client)
        self._flush(selector, clients, client)

    def _answer_lines(self, client: _Client) -> None:
        while (newline := client.inbox.find(b"\n")) >= 0:
            line = bytes(client.inbox[:newline])
            del client.inbox[: newline + 1]
            if len(line) > MAX_LINE:
                self._reply(client, {"ok": False, "error": "request too long"})
                client.closing = True
                return
            if line.strip():
                answer = self._handle_line(line)
                if isinstance(answer, PhoneEvent):
                    self._taken.append((client, answer))
                    client.waiting += 1
                else:
                    self._reply(client, answer)
        if len(client.inbox) > MAX_LINE:
            self._reply(client, {"ok": False, "error": "request too long"})
            client.inbox.clear()
            client.closing = True

    def _reply(self, client: _Client, answer: dict[str, object]) -> None:
        client.outbox += (json.dumps(answer, separators=(",", ":")) + "\n").encode()
        if len(client.outbox) > MAX_LINE:
            client.closing = True  # a client that sends but never reads gets no more

    def _handle_line(self, line: bytes) -> dict[str, object] | PhoneEvent:
        try:
            request = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            return {"ok": False, "error": "request is not UTF-8"}
        except (ValueError, RecursionError):
            return {"ok": False, "error": "request is not JSON"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "request must be a JSON object"}
        version = request.get("v")
        if type(version) is not int or version != PROTOCOL_VERSION:
            return {
                "ok": False,
                "error": f"unsupported protocol version (this is {PROTOCOL_VERSION})",
            }
        try:
            event = PhoneEvent.from_dict(request.get("event"))
        except (ValueError, TypeError) as error:
            return {"ok": False, "error": str(error)}
        return event

    def _commit(
        self, selector: selectors.BaseSelector, clients: dict[socket.socket, _Client]
    ) -> None:
        """Write this round's events to the journal, queue them, then reply to their clients.

        Replies to one client keep the order of its requests: an error found while parsing a
        later line may be in its outbox already, so a client sending several events on one
        connection should wait for each reply (the hook sends one).
        """
        taken, self._taken = self._taken, []
        answer: dict[str, object] = {"ok": True}
        if self._journal is not None:
            try:
                self._journal.keep([event for _, event in taken])
            except OSError as error:
                _logger().warning("cannot write the phone journal: %s", error)
                answer = {
                    "ok": False,
                    "error": f"calldesk could not keep the event: {error.strerror or error}",
                }
        for client, event in taken:
            self._queue.put(event)
            client.waiting -= 1
            if client.sock in clients:
                self._reply(client, answer)
        for client in {id(client): client for client, _ in taken}.values():
            if client.sock in clients:
                self._flush(selector, clients, client)

    def _flush(
        self,
        selector: selectors.BaseSelector,
        clients: dict[socket.socket, _Client],
        client: _Client,
    ) -> None:
        if client.outbox:
            try:
                sent = client.sock.send(client.outbox)
                del client.outbox[:sent]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._drop(selector, clients, client)
                return
        if client.closing:
            if client.waiting:
                return  # its events are being written; `_commit` replies, then closes it
            if not client.outbox or len(client.outbox) > MAX_LINE:
                self._drop(selector, clients, client)
            else:
                # Reading stops here: a client still sending would keep the socket readable.
                selector.modify(client.sock, selectors.EVENT_WRITE, None)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        selector.modify(client.sock, events, None)

    @staticmethod
    def _drop(
        selector: selectors.BaseSelector, clients: dict[socket.socket, _Client], client: _Client
    ) -> None:
        if clients.pop(client.sock, None) is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            selector.unregister(client.sock)
        # Closing with unread bytes makes the peer's next read fail with ECONNRESET instead of a
        # clean end, so read what already arrived (bounded) before closing.
        with contextlib.suppress(OSError):
            client.sock.setblocking(False)
            for _ in range(64):
                if not client.sock.recv(65536):
                    break
        client.sock.close()

    def _dispatch(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                if isinstance(item, Spooled):
                    assert self._on_spooled is not None
                    self._on_spooled(item)
                    event = item.event
                else:
                    assert isinstance(item, PhoneEvent)
                    self._on_event(item)
                    event = item
            except Exception:  # one bad callback must not stop later events
                _logger().exception("the softphone event callback failed")
                continue  # not handled: the next start shows it
            if self._journal is not None:
                try:
                    self._journal.handled([event.id])
                except OSError as error:
                    _logger().warning("cannot mark a phone event handled: %s", error)
