"""The hook's side of the socket: hand one event to the running calldesk, or say why not."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from calldesk.core.phone.channel import PROTOCOL_VERSION, SocketError, sun_path
from calldesk.core.phone.events import MAX_LINE, PhoneEvent

SendStatus = Literal["delivered", "not_running", "no_answer", "refused", "unsafe", "unsupported"]


@dataclass(frozen=True, slots=True)
class SendResult:
    """How `send_event` went. Only "delivered" means calldesk has the event.

    not_running: no socket, or nothing listening (a stale socket from a crash);
    no_answer: something listens but did not reply in time; refused: calldesk replied with an
    error (`detail`); unsafe: the socket is not owned by this user; unsupported: this Python
    has no Unix sockets (Windows).
    """

    status: SendStatus
    detail: str = ""

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


def encode_request(event: PhoneEvent) -> bytes:
    """One request line: `{"v":1,"event":{...}}` and a newline."""
    request = {"v": PROTOCOL_VERSION, "event": event.to_dict()}
    return (json.dumps(request, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def send_event(event: PhoneEvent, path: Path, timeout: float = 0.1) -> SendResult:
    """Hand `event` to the running calldesk over its socket, waiting at most `timeout` seconds."""
    if not hasattr(socket, "AF_UNIX"):
        return SendResult("unsupported", "this Python has no Unix sockets")
    target = path
    deadline = time.monotonic() + timeout
    try:
        info = os.stat(target)
    except FileNotFoundError:
        return SendResult("not_running", "no socket")
    except OSError as error:
        return SendResult("not_running", error.strerror or str(error))
    if not stat.S_ISSOCK(info.st_mode):
        return SendResult("not_running", f"{target} is not a socket")
    if info.st_uid != os.getuid():
        # Caller details go only to a calldesk of our own, never to someone else's socket.
        return SendResult("unsafe", f"{target} belongs to another user")
    try:
        address = sun_path(target)
    except SocketError as error:
        return SendResult("not_running", str(error))
    request = encode_request(event)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            sock.connect(address)
            sock.sendall(request)
            reply = bytearray()
            while b"\n" not in reply and len(reply) <= MAX_LINE:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = sock.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except (FileNotFoundError, ConnectionRefusedError):
            return SendResult("not_running", "nothing is listening on the socket")
        except TimeoutError:
            return SendResult("no_answer", f"no reply within {timeout * 1000:.0f} ms")
        except OSError as error:
            if error.errno in (errno.ECONNRESET, errno.EPIPE):
                return SendResult("no_answer", "the connection was closed")
            return SendResult("not_running", error.strerror or str(error))
    line = bytes(reply).split(b"\n", 1)[0]
    if not line:
        return SendResult("no_answer", "the connection was closed without a reply")
    try:
        answer = json.loads(line)
    except (ValueError, RecursionError):
        return SendResult("no_answer", "the reply was not JSON")
    if isinstance(answer, dict) and answer.get("ok") is True:
        return SendResult("delivered")
    error_text = answer.get("error") if isinstance(answer, dict) else None
    return SendResult("refused", str(error_text or "calldesk did not say why"))
