"""End to end with a real softphone: two baresip instances call each other on loopback.

The callee's ctrl_tcp is followed by `BaresipFollower`; the caller is driven over its own
ctrl_tcp. Needs Debian's `baresip-core` (1.0.0): `apt-get install baresip-core`.
"""

from __future__ import annotations

import json
import queue
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from calldesk.core.calls import records as call_records
from calldesk.core.phone.baresip import BaresipFollower, NetstringDecoder, encode_netstring
from calldesk.core.phone.events import PhoneEvent

WAIT = 15.0
"""Generous bound for each step (baresip start, ringing, hangup); steps end as soon as done."""

CONFIG = """\
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:{sip_port}
net_interface\t\t127.0.0.1
call_local_timeout\t120
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\tausine.so
module\t\t\taufile.so
module\t\t\taubridge.so
audio_source\t\tausine,440
audio_player\t\taubridge,nil
audio_alert\t\taubridge,nil
ausrc_srate\t\t48000
ausrc_channels\t\t2
module_tmp\t\tuuid.so
module_tmp\t\taccount.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}
"""


_taken: set[int] = set()


def _free(port: int, kind: socket.SocketKind) -> bool:
    with socket.socket(socket.AF_INET, kind) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A loopback port free for TCP and UDP, with the next one free too.

    SIP listens on the port over UDP and TCP, and baresip 1.0 also opens SIP/TLS on port + 1
    even without a certificate. Ports handed out before are not handed out again.
    """
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
        block = {port, port + 1}
        if port + 1 > 65535 or block & _taken:
            continue
        if all(_free(p, k) for p in block for k in (socket.SOCK_STREAM, socket.SOCK_DGRAM)):
            _taken.update(block)
            return port
    raise RuntimeError("no free loopback port")


@dataclass
class Baresip:
    user: str
    sip_port: int
    ctrl_port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def uri(self) -> str:
        return f"sip:{self.user}@127.0.0.1:{self.sip_port}"

    def wait_ready(self) -> bool:
        """Until ctrl_tcp accepts a connection (it loads last, after the SIP stack)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)  # polling a starting process: there is nothing to wait on
        return False

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_baresip(folder: Path, account: str, user: str) -> Baresip:
    """Start baresip in `folder`; tries fresh ports if another program took one meanwhile."""
    folder.mkdir()
    for _ in range(3):
        sip_port, ctrl_port = free_port(), free_port()
        (folder / "config").write_text(CONFIG.format(sip_port=sip_port, ctrl_port=ctrl_port))
        (folder / "accounts").write_text(account.format(port=sip_port) + "\n")
        log = folder / "baresip.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["baresip", "-f", str(folder)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        phone = Baresip(user, sip_port, ctrl_port, process, log)
        if phone.wait_ready():
            return phone
        phone.stop()
        if "Address already in use" not in log.read_text(errors="replace"):
            break
    pytest.fail(f"baresip did not start:\n{log.read_text(errors='replace')}")


class Control:
    """A ctrl_tcp client for the caller: sends commands, reads replies as they come."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.decoder = NetstringDecoder()
        self.messages: list[dict[str, object]] = []

    def command(self, command: str, params: str = "") -> dict[str, object]:
        token = f"t{time.monotonic_ns()}"
        request = {"command": command, "params": params, "token": token}
        self.sock.sendall(encode_netstring(json.dumps(request).encode()))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for message in self.messages:
                if message.get("response") and message.get("token") == token:
                    return message
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            data = self.sock.recv(65536)
            if not data:
                break
            self.messages += [json.loads(frame) for frame in self.decoder.feed(data)]
        pytest.fail(f"no reply to {command!r}")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def phones(tmp_path: Path) -> Iterator[tuple[Baresip, Baresip, Baresip]]:
    """A caller, a callee that answers by hand and one that answers at once."""
    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed (apt-get install baresip-core)")
    started: list[Baresip] = []
    try:
        caller = start_baresip(
            tmp_path / "caller", '"Pat Smith" <sip:1002@127.0.0.1:{port}>;regint=0', "1002"
        )
        started.append(caller)
        callee = start_baresip(
            tmp_path / "callee", '"Agent" <sip:agent@127.0.0.1:{port}>;regint=0', "agent"
        )
        started.append(callee)
        auto = start_baresip(
            tmp_path / "auto",
            '"Agent" <sip:agent@127.0.0.1:{port}>;regint=0;answermode=auto',
            "agent",
        )
        started.append(auto)
        yield caller, callee, auto
    finally:
        for phone in started:
            phone.stop()


class Recorder:
    def __init__(self) -> None:
        self.events: queue.Queue[PhoneEvent] = queue.Queue()
        self.links: queue.Queue[bool] = queue.Queue()

    def next_event(self) -> PhoneEvent:
        try:
            return self.events.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail("no call event from baresip")


def follow(phone: Baresip, recorder: Recorder) -> BaresipFollower:
    follower = BaresipFollower(
        "127.0.0.1", phone.ctrl_port, recorder.events.put, recorder.links.put, retry_min=0.1
    )
    follower.start()
    assert recorder.links.get(timeout=WAIT) is True
    return follower


def test_a_real_call_rings_and_hangs_up(phones: tuple[Baresip, Baresip, Baresip]) -> None:
    caller, callee, _ = phones
    recorder = Recorder()
    follower = follow(callee, recorder)
    control = Control(caller.ctrl_port)
    try:
        assert control.command("dial", callee.uri)["ok"] is True
        ring = recorder.next_event()
        assert (ring.kind, ring.name, ring.number, ring.source) == (
            "ring",
            "Pat Smith",
            "1002",
            "baresip",
        )
        assert ring.call_id
        assert control.command("hangup")["ok"] is True
        hangup = recorder.next_event()
        assert (hangup.kind, hangup.number, hangup.call_id) == ("hangup", "1002", ring.call_id)
    finally:
        control.close()
        follower.stop()
    assert recorder.links.get(timeout=WAIT) is False


def test_an_auto_answered_call_is_answered_then_ended(
    phones: tuple[Baresip, Baresip, Baresip],
) -> None:
    caller, _, auto = phones
    recorder = Recorder()
    follower = follow(auto, recorder)
    control = Control(caller.ctrl_port)
    try:
        assert control.command("dial", auto.uri)["ok"] is True
        answer = recorder.next_event()
        # baresip 1.0 sends no CALL_INCOMING for a call it answers by itself (answermode=auto):
        # the first event is the answer, so the app must be able to start a call from it.
        assert (answer.kind, answer.name, answer.number) == ("answer", "Pat Smith", "1002")
        assert control.command("hangup")["ok"] is True
        hangup = recorder.next_event()
        assert (hangup.kind, hangup.call_id) == ("hangup", answer.call_id)
    finally:
        control.close()
        follower.stop()


def test_the_follower_picks_baresip_up_again_after_a_restart(
    phones: tuple[Baresip, Baresip, Baresip], tmp_path: Path
) -> None:
    caller, callee, _ = phones
    recorder = Recorder()
    follower = follow(callee, recorder)
    try:
        callee.stop()
        assert recorder.links.get(timeout=WAIT) is False
        with callee.log.open("ab") as out:
            callee.process = subprocess.Popen(
                ["baresip", "-f", str(tmp_path / "callee")],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        assert recorder.links.get(timeout=WAIT) is True
        control = Control(caller.ctrl_port)
        try:
            assert control.command("dial", callee.uri)["ok"] is True
            assert recorder.next_event().kind == "ring"
            control.command("hangup")
            assert recorder.next_event().kind == "hangup"
        finally:
            control.close()
    finally:
        follower.stop()
        callee.stop()


async def test_calldesk_pops_the_call_from_a_real_phone_and_a_caller_who_gives_up_is_missed(
    phones: tuple[Baresip, Baresip, Baresip],
) -> None:
    """A call from a second baresip opens the record in the app; hung up unanswered, missed."""
    from tests.tui_helpers import wait_until

    from calldesk.config import load_settings
    from calldesk.core.clock import SystemClock
    from calldesk.core.storage import Database
    from calldesk.tui.app import make_app
    from calldesk.tui.dialogs.outcome import OutcomeDialog

    caller, callee, _ = phones
    settings = load_settings(overrides={"softphone.baresip": f"127.0.0.1:{callee.ctrl_port}"})
    store = Database.open(settings.database_path, SystemClock())
    earlier = call_records.start_call(store, "Pat Smith", "1002")
    call_records.add_note(store, earlier.id, "printer jams on tray two")
    call_records.end_call(store, earlier.id)
    store.close()

    app = make_app(settings)

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_link == "☎ baresip")
        control = Control(caller.ctrl_port)
        try:
            assert control.command("dial", callee.uri)["ok"] is True
            await wait_until(pilot, lambda: app.desk.call is not None)
            call = app.desk.call
            assert (call.caller_name, call.caller_number) == ("Pat Smith", "1002")
            card = app.screen.query_one("#caller-card")
            await wait_until(pilot, lambda: card.display)
            assert "printer jams on tray two" in str(card.render())
            assert control.command("hangup")["ok"] is True
            await wait_until(pilot, lambda: app.desk.call is None)
            await pilot.pause()
            assert call.missed and not isinstance(app.screen, OutcomeDialog)
        finally:
            control.close()


async def test_a_call_answered_on_a_real_phone_ends_in_the_after_call_flow(
    phones: tuple[Baresip, Baresip, Baresip],
) -> None:
    from tests.tui_helpers import wait_until

    from calldesk.config import load_settings
    from calldesk.tui.app import make_app
    from calldesk.tui.dialogs.outcome import OutcomeDialog

    caller, _, auto = phones
    settings = load_settings(overrides={"softphone.baresip": f"127.0.0.1:{auto.ctrl_port}"})
    app = make_app(settings)

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.phone_link == "☎ baresip")
        control = Control(caller.ctrl_port)
        try:
            assert control.command("dial", auto.uri)["ok"] is True
            await wait_until(pilot, lambda: app.desk.call is not None)
            call = app.desk.call
            assert call.caller_number == "1002" and call.answered_at is not None
            assert control.command("hangup")["ok"] is True
            await wait_until(pilot, lambda: isinstance(app.screen, OutcomeDialog))
            assert app.desk.call is None and not call.missed
        finally:
            control.close()
