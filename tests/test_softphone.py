"""Softphone events: parsing hostile caller data, the event socket, pending events, baresip."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import socket
import stat
import tempfile
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from calldesk.core.clock import FakeClock
from calldesk.core.phone import baresip, spool
from calldesk.core.phone.baresip import (
    BaresipFollower,
    NetstringDecoder,
    NetstringError,
    encode_netstring,
    parse_baresip_event,
    parse_hostport,
)
from calldesk.core.phone.channel import SocketError, SocketInUse, SocketUnsafe
from calldesk.core.phone.events import (
    MAX_CALL_ID,
    MAX_LINE,
    MAX_NAME,
    MAX_NUMBER,
    MAX_SOURCE,
    PhoneEvent,
    display_safe,
    parse_caller,
)
from calldesk.core.phone.hook import encode_request, send_event
from calldesk.core.phone.server import EventServer
from calldesk.core.phone.spool import (
    append_pending_file,
    keep_for_later,
    read_pending_file,
    take_all_pending,
)
from calldesk.core.storage import Database

AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
WAIT = 5.0
"""Upper bound for anything the tests wait on; they finish as soon as the thing happens."""


def ring(number: str = "+44 20 7946 0958", name: str = "Pat Smith", **extra: str) -> PhoneEvent:
    return PhoneEvent("ring", number, name, extra.get("call_id", "c1"), AT, "hook")


# -- events ---------------------------------------------------------------------------------


def test_an_event_caps_every_text_field_to_its_documented_length() -> None:
    event = PhoneEvent("ring", "1" * 500, "N" * 500, "i" * 500, AT, "s" * 500)
    assert event.number == "1" * MAX_NUMBER
    assert event.name == "N" * MAX_NAME
    assert event.call_id == "i" * MAX_CALL_ID
    assert len(event.source) == MAX_SOURCE


def test_an_event_keeps_hostile_text_as_sent_but_replaces_lone_surrogates() -> None:
    event = PhoneEvent("ring", "1001", "Pat\x1b[31m \ud800", "", AT, "hook")
    assert event.name == "Pat\x1b[31m \ufffd"
    event.name.encode("utf-8")  # would raise for a lone surrogate


@pytest.mark.parametrize(
    ("kind", "number", "at", "message"),
    [
        ("dial", "1", AT, "event kind"),
        ("ring", 1001, AT, "number must be text"),
        ("ring", "1", datetime(2026, 1, 1), "aware datetime"),
    ],
)
def test_an_event_refuses_what_it_cannot_be(
    kind: str, number: object, at: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        PhoneEvent(kind, number, "", "", at, "hook")  # type: ignore[arg-type]


def test_an_event_round_trips_through_its_dict_form() -> None:
    local = datetime(2026, 11, 24, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    event = PhoneEvent("hangup", "+1-555-0100", "Ann", "abc@pbx", local, "baresip")
    data = event.to_dict()
    assert data["at"] == "2026-11-24T09:30:00+00:00"
    assert PhoneEvent.from_dict(json.loads(json.dumps(data))) == event


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["ring"], "JSON object"),
        ({"kind": "RING"}, "event kind"),
        ({"kind": "ring", "number": 44}, "number must be a string"),
        ({"kind": "ring", "name": ["x"]}, "name must be a string"),
        ({"kind": "ring", "at": "yesterday"}, "ISO 8601"),
        ({"kind": "ring", "at": 1700000000}, "ISO 8601 string"),
        ({"kind": "ring", "at": "2" * 100}, "ISO 8601 string"),
    ],
)
def test_reading_an_untrusted_event_says_what_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PhoneEvent.from_dict(data)


def test_reading_an_event_fills_in_what_is_missing() -> None:
    event = PhoneEvent.from_dict({"kind": "answer", "name": None}, default_at=AT)
    assert (event.number, event.name, event.call_id, event.at, event.source) == (
        "",
        "",
        "",
        AT,
        "unknown",
    )
    naive = PhoneEvent.from_dict({"kind": "ring", "at": "2026-11-24T09:30:00"})
    assert naive.at == AT


def test_pending_records_from_the_store_become_events_and_bad_ones_are_skipped() -> None:
    records = [
        SimpleNamespace(kind="ring", payload={"number": "1001", "name": "Pat"}, created_at=AT),
        SimpleNamespace(kind="explode", payload={}, created_at=AT),
        SimpleNamespace(kind="hangup", payload={"number": 5}, created_at=AT),
        SimpleNamespace(
            kind="hangup", payload={"call_id": "c9", "at": AT.isoformat()}, created_at=AT
        ),
    ]
    events = spool.events_from_pending(records)
    assert [(e.kind, e.number, e.name, e.call_id) for e in events] == [
        ("ring", "1001", "Pat", ""),
        ("hangup", "", "", "c9"),
    ]
    assert events[0].at == AT  # no time in the payload: the store's created_at


# -- showing hostile text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "shown"),
    [
        ("Pat Smith", 20, "Pat Smith"),
        ("\x1b[31mRed\x1b[0m", 40, "\\x1b[31mRed\\x1b[0m"),
        ("bell\x07 del\x7f c1\x9b", 40, "bell\\x07 del\\x7f c1\\x9b"),
        ("evil\u202egnp.exe", 40, "evil\\u202egnp.exe"),
        ("line one\r\n\n  line two\u2028three", 40, "line one line two three"),
        ("tab\there", 20, "tab here"),
        ("Patricia Smith-Jones", 10, "Patricia…"),
        ("\x1b\x1b\x1b", 9, "\\x1b\\x1b…"),  # an escape is never cut in half
        ("日本語の名前", 7, "日本語…"),
        ("日本語", 6, "日本語"),
        ("anything", 1, "…"),
        ("anything", 0, ""),
        ("👩\u200d💻 dev", 20, "👩\u200d💻 dev"),  # a joiner is part of the emoji, not hidden text
        ("zero\u200bwidth", 20, "zero\\u200bwidth"),
    ],
)
def test_display_safe_shows_one_line_that_can_never_act_on_the_terminal(
    text: str, width: int, shown: str
) -> None:
    assert display_safe(text, width) == shown


def test_display_safe_reads_long_hostile_input() -> None:
    # How fast (a backtracking regex takes minutes here): benchmarks/hostile_input_bench.py.
    text = " " * 200_000 + "\n" + "\t " * 100_000 + "Pat"
    assert display_safe(text, 10) == "Pat"


# -- hook arguments -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "name", "expected"),
    [
        ("sip:+44 20 7946 0958@pbx.example;user=phone", "", ("+44 20 7946 0958", "")),
        ("tel:+1-555-0100", "", ("+1-555-0100", "")),
        ("tel:+1-555-0100;phone-context=example.com", "", ("+1-555-0100", "")),
        ('"Pat Smith" <sip:1001@host>', "", ("1001", "Pat Smith")),
        ('"Pat Smith" <sip:1001@host>', "Pat S.", ("1001", "Pat S.")),
        ("Pat Smith <sip:1001@host>", "", ("1001", "Pat Smith")),
        ("<sip:1001@host;transport=tcp>", "", ("1001", "")),
        ('"Pat \\"The Cat\\" Smith" <sip:1001@host>', "", ("1001", 'Pat "The Cat" Smith')),
        ("sip:alice@example.com", "", ("alice@example.com", "")),
        ("SIPS:1001@host:5061;transport=tls?subject=x", "", ("1001", "")),
        ("sip:%2B44%2020%207946%200958@pbx", "", ("+44 20 7946 0958", "")),
        ("sip:1001:secret@pbx", "", ("1001", "")),
        ('"Anonymous" <sip:anonymous@anonymous.invalid>', "", ("", "Anonymous")),
        ("Anonymous <sip:anonymous@anonymous.invalid>", "", ("", "Anonymous")),
        ("sip:anonymous@anonymous.invalid", "", ("", "")),
        ("sip:Caller@anonymous.invalid:5060", "", ("", "")),
        ("sip:unknown@pbx.example", "", ("", "")),
        ("tel:Restricted", "", ("", "")),
        # MicroSIP passes the user part alone: the words for a withheld number, any case.
        ("anonymous", "", ("", "")),
        ("ANONYMOUS", "", ("", "")),
        ("Unknown", "", ("", "")),
        ("private", "", ("", "")),
        ("restricted", "", ("", "")),
        ("unavailable", "", ("", "")),
        ("withheld", "", ("", "")),
        ("sip:pbx.example.com", "", ("pbx.example.com", "")),
        ("1001@pbx", "", ("1001", "")),
        ("  +44 20 7946 0958 ", "", ("+44 20 7946 0958", "")),
        ("1001", '"Pat Smith"', ("1001", "Pat Smith")),
        ("", "", ("", "")),
        ("", "Pat", ("", "Pat")),
        ('"unterminated <sip:1@h>', "", ("1", "unterminated")),
        # Found by a tester: the escaped quotes of an unterminated quoted-string stayed.
        ('"Pat \\"Q\\" <sip:1001@pbx>', "", ("1001", 'Pat "Q"')),
        ('"Pat \\"Q\\"', "", ('"Pat \\"Q\\"', "")),
        ("1001", '"Pat \\"Q\\"', ("1001", 'Pat "Q"')),
        ("1001", '"A \\\\"', ("1001", "A \\")),
        ("no address at all", "", ("no address at all", "")),
    ],
)
def test_hook_arguments_are_read_as_softphones_pass_them(
    number: str, name: str, expected: tuple[str, str]
) -> None:
    assert parse_caller(number, name) == expected


def test_hook_arguments_of_any_size_are_parsed_and_capped() -> None:
    # How fast: benchmarks/hostile_input_bench.py.
    for hostile in (" " * 1_000_000, '"' + " " * 1_000_000, "<" * 1_000_000, "9" * 1_000_000):
        number, name = parse_caller(hostile, " " * 1_000_000)
        event = PhoneEvent.create("ring", number=number, name=name)
        assert len(event.number) <= MAX_NUMBER


# -- the pending-events file ----------------------------------------------------------------


def test_the_pending_file_is_private_and_reading_it_empties_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / "pending-events.jsonl"
    first, second = ring(), PhoneEvent("hangup", "1001", "", "c1", AT, "hook")
    append_pending_file(first, path)
    append_pending_file(second, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert read_pending_file(path) == [first, second]
    assert path.stat().st_size == 0
    assert read_pending_file(path) == []


def test_reading_the_pending_file_skips_lines_that_are_not_events(tmp_path: Path) -> None:
    path = tmp_path / "pending-events.jsonl"
    good = ring()
    path.write_bytes(
        b"not json\n"
        + b'{"kind":"ring","number":' + b"[" * 100_000 + b"\n"
        + b'{"kind": "unknown"}\n'
        + json.dumps(good.to_dict()).encode() + b"\n"
        + b'{"kind":"ring","name":"' + b"x" * (MAX_LINE + 10) + b'"}\n'
        + b'{"kind":"hangup","call_id":"half-writ'
    )  # fmt: skip
    assert read_pending_file(path) == [good]
    assert read_pending_file(tmp_path / "missing.jsonl") == []


def test_an_undelivered_event_goes_to_the_one_spool_even_beside_a_database(
    tmp_path: Path, clock: FakeClock
) -> None:
    database = tmp_path / "calldesk.db"
    pending = tmp_path / "pending.jsonl"
    Database.open(database, clock).close()
    event = ring()
    keep_for_later(event, pending)
    with Database.open(database, clock) as store:
        assert spool.take_legacy_events(store) == []  # nothing writes the old table now
        assert take_all_pending(store, pending) == [event]
        assert take_all_pending(store, pending) == []


def test_an_undelivered_event_is_kept_whether_the_database_is_in_use_or_missing(
    tmp_path: Path, clock: FakeClock
) -> None:
    database = tmp_path / "calldesk.db"
    pending = tmp_path / "pending.jsonl"
    keep_for_later(ring(number="1"), pending)
    assert not database.exists()  # a hook never creates the database
    with Database.open(database, clock):  # a running calldesk holds the database
        keep_for_later(ring(number="2"), pending)
    assert [event.number for event in read_pending_file(pending)] == ["1", "2"]


def test_all_kept_events_come_back_once_and_in_order(tmp_path: Path, clock: FakeClock) -> None:
    database, pending = tmp_path / "calldesk.db", tmp_path / "pending.jsonl"
    early = PhoneEvent("ring", "1", "", "c1", AT - timedelta(minutes=5), "hook")
    late = PhoneEvent("hangup", "1", "", "c1", AT, "hook")
    with Database.open(database, clock) as store:
        spool.add_pending_event(store, late.kind, late.to_dict())
    append_pending_file(late, pending)  # the same event kept twice
    append_pending_file(early, pending)
    with Database.open(database, clock) as store:
        assert take_all_pending(store, pending) == [early, late]
        assert take_all_pending(store, pending) == []
    assert take_all_pending(None, pending) == []


# -- the event socket -----------------------------------------------------------------------


class Inbox:
    """Collects events from a server or follower thread; `get` waits for the next one."""

    def __init__(self) -> None:
        self.events: queue.Queue[PhoneEvent] = queue.Queue()

    def __call__(self, event: PhoneEvent) -> None:
        self.events.put(event)

    def get(self) -> PhoneEvent:
        return self.events.get(timeout=WAIT)

    def empty(self) -> bool:
        return self.events.empty()


def talk(path: Path, payload: bytes, timeout: float = WAIT) -> list[dict[str, object]]:
    """Send raw bytes, half-close, and read every reply line until the server hangs up."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return [json.loads(line) for line in data.splitlines()]


def test_the_server_delivers_an_event_over_a_private_socket(socket_path: Path) -> None:
    inbox = Inbox()
    with EventServer(socket_path, inbox):
        assert stat.S_IMODE(socket_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(socket_path.parent.stat().st_mode) == 0o700
        result = send_event(ring(), socket_path)
        assert result.delivered, result
        assert inbox.get() == ring()
    assert not socket_path.exists()


def test_the_server_tightens_a_loose_folder(socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o755)
    socket_path.parent.chmod(0o755)
    with EventServer(socket_path, Inbox()):
        assert stat.S_IMODE(socket_path.parent.stat().st_mode) == 0o700


def test_the_server_answers_garbage_with_errors_and_keeps_serving(socket_path: Path) -> None:
    inbox = Inbox()
    good = encode_request(ring())
    requests = [
        b"hello\n",
        b"[1, 2]\n",
        b'{"v": 2, "event": {}}\n',
        b'{"v": true, "event": {}}\n',
        b'{"v": 1, "event": {"kind": "explode"}}\n',
        b'{"v": 1, "event": "ring"}\n',
        b"\xff\xfe\n",
        b"[" * 50_000 + b"\n",
        b"\n",  # blank lines are ignored, not answered
        good,
    ]
    with EventServer(socket_path, inbox):
        replies = talk(socket_path, b"".join(requests))
        assert inbox.get() == ring()
    errors = [reply.get("error") for reply in replies]
    assert errors == [
        "request is not JSON",
        "request must be a JSON object",
        "unsupported protocol version (this is 1)",
        "unsupported protocol version (this is 1)",
        "event kind must be one of ring, answer, hangup",
        "event must be a JSON object",
        "request is not UTF-8",
        "request is not JSON",
        None,
    ]
    assert replies[-1] == {"ok": True}


def test_an_oversized_request_is_refused_and_the_connection_closed(socket_path: Path) -> None:
    inbox = Inbox()
    with EventServer(socket_path, inbox):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(WAIT)
            sock.connect(str(socket_path))
            # The server may hang up before the last bytes arrive.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"x" * (MAX_LINE + 4096))  # no newline ever comes
            data = b""
            # The reply must arrive; the end may be a clean EOF or a reset, depending on how
            # many of the refused bytes were still in flight when the server closed.
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(4096):
                    data += chunk
        assert json.loads(data.splitlines()[0]) == {"ok": False, "error": "request too long"}
        assert send_event(ring(), socket_path).delivered
        assert inbox.get() == ring()


def test_a_client_that_says_nothing_is_dropped_without_blocking_others(socket_path: Path) -> None:
    inbox = Inbox()
    with EventServer(socket_path, inbox, client_timeout=0.3):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
            silent.settimeout(WAIT)
            silent.connect(str(socket_path))
            assert send_event(ring(), socket_path).delivered  # served while the silent one waits
            assert silent.recv(1) == b""  # the server hung up on it (else recv times out)
        assert inbox.get() == ring()


def test_beyond_the_limit_the_oldest_idle_client_makes_room(socket_path: Path) -> None:
    inbox = Inbox()
    with EventServer(socket_path, inbox, client_timeout=WAIT * 10, max_clients=2):
        silent = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(3)]
        for sock in silent:
            sock.settimeout(WAIT)
            sock.connect(str(socket_path))
        # the third takes the place of the first, which had sent nothing (else recv times out)
        assert silent[0].recv(1) == b""
        assert send_event(ring(), socket_path, timeout=WAIT).delivered  # and so does a hook
        for sock in silent:
            sock.close()
        assert inbox.get() == ring()


@pytest.mark.skipif(os.getuid() != 0, reason="connecting as another user needs root")
def test_a_client_of_another_user_is_refused_even_if_the_folder_was_opened_up() -> None:
    base = Path(tempfile.mkdtemp(prefix="cd-"))
    path = base / "calldesk" / "calldesk.sock"
    inbox = Inbox()
    try:
        with EventServer(path, inbox):
            for opened, mode in ((base, 0o711), (path.parent, 0o711), (path, 0o666)):
                opened.chmod(mode)  # as if someone loosened the permissions
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: nobody, talking to root's calldesk
                try:
                    os.setgid(65534)
                    os.setuid(65534)
                    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                        sock.settimeout(WAIT)
                        sock.connect(str(path))
                        sock.sendall(encode_request(ring()))
                        os.write(write_end, b"reply:" + sock.recv(100))
                except BaseException as error:
                    os.write(write_end, f"error:{error!r}".encode())
                finally:
                    os._exit(0)
            os.close(write_end)
            os.waitpid(pid, 0)
            with os.fdopen(read_end, "rb") as pipe:
                outcome = pipe.read()
            # It connected (no PermissionError) and was hung up on before any reply.
            assert outcome == b"reply:" or outcome.startswith(
                (b"error:BrokenPipeError", b"error:ConnectionResetError")
            ), outcome
            assert send_event(ring(number="mine"), path).delivered
            assert inbox.get().number == "mine"  # the other user's event never arrived
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_slow_callback_does_not_make_the_hook_wait(socket_path: Path) -> None:
    release = threading.Event()
    seen: list[PhoneEvent] = []

    def slow(event: PhoneEvent) -> None:
        release.wait(WAIT)
        seen.append(event)

    with EventServer(socket_path, slow):
        assert send_event(ring(number="1"), socket_path, timeout=0.5).delivered
        assert send_event(ring(number="2"), socket_path, timeout=0.5).delivered
        release.set()
    # stop() delivers what was accepted, in order
    assert [event.number for event in seen] == ["1", "2"]


def test_a_failing_callback_does_not_stop_later_events(socket_path: Path) -> None:
    inbox = Inbox()

    def flaky(event: PhoneEvent) -> None:
        if event.number == "boom":
            raise RuntimeError("the app fell over")
        inbox(event)

    with EventServer(socket_path, flaky):
        assert send_event(ring(number="boom"), socket_path).delivered
        assert send_event(ring(number="1001"), socket_path).delivered
        assert inbox.get().number == "1001"


def test_a_stale_socket_from_a_crash_is_replaced(socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o700)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(socket_path))
    crashed.close()  # the file stays behind, nobody listens
    assert send_event(ring(), socket_path).status == "not_running"
    inbox = Inbox()
    with EventServer(socket_path, inbox):
        assert send_event(ring(), socket_path).delivered
        assert inbox.get() == ring()


def test_a_second_server_finds_the_socket_in_use(socket_path: Path) -> None:
    with EventServer(socket_path, Inbox()):
        with pytest.raises(SocketInUse, match="Another calldesk"):
            EventServer(socket_path, Inbox()).start()
        assert send_event(ring(), socket_path).delivered  # the first one is undisturbed


def test_a_live_socket_of_another_program_is_not_taken_over(socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as other:
        other.bind(str(socket_path))
        other.listen(1)
        with pytest.raises(SocketInUse, match="Another program"):
            EventServer(socket_path, Inbox()).start()
        assert socket_path.exists()


def test_the_server_can_start_again_after_stopping(socket_path: Path) -> None:
    inbox = Inbox()
    server = EventServer(socket_path, inbox)
    server.start()
    server.stop()
    assert not socket_path.exists()
    server.start()
    try:
        assert send_event(ring(), socket_path).delivered
        assert inbox.get() == ring()
    finally:
        server.stop()


def test_a_folder_of_another_user_is_refused(
    socket_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o700)
    real_uid = os.getuid()
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 4242)
    with pytest.raises(SocketUnsafe, match="belongs to another user"):
        EventServer(socket_path, Inbox()).start()


def test_a_socket_of_another_user_is_never_sent_caller_data(
    socket_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox()
    with EventServer(socket_path, inbox):
        real_uid = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real_uid + 4242)
        result = send_event(ring(), socket_path)
        monkeypatch.undo()
    assert result.status == "unsafe"
    assert inbox.empty()


def test_something_else_at_the_socket_path_is_an_error(socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o700)
    socket_path.write_text("not a socket")
    with pytest.raises(SocketError, match="not a socket"):
        EventServer(socket_path, Inbox()).start()
    assert send_event(ring(), socket_path).status == "not_running"


def test_a_socket_path_too_long_for_the_kernel_is_a_clear_error(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 120) / "calldesk.sock"
    with pytest.raises(SocketError, match="too long"):
        EventServer(deep, Inbox()).start()


def test_sending_reports_why_nothing_was_delivered(socket_path: Path) -> None:
    assert send_event(ring(), socket_path).status == "not_running"
    socket_path.parent.mkdir(parents=True, mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as mute:
        mute.bind(str(socket_path))
        mute.listen(1)  # accepts connections (in the kernel) but never replies
        # How soon the hook gives up: benchmarks/hostile_input_bench.py.
        result = send_event(ring(), socket_path, timeout=0.2)
        assert result.status == "no_answer"
    socket_path.unlink()


def test_a_refusal_from_calldesk_is_reported_with_its_reason(socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as fake:
        fake.bind(str(socket_path))
        fake.listen(1)

        def refuse() -> None:
            conn, _ = fake.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b'{"ok":false,"error":"busy"}\n')

        thread = threading.Thread(target=refuse)
        thread.start()
        result = send_event(ring(), socket_path, timeout=WAIT)
        thread.join(WAIT)
    assert (result.status, result.detail, result.delivered) == ("refused", "busy", False)


# -- baresip: framing and events ------------------------------------------------------------


def test_netstrings_decode_however_the_bytes_arrive() -> None:
    stream = encode_netstring(b'{"a":1}') + encode_netstring(b"") + encode_netstring(b"x" * 300)
    decoder = NetstringDecoder()
    assert decoder.feed(stream) == [b'{"a":1}', b"", b"x" * 300]
    one_by_one = NetstringDecoder()
    frames: list[bytes] = []
    for byte in stream:
        frames += one_by_one.feed(bytes([byte]))
    assert frames == [b'{"a":1}', b"", b"x" * 300]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"abc:hello,", "bad netstring length"),
        (b"05:hello,", "bad netstring length"),
        (b"-5:hello,", "bad netstring length"),
        (b"5:hello;", "does not end with a comma"),
        (b"99999999999", "bad netstring length"),  # no colon in sight: not waiting for more
        (b"2000:", "over the 1024 limit"),  # refused before the payload arrives
    ],
)
def test_bad_netstrings_are_refused_at_once(data: bytes, message: str) -> None:
    decoder = NetstringDecoder(max_size=1024)
    with pytest.raises(NetstringError, match=message):
        decoder.feed(data)
    with pytest.raises(NetstringError, match="stopped after an error"):
        decoder.feed(b"2:ok,")
    decoder.reset()
    assert decoder.feed(b"2:ok,") == [b"ok"]


def baresip_message(kind: str, **changes: object) -> dict[str, object]:
    message: dict[str, object] = {
        "event": True,
        "class": "call",
        "type": kind,
        "accountaor": "sip:agent@127.0.0.1:5070",
        "direction": "incoming",
        "peeruri": "sip:1002@127.0.0.1:5072",
        "peerdisplayname": "Pat",
        "id": "286087aed9038b9f",
        "param": "sip:1002@127.0.0.1:5072",
    }
    message.update(changes)
    return {key: value for key, value in message.items() if value is not None}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("CALL_INCOMING", "ring"), ("CALL_ESTABLISHED", "answer"), ("CALL_CLOSED", "hangup")],
)
def test_baresip_call_events_become_phone_events(kind: str, expected: str) -> None:
    event = parse_baresip_event(baresip_message(kind), AT)
    assert event == PhoneEvent(expected, "1002", "Pat", "286087aed9038b9f", AT, "baresip")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "message",
    [
        baresip_message("REGISTER_OK", **{"class": "register"}),
        baresip_message("CALL_RINGING"),
        baresip_message("CALL_RTCP"),
        baresip_message("CALL_ESTABLISHED", direction="outgoing"),
        baresip_message("CALL_INCOMING", event=None),
        baresip_message("CALL_INCOMING", type=["CALL_INCOMING"]),
        {"response": True, "ok": True, "data": "", "token": "t1"},
        ["CALL_INCOMING"],
        "CALL_INCOMING",
    ],
)
def test_other_baresip_messages_are_ignored(message: object) -> None:
    assert parse_baresip_event(message, AT) is None


def test_hostile_baresip_fields_are_tolerated_and_capped() -> None:
    message = baresip_message(
        "CALL_INCOMING", peerdisplayname={"x": 1}, id=7, peeruri='"' + "N" * 3000 + '" <sip:1@h>'
    )
    event = parse_baresip_event(message, AT)
    assert event is not None
    assert (event.number, event.call_id) == ("1", "")
    assert event.name == "N" * MAX_NAME  # the display name in the URI, capped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:4444", ("127.0.0.1", 4444)),
        (":4444", ("127.0.0.1", 4444)),
        ("[::1]:5", ("::1", 5)),
    ],
)
def test_host_and_port_are_read_from_the_setting(text: str, expected: tuple[str, int]) -> None:
    assert parse_hostport(text) == expected


@pytest.mark.parametrize("text", ["", "127.0.0.1", "host:port", "host:0", "host:70000"])
def test_a_bad_host_and_port_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="host:port"):
        parse_hostport(text)


# -- baresip: following a (fake) ctrl_tcp ---------------------------------------------------


class FakeCtrlTcp:
    """A stand-in for baresip's ctrl_tcp: a TCP listener on loopback that the test writes to."""

    def __init__(self, port: int = 0) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(4)
        self.listener.settimeout(WAIT)
        self.port = self.listener.getsockname()[1]

    def accept(self) -> socket.socket:
        conn, _ = self.listener.accept()
        return conn

    def close(self) -> None:
        self.listener.close()


class Links:
    def __init__(self) -> None:
        self.changes: queue.Queue[bool] = queue.Queue()

    def __call__(self, up: bool) -> None:
        self.changes.put(up)

    def get(self) -> bool:
        return self.changes.get(timeout=WAIT)


def send_json(conn: socket.socket, message: object) -> None:
    conn.sendall(encode_netstring(json.dumps(message).encode()))


def test_the_follower_reports_call_events_and_its_link() -> None:
    fake = FakeCtrlTcp()
    inbox, links = Inbox(), Links()
    follower = BaresipFollower("127.0.0.1", fake.port, inbox, links, clock=lambda: AT)
    follower.start()
    try:
        conn = fake.accept()
        assert links.get() is True
        send_json(conn, {"response": True, "ok": True, "data": ""})
        conn.sendall(encode_netstring(b"{not json"))  # skipped, the link stays up
        send_json(conn, baresip_message("REGISTER_OK", **{"class": "register"}))
        send_json(conn, baresip_message("CALL_INCOMING"))
        # two frames in one chunk, the second split across two sends
        both = encode_netstring(json.dumps(baresip_message("CALL_ESTABLISHED")).encode())
        both += encode_netstring(json.dumps(baresip_message("CALL_CLOSED")).encode())
        conn.sendall(both[:-10])
        conn.sendall(both[-10:])
        assert [inbox.get().kind for _ in range(3)] == ["ring", "answer", "hangup"]
        assert inbox.empty()
        assert follower.linked
        conn.close()
    finally:
        follower.stop()
        fake.close()
    assert links.get() is False


def test_the_follower_reconnects_when_baresip_restarts() -> None:
    fake = FakeCtrlTcp()
    port = fake.port
    inbox, links = Inbox(), Links()
    with BaresipFollower("127.0.0.1", port, inbox, links, retry_min=0.05, retry_max=0.2):
        first = fake.accept()
        assert links.get() is True
        first.close()  # baresip quits
        fake.close()
        assert links.get() is False
        fake = FakeCtrlTcp(port)  # baresip is back on the same port
        second = fake.accept()
        assert links.get() is True
        send_json(second, baresip_message("CALL_INCOMING"))
        assert inbox.get().kind == "ring"
        second.close()
    fake.close()


def test_bad_framing_drops_the_link_and_the_follower_reconnects() -> None:
    fake = FakeCtrlTcp()
    inbox, links = Inbox(), Links()
    with BaresipFollower("127.0.0.1", fake.port, inbox, links, retry_min=0.05):
        first = fake.accept()
        assert links.get() is True
        first.sendall(b"12345678901234567890:")  # absurd length: the stream cannot be trusted
        assert links.get() is False
        second = fake.accept()
        assert links.get() is True
        send_json(second, baresip_message("CALL_CLOSED"))
        assert inbox.get().kind == "hangup"
        first.close()
        second.close()
    fake.close()


def test_the_follower_says_once_that_baresip_is_not_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens on this port now
    attempts: list[int] = []
    several = threading.Event()
    connect = socket.create_connection

    def counted(*args: object, **kwargs: object) -> socket.socket:
        attempts.append(1)
        if len(attempts) >= 4:
            several.set()
        return connect(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(baresip.socket, "create_connection", counted)
    links = Links()
    follower = BaresipFollower("127.0.0.1", port, Inbox(), links, retry_min=0.01, retry_max=0.02)
    follower.start()
    assert several.wait(WAIT)
    thread = follower._thread
    follower.stop(timeout=WAIT)
    assert thread is not None and not thread.is_alive()
    assert links.get() is False
    assert links.changes.empty()  # several failed attempts, one report
