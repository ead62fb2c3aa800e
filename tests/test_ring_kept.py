"""A ring is never lost nor misfiled (#15 item 7): ids, the journal, the spool, idle clients."""

from __future__ import annotations

import json
import queue
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path

from calldesk.core.phone.events import PhoneEvent
from calldesk.core.phone.hook import send_event
from calldesk.core.phone.journal import KEEP_HANDLED, EventJournal
from calldesk.core.phone.server import EventServer
from calldesk.core.phone.spool import (
    Spooled,
    append_pending_file,
    pending_file_path,
    read_spooled,
    take_all_spooled,
)
from calldesk.paths import default_data_dir

WAIT = 10.0
AT = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


def ring(number: str = "1001") -> PhoneEvent:
    return PhoneEvent.create("ring", number=number, call_id="c-" + number, at=AT)


class Inbox:
    """Collects events from the server's thread; `block` holds the callback until released."""

    def __init__(self, block: bool = False) -> None:
        self.events: queue.Queue[PhoneEvent] = queue.Queue()
        self.release = threading.Event()
        if not block:
            self.release.set()

    def __call__(self, item: PhoneEvent | Spooled) -> None:
        self.release.wait(WAIT)
        self.events.put(item.event if isinstance(item, Spooled) else item)

    def get(self) -> PhoneEvent:
        return self.events.get(timeout=WAIT)


# -- ids ---------------------------------------------------------------------------------------


def test_each_event_has_an_id_that_survives_the_socket_and_the_spool(tmp_path: Path) -> None:
    first, second = ring(), ring()
    assert first.id and first.id != second.id  # the same caller ringing twice is two events
    assert PhoneEvent.from_dict(json.loads(json.dumps(first.to_dict()))) == first
    append_pending_file(first, tmp_path / "spool.jsonl", "no_answer")
    [kept] = read_spooled(tmp_path / "spool.jsonl")
    assert kept == Spooled(first, "no_answer") and not kept.while_closed


def test_an_event_from_an_older_hook_gets_its_id_from_what_it_carries() -> None:
    old = {"kind": "ring", "number": "1001", "call_id": "a", "at": "2026-11-24T09:30:00+00:00"}
    copy_one, copy_two = PhoneEvent.from_dict(old), PhoneEvent.from_dict(dict(old))
    assert copy_one.id == copy_two.id  # two copies of one event: one id
    other = PhoneEvent.from_dict({**old, "at": "2026-11-24T09:31:00+00:00"})
    assert other.id != copy_one.id


def test_copies_in_the_spool_come_back_once(tmp_path: Path) -> None:
    spool = tmp_path / "spool.jsonl"
    event = ring()
    append_pending_file(event, spool, "no_answer")
    append_pending_file(event, spool, "no_answer")
    append_pending_file(ring("1002"), spool)
    kept = take_all_spooled(None, spool)
    assert [spooled.event.number for spooled in kept] == ["1001", "1002"]
    assert kept[1].while_closed  # an older hook says nothing: it kept it only when closed


# -- the journal: persist before acknowledging --------------------------------------------------


def test_an_event_answered_ok_is_on_disk_before_the_app_handles_it(
    socket_path: Path, tmp_path: Path
) -> None:
    """The app quits right after the hook got ok: the next start still has the event."""
    journal_file = tmp_path / "journal.jsonl"
    inbox = Inbox(block=True)  # the app is busy: it has not handled anything yet
    server = EventServer(socket_path, inbox, journal=EventJournal(journal_file))
    server.start()
    try:
        event = ring()
        assert send_event(event, socket_path, timeout=WAIT).delivered
        # calldesk dies here (kill -9): whatever is on disk is all the next start has
        assert EventJournal(journal_file).recover().unhandled == [event]
    finally:
        inbox.release.set()
        server.stop()


def test_a_handled_event_is_not_shown_again_and_its_id_is_remembered(
    socket_path: Path, tmp_path: Path
) -> None:
    journal_file = tmp_path / "journal.jsonl"
    inbox = Inbox()
    journal = EventJournal(journal_file)
    with EventServer(socket_path, inbox, journal=journal):
        event = ring()
        assert send_event(event, socket_path, timeout=WAIT).delivered
        assert inbox.get() == event
    journal.close()  # the server marks it handled once the callback returns, before stop ends
    recovered = EventJournal(journal_file).recover()
    assert recovered.unhandled == [] and event.id in recovered.handled
    again = EventJournal(journal_file).recover()  # the rewritten journal still knows the id
    assert event.id in again.handled


def test_the_journal_survives_a_half_written_line_and_stays_bounded(tmp_path: Path) -> None:
    journal_file = tmp_path / "journal.jsonl"
    journal = EventJournal(journal_file, durable=False)
    events = [ring(str(n)) for n in range(KEEP_HANDLED + 10)]
    journal.keep(events)
    journal.handled(event.id for event in events[:-1])
    journal.close()
    with journal_file.open("ab") as file:
        file.write(b'{"event":{"kind":"ri')  # a crash mid-line
    recovered = EventJournal(journal_file).recover()
    assert recovered.unhandled == [events[-1]]
    assert len(recovered.handled) == KEEP_HANDLED
    assert events[-2].id in recovered.handled


def test_a_journal_that_cannot_be_written_is_an_error_reply_and_the_event_still_arrives(
    socket_path: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    inbox = Inbox()
    with EventServer(socket_path, inbox, journal=EventJournal(blocked / "journal.jsonl")):
        event = ring()
        result = send_event(event, socket_path, timeout=WAIT)
        assert result.status == "refused" and "could not keep" in result.detail
        assert inbox.get() == event  # the hook keeps a copy too; the app drops it by id


# -- the spool, read while running -----------------------------------------------------------


def test_the_running_server_takes_what_a_hook_kept_in_the_spool(
    socket_path: Path, tmp_path: Path
) -> None:
    spool, journal_file = tmp_path / "spool.jsonl", tmp_path / "journal.jsonl"
    inbox = Inbox()
    journal = EventJournal(journal_file)
    with EventServer(
        socket_path, inbox, journal=journal, spool=spool, on_spooled=inbox, spool_poll=0.05
    ):
        event = ring()
        append_pending_file(event, spool, "no_answer")  # a hook that gave up waiting
        assert inbox.get() == event
    journal.close()
    assert read_spooled(spool) == []
    assert event.id in EventJournal(journal_file).recover().handled


# -- idle clients ------------------------------------------------------------------------------


def test_sixteen_idle_connections_do_not_lock_a_hook_out(socket_path: Path) -> None:
    inbox = Inbox()
    with EventServer(socket_path, inbox, client_timeout=WAIT * 10, first_byte_timeout=WAIT * 10):
        idle = [socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(16)]
        try:
            for sock in idle:
                sock.connect(str(socket_path))
            event = ring()
            result = send_event(event, socket_path, timeout=WAIT)
            assert result.delivered, result
            assert inbox.get() == event
        finally:
            for sock in idle:
                sock.close()


def test_a_client_that_sends_nothing_is_let_go_after_the_first_byte_deadline(
    socket_path: Path,
) -> None:
    server = EventServer(socket_path, Inbox(), client_timeout=WAIT * 10, first_byte_timeout=0.2)
    with server, socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.settimeout(WAIT)  # a server that kept it would make recv time out
        silent.connect(str(socket_path))
        assert silent.recv(1) == b""


# -- the real hook ---------------------------------------------------------------------------


def test_the_hook_keeps_its_event_with_the_reason_when_calldesk_does_not_answer(
    socket_path: Path, tmp_path: Path
) -> None:
    """Something listens but never answers: the hook spools the event, saying why."""
    from calldesk.core.phone.channel import prepare_folder

    prepare_folder(socket_path.parent)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as deaf:
        deaf.bind(str(socket_path))
        deaf.listen(1)
        result = subprocess.run(
            [sys.executable, "-m", "calldesk", "ring", "--number", "1001"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 3, result.stderr
    assert "within a second" in result.stderr
    [kept] = read_spooled(pending_file_path(default_data_dir()))
    assert kept.why == "no_answer" and kept.event.number == "1001" and kept.event.id
