"""Following baresip: its ctrl_tcp netstrings, turned into PhoneEvents on a thread of its own."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from calldesk.core.phone.events import EventKind, PhoneEvent, parse_caller


def _logger() -> Any:
    # logging costs a few milliseconds to import; hooks never need it.
    import logging

    return logging.getLogger(__name__)


class NetstringError(ValueError):
    """The byte stream is not valid netstring framing; the connection cannot be trusted."""


MAX_NETSTRING = 256 * 1024
"""Largest frame accepted from baresip; its events are well under 4 KiB."""


def encode_netstring(payload: bytes) -> bytes:
    """`<len>:<payload>,` as baresip's ctrl_tcp expects commands."""
    return f"{len(payload)}:".encode() + payload + b","


class NetstringDecoder:
    """Incremental netstring decoder: feed bytes as they arrive, get whole payloads back.

    A bad length, a frame over `max_size` or a missing comma raises NetstringError at once
    (without waiting for the rest of a huge frame). After an error the stream has no safe
    point to resync from, so the decoder refuses further input until `reset()`; the follower
    drops the connection and reconnects instead.
    """

    def __init__(self, max_size: int = MAX_NETSTRING) -> None:
        self.max_size = max_size
        self._digits = len(str(max_size))
        self._buffer = bytearray()
        self._broken: str | None = None

    def reset(self) -> None:
        self._buffer.clear()
        self._broken = None

    def feed(self, data: bytes) -> list[bytes]:
        if self._broken is not None:
            raise NetstringError(f"decoder is stopped after an error: {self._broken}")
        self._buffer += data
        frames: list[bytes] = []
        try:
            while self._buffer:
                frame = self._next_frame()
                if frame is None:
                    break
                frames.append(frame)
        except NetstringError as error:
            self._broken = str(error)
            self._buffer.clear()
            raise
        return frames

    def _next_frame(self) -> bytes | None:
        colon = self._buffer.find(b":", 0, self._digits + 1)
        if colon < 0:
            head = bytes(self._buffer[: self._digits + 1])
            if not head.isdigit() or len(head) > self._digits:
                raise NetstringError(f"bad netstring length {head[:20]!r}")
            return None  # the length is still arriving
        head = bytes(self._buffer[:colon])
        if not head.isdigit() or (len(head) > 1 and head.startswith(b"0")):
            raise NetstringError(f"bad netstring length {head[:20]!r}")
        size = int(head)
        if size > self.max_size:
            raise NetstringError(f"netstring of {size} bytes is over the {self.max_size} limit")
        end = colon + 1 + size
        if len(self._buffer) <= end:
            return None
        if self._buffer[end] != ord(","):
            raise NetstringError("netstring does not end with a comma")
        payload = bytes(self._buffer[colon + 1 : end])
        del self._buffer[: end + 1]
        return payload


_BARESIP_KINDS: dict[str, EventKind] = {
    "CALL_INCOMING": "ring",
    "CALL_ESTABLISHED": "answer",
    "CALL_CLOSED": "hangup",
}


def parse_baresip_event(obj: object, at: datetime | None = None) -> PhoneEvent | None:
    """The PhoneEvent for one ctrl_tcp message, or None for anything calldesk does not follow.

    Followed: incoming calls' CALL_INCOMING (ring), CALL_ESTABLISHED (answer) and CALL_CLOSED
    (hangup). Ignored: command responses, other classes and types (REGISTER_OK, CALL_RTCP...),
    and the agent's own outgoing calls.
    """
    if not isinstance(obj, dict) or obj.get("event") is not True:
        return None
    if obj.get("class") != "call" or obj.get("direction") == "outgoing":
        return None
    event_type = obj.get("type")
    kind = _BARESIP_KINDS.get(event_type) if isinstance(event_type, str) else None
    if kind is None:
        return None

    def text(key: str) -> str:
        value = obj.get(key)
        return value if isinstance(value, str) else ""

    number, name = parse_caller(text("peeruri"), text("peerdisplayname"))
    return PhoneEvent(kind, number, name, text("id"), at or datetime.now(UTC), "baresip")


def parse_hostport(text: str, default_host: str = "127.0.0.1") -> tuple[str, int]:
    """("127.0.0.1", 4444) from "127.0.0.1:4444", ":4444" or "[::1]:4444"; ValueError if bad."""
    value = text.strip()
    host, colon, port_text = value.rpartition(":")
    if not colon or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"expected host:port such as 127.0.0.1:4444, not {text!r}")
    host = host.strip("[]") or default_host
    return host, int(port_text)


class BaresipFollower:
    """Follows baresip's ctrl_tcp and turns its call events into PhoneEvents.

    Runs on a thread of its own: `on_event` and `on_link` are called from it. `on_link(True)`
    when connected, `on_link(False)` when the link drops or the first attempt fails (only on
    changes after that). Reconnects with a doubling delay from `retry_min` to `retry_max`
    seconds, so a restarted baresip is picked up again. baresip 1.0 serves one ctrl_tcp
    connection at a time: another client connecting takes the link over.
    """

    def __init__(
        self,
        host: str,
        port: int,
        on_event: Callable[[PhoneEvent], None],
        on_link: Callable[[bool], None],
        *,
        retry_min: float = 1.0,
        retry_max: float = 10.0,
        connect_timeout: float = 2.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._on_event = on_event
        self._on_link = on_link
        self._retry_min = retry_min
        self._retry_max = retry_max
        self._connect_timeout = connect_timeout
        self._now = clock or (lambda: datetime.now(UTC))
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._link: bool | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None

    @property
    def linked(self) -> bool:
        return bool(self._link)

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the baresip follower was already started")
        self._stopping.clear()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="calldesk-baresip", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is None:
            return
        self._stopping.set()
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")
        self._thread.join(timeout)
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None
        self._thread = None

    def __enter__(self) -> BaresipFollower:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _set_link(self, up: bool) -> None:
        if self._link is up:
            return
        self._link = up
        try:
            self._on_link(up)
        except Exception:  # the app's callback must not end the follower
            _logger().exception("the baresip link callback failed")

    def _run(self) -> None:
        delay = self._retry_min
        while not self._stopping.is_set():
            try:
                sock = socket.create_connection(
                    (self.host, self.port), timeout=self._connect_timeout
                )
            except OSError:
                self._set_link(False)
            else:
                self._set_link(True)
                delay = self._retry_min
                with sock:
                    self._follow(sock)
                self._set_link(False)
            if self._stopping.wait(delay):
                break
            delay = min(delay * 2, self._retry_max)
        if self._link:
            self._set_link(False)

    def _follow(self, sock: socket.socket) -> None:
        assert self._wake_r is not None
        sock.setblocking(False)
        decoder = NetstringDecoder()
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                    try:
                        data = sock.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except OSError:
                        return
                    if not data:
                        return
                    try:
                        frames = decoder.feed(data)
                    except NetstringError as error:
                        _logger().warning("dropping the baresip link: %s", error)
                        return
                    for frame in frames:
                        self._handle_frame(frame)

    def _handle_frame(self, frame: bytes) -> None:
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError):
            return  # one bad message is skipped; the framing is still sound
        event = parse_baresip_event(message, self._now())
        if event is None:
            return
        try:
            self._on_event(event)
        except Exception:  # one bad callback must not stop later events
            _logger().exception("the softphone event callback failed")
