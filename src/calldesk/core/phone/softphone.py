"""Softphone events: hook arguments, baresip's ctrl_tcp JSON, and the socket that carries them.

Caller data comes from the network and is hostile. It is kept as sent (for storage and search)
but capped in length (`MAX_NAME`, `MAX_NUMBER`, `MAX_CALL_ID`, `MAX_SOURCE` code points), it is
never passed to a shell, and `display_safe` turns it into one printable line for a screen.

This module is imported by `calldesk ring|answer|hangup`, which softphones run synchronously, so
it imports only the standard library and nothing slow at module level.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import queue
import re
import selectors
import socket
import stat
import struct
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from calldesk.core.calls.model import ANONYMOUS_HOST, is_withheld
from calldesk.core.files import FileRefused, ensure_private_dir, open_append, open_private
from calldesk.core.phone import spool
from calldesk.core.textsafe import escape_char, is_hidden

# -- events ---------------------------------------------------------------------------------

EventKind = Literal["ring", "answer", "hangup"]
KINDS: tuple[EventKind, ...] = ("ring", "answer", "hangup")

MAX_NAME = 200
"""Longest caller name kept, in code points; longer names are cut (no ellipsis: this is data)."""
MAX_NUMBER = 100
"""Longest caller number or address kept, in code points."""
MAX_CALL_ID = 200
"""Longest call id kept (SIP Call-IDs are usually under 100 characters)."""
MAX_SOURCE = 40
"""Longest source label kept ("hook", "baresip", "microsip", ...)."""

_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: str, limit: int) -> str:
    # Lone surrogates (from JSON "\ud800" escapes or undecodable argv bytes) cannot be encoded
    # as UTF-8, so SQLite, JSON files and terminals would all fail on them later.
    return _SURROGATE.sub("\ufffd", value[:limit])


@dataclass(frozen=True, slots=True)
class PhoneEvent:
    """One thing the phone did: it rang, the call was answered, or it ended.

    `number` and `name` are the other party's, as sent (see the module notes on caps);
    `call_id` ties the events of one call together when the softphone gives one ("" if not);
    `at` is an aware datetime; `source` says where the event came from ("hook", "baresip").
    """

    kind: EventKind
    number: str
    name: str
    call_id: str
    at: datetime
    source: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"event kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        for field_name, limit in (
            ("number", MAX_NUMBER),
            ("name", MAX_NAME),
            ("call_id", MAX_CALL_ID),
            ("source", MAX_SOURCE),
        ):
            value = getattr(self, field_name)
            if not isinstance(value, str):
                raise ValueError(f"event {field_name} must be text, not {type(value).__name__}")
            object.__setattr__(self, field_name, _clean(value, limit))
        if not isinstance(self.at, datetime) or self.at.tzinfo is None:
            raise ValueError("event time must be an aware datetime")

    @classmethod
    def create(
        cls,
        kind: EventKind,
        *,
        number: str = "",
        name: str = "",
        call_id: str = "",
        at: datetime | None = None,
        source: str = "hook",
    ) -> PhoneEvent:
        """An event stamped now (UTC) unless `at` is given."""
        return cls(kind, number, name, call_id, at or datetime.now(UTC), source)

    def to_dict(self) -> dict[str, str]:
        """The JSON form used on the socket, in the pending-events file and in the store."""
        return {
            "kind": self.kind,
            "number": self.number,
            "name": self.name,
            "call_id": self.call_id,
            "at": self.at.astimezone(UTC).isoformat(),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: object, default_at: datetime | None = None) -> PhoneEvent:
        """Read what `to_dict` wrote, from an untrusted source; ValueError says what is wrong.

        Missing text fields are empty; a missing time is `default_at`, else now; a naive time
        is taken as UTC.
        """
        if not isinstance(data, Mapping):
            raise ValueError("event must be a JSON object")
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValueError(f"event kind must be one of {', '.join(KINDS)}")
        texts: dict[str, str] = {}
        for key in ("number", "name", "call_id", "source"):
            value = data.get(key, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                raise ValueError(f"event {key} must be a string")
            texts[key] = value
        at_text = data.get("at")
        if at_text is None or at_text == "":
            at = default_at or datetime.now(UTC)
        elif isinstance(at_text, str) and len(at_text) <= 64:
            try:
                at = datetime.fromisoformat(at_text)
            except ValueError:
                raise ValueError("event time is not an ISO 8601 date and time") from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=UTC)
        else:
            raise ValueError("event time must be an ISO 8601 string")
        return cls(
            kind,  # type: ignore[arg-type]  # checked against KINDS above
            texts["number"],
            texts["name"],
            texts["call_id"],
            at,
            texts["source"] or "unknown",
        )

    def caller(self) -> str:
        """Who it is, for messages: the name, else the number, else "an unknown caller"."""
        return self.name or self.number or "an unknown caller"


class PendingRecord(Protocol):
    """What `spool.take_pending_events()` returns, without importing the store here."""

    kind: str
    payload: dict[str, Any]
    created_at: datetime


def events_from_pending(records: Iterable[PendingRecord]) -> list[PhoneEvent]:
    """Turn the store's pending events back into PhoneEvents, skipping any that do not parse."""
    events: list[PhoneEvent] = []
    for record in records:
        try:
            data = {**record.payload, "kind": record.kind}
            events.append(PhoneEvent.from_dict(data, default_at=record.created_at))
        except (ValueError, TypeError):
            continue
    return events


# -- showing hostile text -------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
ELLIPSIS = "…"


def _cells(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_safe(text: str, width: int) -> str:
    """One line of at most `width` terminal cells that shows `text` without obeying it.

    Control characters (ESC, BEL, DEL, C1), lone surrogates, bidirectional overrides and other
    invisible format characters are shown as escapes (`\\x1b`, `\\u202e`); tabs and line breaks
    become single spaces; text that does not fit is cut and ends with an ellipsis. A literal
    backslash is left alone, so `\\x1b` typed by a caller looks like an escaped ESC; that is
    ambiguous to read but harmless.
    """
    if width <= 0:
        return ""
    # Split, then strip: a single regex with spaces around the breaks backtracks badly.
    lines = (part.replace("\t", " ").strip(" ") for part in _LINE_BREAKS.split(text))
    folded = " ".join(line for line in lines if line)
    tokens: list[tuple[str, int]] = []
    for char in folded:
        if is_hidden(char):
            escaped = escape_char(char)
            tokens.append((escaped, len(escaped)))
        else:
            tokens.append((char, _cells(char)))
    if sum(cells for _, cells in tokens) <= width:
        return "".join(token for token, _ in tokens)
    kept: list[str] = []
    used = 0
    for token, cells in tokens:
        # An escape is never split: half of `\x1b` would read as something else.
        if used + cells > width - 1:
            break
        kept.append(token)
        used += cells
    return "".join(kept).rstrip() + ELLIPSIS


# -- hook arguments -------------------------------------------------------------------------

# Written so that no two parts can match the same characters: hostile input must not make
# the regex backtrack for seconds.
_NAME_ADDR = re.compile(r'^(?:"((?:[^"\\]|\\.)*)"\s*|([^"<]*))<([^>]*)>')
_QUOTED_PAIR = re.compile(r"\\(.)")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
_SCHEME = re.compile(r"^(sips?|tel):", re.IGNORECASE)
_PHONE_CHARS = re.compile(r"^[0-9+*#()./\s-]+$")
MAX_ARGUMENT = 4096
"""Longest hook argument parsed; the parts kept are capped far below this anyway."""


def _percent_decode(text: str) -> str:
    if "%" not in text:
        return text
    raw = _PERCENT.sub(lambda match: chr(int(match.group(1), 16)), text)
    # Percent escapes encode UTF-8 bytes; decode them as such, keeping anything that is not.
    try:
        return raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def _unquote_name(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return _QUOTED_PAIR.sub(r"\1", text[1:-1]).strip()
    return text


def _address_number(address: str) -> str:
    """The caller's number (or user@host) from a SIP/tel URI or a bare number."""
    text = address.strip()
    scheme_match = _SCHEME.match(text)
    scheme = scheme_match.group(1).lower() if scheme_match else ""
    if scheme_match:
        text = text[scheme_match.end() :]
    if scheme == "tel":
        number = _percent_decode(text.split(";", 1)[0]).strip()
        return "" if is_withheld(number) else number
    if not scheme and "@" not in text:
        # A bare number as the phone passed it ("+44 20 7946 0958", "1001"), or a word for
        # a withheld one ("anonymous", "Restricted"): MicroSIP passes only the user part.
        return "" if is_withheld(text) else text
    text = text.split("?", 1)[0]  # URI headers
    user, at_sign, host = text.partition("@")
    if not at_sign:
        user, host = "", user
    user = _percent_decode(user.split(":", 1)[0].split(";", 1)[0]).strip()
    host = host.split(";", 1)[0].strip()
    if is_withheld(user) or host.split(":", 1)[0].casefold() == ANONYMOUS_HOST:
        return ""
    if not user:
        return host
    if _PHONE_CHARS.match(user):
        return user
    # A named SIP user is only unique together with its domain.
    return f"{user}@{host}" if host else user


def parse_caller(number: str, name: str = "") -> tuple[str, str]:
    """(number, name) from what a softphone passes as the caller.

    `number` may be a bare number, a `sip:`/`sips:`/`tel:` URI, or a SIP name-addr such as
    `"Pat Smith" <sip:1001@host>`, whose display name is used when `name` is empty. The
    number keeps the caller's own formatting ("+44 20 7946 0958"); compare numbers with
    `calls.normalise_number`. Withheld callers (`anonymous`, `sip:anonymous@anonymous.invalid`,
    `Restricted`, ...) come back with an empty number.
    """
    display = ""
    number = number[:MAX_ARGUMENT].strip()
    name = name[:MAX_ARGUMENT]
    address = number
    match = _NAME_ADDR.match(number)
    if match:
        quoted, bare, address = match.groups()
        display = _QUOTED_PAIR.sub(r"\1", quoted) if quoted is not None else bare
    elif "<" in number and ">" in number[number.index("<") :]:
        # Malformed (an unbalanced quote, say): still take the address from the brackets.
        start = number.index("<")
        address = number[start + 1 : number.index(">", start)]
        display = number[:start].strip().strip('"')
    parsed_number = _address_number(address) if address.strip() else ""
    return parsed_number, _unquote_name(name) or display.strip()


# -- the pending-events file ----------------------------------------------------------------

PENDING_FILE_NAME = "pending-events.jsonl"
MAX_LINE = 64 * 1024
"""Longest request line the socket accepts and longest line read from the pending file."""


def _lock_exclusive(fd: int) -> None:
    # fcntl is POSIX-only; where it is missing, O_APPEND writes of one line are the guard.
    try:
        import fcntl
    except ImportError:
        return
    fcntl.flock(fd, fcntl.LOCK_EX)


def pending_file_path(data_dir: Path) -> Path:
    """Where the CLI keeps events when calldesk is not running and the store cannot take them."""
    return data_dir / PENDING_FILE_NAME


def append_pending_file(event: PhoneEvent, path: Path) -> None:
    """Add one event to the private (0600) pending file, safely against a concurrent reader.

    A symbolic link, a non-regular file or another user's file at `path` is refused
    (`FileRefused`, an OSError): the caller's details never land in a file not the user's own.
    """
    ensure_private_dir(path.parent)
    line = (json.dumps(event.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
    fd = open_append(path)
    try:
        _lock_exclusive(fd)
        os.write(fd, line)
    finally:
        os.close(fd)  # closing drops the lock


def read_pending_file(path: Path) -> list[PhoneEvent]:
    """The events kept in the pending file, oldest first; the file is emptied.

    Lines that are not valid events (a half-written line, garbage) are skipped. A missing file
    means no events. A file that is not the user's own (a link, another user's file) is
    refused with `FileRefused` (an OSError) and left as it is: its events could be forged.
    """
    try:
        fd = open_private(path, os.O_RDWR, create=False)
    except FileNotFoundError:
        return []
    try:
        _lock_exclusive(fd)
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    events: list[PhoneEvent] = []
    for line in b"".join(chunks).split(b"\n"):
        if not line.strip() or len(line) > MAX_LINE:
            continue
        try:
            events.append(PhoneEvent.from_dict(json.loads(line)))
        except (ValueError, RecursionError):
            continue
    return events


def take_all_pending(store: Any, pending_file: Path) -> list[PhoneEvent]:
    """Every event kept while calldesk was away, from the store and the file, oldest first.

    `store` is an open `Database` (its pending events are marked shown) or None; the file is
    emptied. An event kept twice comes back once: copies are equal, down to the time the hook
    stamped. A hook that gave up waiting on a busy calldesk keeps its event even though
    calldesk may then take it live; PhoneEvent is hashable, so the app can drop those by
    comparing with the events it has already handled.
    """
    events = events_from_pending(spool.take_pending_events(store)) if store is not None else []
    events += read_pending_file(pending_file)
    return sorted(dict.fromkeys(events), key=lambda event: event.at)


def keep_for_later(event: PhoneEvent, database_path: Path, pending_file: Path) -> str:
    """Keep an event that could not be delivered; returns "store" or "file" for where it went.

    The store is used when its database already exists and can be opened (calldesk is not
    running); otherwise, or if the store is locked, in use or broken, the event is appended to
    `pending_file`. OSError from writing that file is left to the caller.
    """
    if database_path.is_file():
        stored = False
        try:
            from calldesk.core.clock import SystemClock
            from calldesk.core.db.database import Database

            store = Database.open(database_path, SystemClock())
            try:
                spool.add_pending_event(store, event.kind, event.to_dict())
                stored = True
            finally:
                store.close()
        except Exception:  # any store failure falls back to the plain file
            pass
        if stored:
            return "store"
    append_pending_file(event, pending_file)
    return "file"


# -- the local socket -----------------------------------------------------------------------

PROTOCOL_VERSION = 1
SOCKET_NAME = "calldesk.sock"
LOCK_NAME = "calldesk.sock.lock"
CLIENT_TIMEOUT = 2.0
"""Seconds a client may take to send its request before the server hangs up."""
MAX_CLIENTS = 16
MAX_SUN_PATH = 107
"""Longest Unix socket path the kernel takes (108 bytes with the terminating NUL on Linux)."""


def socket_path() -> Path:
    """The socket the running app serves: `paths.runtime_dir() / "calldesk.sock"`."""
    from calldesk.paths import runtime_dir

    return runtime_dir() / SOCKET_NAME


class SocketError(Exception):
    """The event socket cannot be served; the message says why and what to do."""


class SocketInUse(SocketError):
    """Another running calldesk already serves the socket."""


class SocketUnsafe(SocketError):
    """The socket's folder is not private to this user, so events could leak or be forged."""


def _sun_path(path: Path) -> str:
    text = os.fspath(path)
    if len(os.fsencode(text)) > MAX_SUN_PATH:
        raise SocketError(
            f"The socket path {text} is too long for a Unix socket "
            f"({MAX_SUN_PATH} bytes at most). Set XDG_RUNTIME_DIR to a shorter folder."
        )
    return text


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


def send_event(event: PhoneEvent, path: Path | None = None, timeout: float = 0.1) -> SendResult:
    """Hand `event` to the running calldesk over its socket, waiting at most `timeout` seconds."""
    if not hasattr(socket, "AF_UNIX"):
        return SendResult("unsupported", "this Python has no Unix sockets")
    target = socket_path() if path is None else path
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
        address = _sun_path(target)
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


def _logger() -> Any:
    # logging costs a few milliseconds to import; hooks never need it.
    import logging

    return logging.getLogger(__name__)


@dataclass(slots=True)
class _Client:
    sock: socket.socket
    deadline: float
    inbox: bytearray
    outbox: bytearray
    closing: bool = False


_STOP = object()


class EventServer:
    """Serves the event socket: one JSON request per line, one JSON reply per line.

    Request `{"v":1,"event":{...}}` (the event as `PhoneEvent.to_dict`); reply `{"ok":true}`
    once the event is validated and queued, else `{"ok":false,"error":"..."}`. `on_event` is
    called on a thread of the server's own, one event at a time in arrival order, so a slow
    callback never makes a hook wait; it must not block on the thread that calls `stop()`.

    The folder is made 0700 and must belong to this user; the socket is 0600; clients of
    another user are refused (SO_PEERCRED where the system has it). Lines longer than
    `MAX_LINE`, garbage and silent clients (after `client_timeout`) are handled without
    disturbing other clients. `start()` replaces a stale socket left by a crash and raises
    `SocketInUse` if another calldesk is serving.
    """

    def __init__(
        self,
        path: Path | None,
        on_event: Callable[[PhoneEvent], None],
        *,
        client_timeout: float = CLIENT_TIMEOUT,
        max_clients: int = MAX_CLIENTS,
    ) -> None:
        self.path = socket_path() if path is None else Path(path)
        self._on_event = on_event
        self._client_timeout = client_timeout
        self._max_clients = max_clients
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
        _sun_path(self.path)  # refuse a path the kernel cannot take before creating folders
        self._prepare_folder()
        self._lock_fd = self._take_lock()
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

    # -- binding -----------------------------------------------------------------------------

    def _prepare_folder(self) -> None:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            link = folder.lstat()
            info = folder.stat()
        except OSError as error:
            raise SocketError(
                f"Cannot create the socket folder {folder}: {error.strerror or error}."
            ) from error
        if stat.S_ISLNK(link.st_mode) and link.st_uid != os.getuid():
            raise SocketUnsafe(
                f"The socket folder {folder} is a symbolic link made by another user "
                f"(uid {link.st_uid}). Remove it or set XDG_RUNTIME_DIR to a folder of your own."
            )
        if info.st_uid != os.getuid():
            raise SocketUnsafe(
                f"The socket folder {folder} belongs to another user (uid {info.st_uid}). "
                "Remove it or set XDG_RUNTIME_DIR to a folder of your own."
            )
        if info.st_mode & 0o077:
            try:
                folder.chmod(0o700)
            except OSError as error:
                raise SocketUnsafe(
                    f"The socket folder {folder} is readable by others and cannot be made "
                    f"private: {error.strerror or error}."
                ) from error

    def _take_lock(self) -> int:
        import fcntl

        lock_path = self.path.with_name(LOCK_NAME)
        try:
            fd = open_private(lock_path, os.O_RDWR)
        except FileRefused as error:
            raise SocketUnsafe(f"{error}") from error
        except OSError as error:
            raise SocketError(f"Cannot create {lock_path}: {error.strerror or error}.") from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SocketInUse(
                f"Another calldesk is already taking softphone events on {self.path}. "
                "Use that window, or close it first."
            ) from None
        except OSError as error:
            os.close(fd)
            raise SocketError(f"Cannot lock {lock_path}: {error.strerror or error}.") from error
        return fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None

    def _bind(self) -> socket.socket:
        address = _sun_path(self.path)
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
                wait = min((c.deadline for c in clients.values()), default=now + 60) - now
                for key, mask in selector.select(max(wait, 0)):
                    sock = key.fileobj
                    if sock is self._wake_r:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(64)
                    elif sock is self._listener:
                        self._accept(selector, clients)
                    elif isinstance(sock, socket.socket) and sock in clients:
                        self._service(selector, clients, clients[sock], mask)
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
            if len(clients) >= self._max_clients or not self._same_user(sock):
                sock.close()
                continue
            sock.setblocking(False)
            client = _Client(
                sock, time.monotonic() + self._client_timeout, bytearray(), bytearray()
            )
            clients[sock] = client
            selector.register(sock, selectors.EVENT_READ, None)

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
                self._reply(client, self._handle_line(line))
        if len(client.inbox) > MAX_LINE:
            self._reply(client, {"ok": False, "error": "request too long"})
            client.inbox.clear()
            client.closing = True

    def _reply(self, client: _Client, answer: dict[str, object]) -> None:
        client.outbox += (json.dumps(answer, separators=(",", ":")) + "\n").encode()
        if len(client.outbox) > MAX_LINE:
            client.closing = True  # a client that sends but never reads gets no more

    def _handle_line(self, line: bytes) -> dict[str, object]:
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
        self._queue.put(event)
        return {"ok": True}

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
            assert isinstance(item, PhoneEvent)
            try:
                self._on_event(item)
            except Exception:  # one bad callback must not stop later events
                _logger().exception("the softphone event callback failed")


# -- baresip ----------------------------------------------------------------------------------


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
