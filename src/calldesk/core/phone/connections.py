"""The hooks connected to the app's socket: accepted from this user only, read a line at a
time, answered, and let go when silent, too long, or when room is needed."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import selectors
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from calldesk.core.phone.channel import PROTOCOL_VERSION
from calldesk.core.phone.events import MAX_LINE, PhoneEvent


def _logger() -> Any:
    # logging costs a few milliseconds to import; hooks never need it.
    import logging

    return logging.getLogger(__name__)


@dataclass(slots=True)
class Client:
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


def read_request(line: bytes) -> dict[str, object] | PhoneEvent:
    """The event a request line carries, or the error reply it gets."""
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


class Connections:
    """The clients of `listener`, watched with one selector (with `wake`, to stop waiting).

    Each valid request goes to `on_request(client, event)`, which owes it a `reply`; errors
    are answered here. Lines longer than `MAX_LINE`, garbage and silent clients (after
    `first_byte_timeout` if they send nothing, `client_timeout` in all) are handled without
    disturbing other clients; with `max_clients` connected, the oldest one still waiting for
    its request is let go to make room.
    """

    def __init__(
        self,
        listener: socket.socket,
        wake: socket.socket,
        on_request: Callable[[Client, PhoneEvent], None],
        *,
        client_timeout: float,
        first_byte_timeout: float,
        max_clients: int,
    ) -> None:
        self._listener = listener
        self._wake = wake
        self._on_request = on_request
        self._client_timeout = client_timeout
        self._first_byte_timeout = first_byte_timeout
        self._max_clients = max_clients
        self._clients: dict[socket.socket, Client] = {}
        self._selector = selectors.DefaultSelector()
        self._selector.register(listener, selectors.EVENT_READ, None)
        self._selector.register(wake, selectors.EVENT_READ, None)

    def next_deadline(self, default: float) -> float:
        return min((c.deadline for c in self._clients.values()), default=default)

    def poll(self, wait: float) -> None:
        """Wait at most `wait` seconds, then accept, read and write what is ready."""
        for key, mask in self._selector.select(max(wait, 0)):
            sock = key.fileobj
            if sock is self._wake:
                with contextlib.suppress(OSError):
                    self._wake.recv(64)
            elif sock is self._listener:
                self._accept()
            elif isinstance(sock, socket.socket) and sock in self._clients:
                self._service(self._clients[sock], mask)

    def drop_late(self, now: float) -> None:
        for client in [c for c in self._clients.values() if c.deadline <= now]:
            self._drop(client)

    def close(self) -> None:
        for client in list(self._clients.values()):
            self._drop(client)
        self._selector.close()

    def connected(self, client: Client) -> bool:
        return client.sock in self._clients

    def _accept(self) -> None:
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
            if not self._same_user(sock) or not self._make_room():
                sock.close()
                continue
            sock.setblocking(False)
            now = time.monotonic()
            client = Client(sock, now, now + self._first_byte_timeout, bytearray(), bytearray())
            self._clients[sock] = client
            self._selector.register(sock, selectors.EVENT_READ, None)

    def _make_room(self) -> bool:
        """Whether a new client fits, letting the oldest idle one go if all places are taken."""
        if len(self._clients) < self._max_clients:
            return True
        idle = [client for client in self._clients.values() if client.idle]
        if not idle:
            return False
        self._drop(min(idle, key=lambda client: client.started))
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

    def _service(self, client: Client, mask: int) -> None:
        if mask & selectors.EVENT_READ and not client.closing:
            try:
                data = client.sock.recv(4096)
            except (BlockingIOError, InterruptedError):
                data = None
            except OSError:
                self._drop(client)
                return
            if data == b"":
                client.closing = True  # the client is done sending; flush replies, then close
            elif data:
                if not client.heard:
                    client.heard = True
                    client.deadline = client.started + self._client_timeout
                client.inbox += data
                self._answer_lines(client)
        self.flush(client)

    def _answer_lines(self, client: Client) -> None:
        while (newline := client.inbox.find(b"\n")) >= 0:
            line = bytes(client.inbox[:newline])
            del client.inbox[: newline + 1]
            if len(line) > MAX_LINE:
                self.reply(client, {"ok": False, "error": "request too long"})
                client.closing = True
                return
            if line.strip():
                answer = read_request(line)
                if isinstance(answer, PhoneEvent):
                    self._on_request(client, answer)
                    client.waiting += 1
                else:
                    self.reply(client, answer)
        if len(client.inbox) > MAX_LINE:
            self.reply(client, {"ok": False, "error": "request too long"})
            client.inbox.clear()
            client.closing = True

    def reply(self, client: Client, answer: dict[str, object]) -> None:
        client.outbox += (json.dumps(answer, separators=(",", ":")) + "\n").encode()
        if len(client.outbox) > MAX_LINE:
            client.closing = True  # a client that sends but never reads gets no more

    def flush(self, client: Client) -> None:
        """Send what `client` is owed; close it once it is done and owed nothing more."""
        if client.outbox:
            try:
                sent = client.sock.send(client.outbox)
                del client.outbox[:sent]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._drop(client)
                return
        if client.closing:
            if client.waiting:
                return  # its events are being written; the server replies, then closes it
            if not client.outbox or len(client.outbox) > MAX_LINE:
                self._drop(client)
            else:
                # Reading stops here: a client still sending would keep the socket readable.
                self._selector.modify(client.sock, selectors.EVENT_WRITE, None)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.outbox else 0)
        self._selector.modify(client.sock, events, None)

    def _drop(self, client: Client) -> None:
        if self._clients.pop(client.sock, None) is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(client.sock)
        # Closing with unread bytes makes the peer's next read fail with ECONNRESET instead of a
        # clean end, so read what already arrived (bounded) before closing.
        with contextlib.suppress(OSError):
            client.sock.setblocking(False)
            for _ in range(64):
                if not client.sock.recv(65536):
                    break
        client.sock.close()
