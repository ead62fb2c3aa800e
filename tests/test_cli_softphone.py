"""`calldesk ring|answer|hangup`, run for real as a softphone would run them."""

from __future__ import annotations

import os
import queue
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from calldesk import paths
from calldesk.core.clock import FakeClock
from calldesk.core.phone import spool
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.phone.server import EventServer
from calldesk.core.phone.spool import read_pending_file
from calldesk.core.storage import Database

WAIT = 10.0


def calldesk(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a fresh interpreter, with the test's private dirs."""
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )


@pytest.fixture
def app(socket_path: Path) -> Iterator[queue.Queue[PhoneEvent]]:
    """A running calldesk, as far as the hooks can tell: the event socket, served."""
    events: queue.Queue[PhoneEvent] = queue.Queue()
    with EventServer(socket_path, events.put):
        yield events


def pending_file() -> Path:
    return paths.default_data_dir() / "pending-events.jsonl"


def test_ring_hands_the_caller_to_the_running_app(app: queue.Queue[PhoneEvent]) -> None:
    result = calldesk("ring", "--number", '"Pat Smith" <sip:1001@pbx.example>', "--call-id", "a1")
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "")
    event = app.get(timeout=WAIT)
    assert (event.kind, event.number, event.name, event.call_id, event.source) == (
        "ring",
        "1001",
        "Pat Smith",
        "a1",
        "hook",
    )
    assert not pending_file().exists()


def test_microsip_style_hooks_with_the_number_appended_are_delivered(
    app: queue.Queue[PhoneEvent],
) -> None:
    # MicroSIP runs `<command line from microsip.ini> <caller's number>`, unquoted.
    for args in (
        ("ring", "--", "+44", "20", "7946", "0958"),
        ("answer", "+44", "20", "7946", "0958"),
        ("hangup", "--number", "+44", "20", "7946", "0958"),  # the recipe before `--`
        ("hangup", "--"),  # a withheld caller: MicroSIP appends nothing
    ):
        result = calldesk(*args)
        assert (result.returncode, result.stderr) == (0, ""), args
    events = [app.get(timeout=WAIT) for _ in range(4)]
    assert [(e.kind, e.number) for e in events] == [
        ("ring", "+44 20 7946 0958"),
        ("answer", "+44 20 7946 0958"),
        ("hangup", "+44 20 7946 0958"),
        ("hangup", ""),
    ]


HOSTILE_NUMBERS = ["-h", "--help", "--version", "-", "--", "$(reboot)", ";rm -rf ~", "-1 --name x"]


@pytest.mark.parametrize("number", HOSTILE_NUMBERS)
def test_after_the_double_dash_any_number_is_a_number(
    app: queue.Queue[PhoneEvent], number: str
) -> None:
    # MicroSIP appends the caller's number unquoted; through `wsl.exe -e` Windows splits it
    # into words. Both ways, `--` ends the options and the number is delivered as sent.
    for words in ([number], number.split()):
        result = calldesk("ring", "--source=microsip", "--", *words)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), words
        event = app.get(timeout=WAIT)
        assert (event.kind, event.number, event.name, event.source) == (
            "ring",
            number,
            "",
            "microsip",
        )


@pytest.mark.parametrize("kind", ["ring", "answer", "hangup"])
def test_every_hook_takes_options_then_a_double_dash_then_the_caller(
    app: queue.Queue[PhoneEvent], kind: str
) -> None:
    for args, number in (
        (["--name", "Pat", "--call-id", "a1", "--", "-h"], "-h"),
        (["--number", "1001", "--name", "Pat", "--call-id", "a1", "--"], "1001"),
        (["--name", "Pat", "--call-id", "a1", "--", "--", "--help"], "-- --help"),
        (["--name", "Pat", "--call-id", "a1", "--"], ""),  # a withheld caller: nothing appended
    ):
        result = calldesk(kind, *args)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), args
        event = app.get(timeout=WAIT)
        assert (event.kind, event.number, event.name, event.call_id) == (kind, number, "Pat", "a1")


def test_without_calldesk_a_hostile_number_after_the_double_dash_is_kept(
    socket_path: Path,
) -> None:
    result = calldesk("ring", "--", "--version")
    assert (result.returncode, result.stdout) == (3, "")
    assert "the call from --version was kept" in result.stderr
    [event] = read_pending_file(pending_file())
    assert event.number == "--version"


def test_the_help_shows_where_the_double_dash_goes() -> None:
    result = calldesk("ring", "--help")
    assert result.returncode == 0
    assert "calldesk ring --source=microsip -- 1001" in " ".join(result.stdout.split())


def test_twinkle_style_hooks_with_odd_values_are_delivered(app: queue.Queue[PhoneEvent]) -> None:
    # The Twinkle recipe passes environment variables with --opt=VALUE, so a value that
    # starts with a dash, or is empty, is still a value.
    result = calldesk("ring", "--number=-1", "--name=", "--call-id=abc@127.0.0.1")
    assert (result.returncode, result.stderr) == (0, "")
    event = app.get(timeout=WAIT)
    assert (event.number, event.name, event.call_id) == ("-1", "", "abc@127.0.0.1")


def test_without_calldesk_the_call_is_kept_in_a_private_file(socket_path: Path) -> None:
    result = calldesk("ring", "--number", "sip:+44 20 7946 0958@pbx.example;user=phone")
    assert result.returncode == 3
    assert result.stderr == (
        "calldesk is not running: the call from +44 20 7946 0958 was kept and will show "
        "when calldesk starts.\n"
    )
    assert stat.S_IMODE(pending_file().stat().st_mode) == 0o600
    [event] = read_pending_file(pending_file())
    assert (event.kind, event.number) == ("ring", "+44 20 7946 0958")


def test_a_link_in_place_of_the_socket_folder_is_named_and_the_event_kept(
    socket_path: Path,
) -> None:
    # calldesk may run (it reads the spool) but cannot make its socket folder: say why.
    socket_path.parent.symlink_to(socket_path.parent.with_name("nowhere"))
    result = calldesk("ring", "--number", "1001")
    assert result.returncode == 3
    assert result.stderr == (
        f"calldesk cannot be reached: its socket folder {socket_path.parent} is in the way"
        " (a link to nowhere or a file; remove it): the call from 1001 was kept; a running"
        " calldesk takes it from there within a second, or shows it when it starts.\n"
    )
    [event] = read_pending_file(pending_file())
    assert (event.kind, event.number) == ("ring", "1001")


def test_without_calldesk_the_event_goes_to_the_one_spool_even_with_a_database(
    socket_path: Path, clock: FakeClock
) -> None:
    database = paths.default_data_dir() / "calldesk.db"
    Database.open(database, clock).close()
    result = calldesk("hangup", "--call-id", "a1", "tel:+1-555-0100")
    assert result.returncode == 3
    assert "the end of the call from +1-555-0100 was kept" in result.stderr
    with Database.open(database, clock) as store:
        assert spool.take_legacy_events(store) == []
    [event] = read_pending_file(pending_file())
    assert (event.kind, event.number, event.call_id) == ("hangup", "+1-555-0100", "a1")


def test_a_stale_socket_from_a_crashed_app_counts_as_not_running(socket_path: Path) -> None:
    socket_path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(socket_path))
    crashed.close()
    result = calldesk("answer", "--call-id", "a1")
    assert result.returncode == 3
    assert result.stderr.startswith("calldesk is not running: the answer to a call was kept")


def test_hostile_caller_data_cannot_reach_the_terminal(socket_path: Path) -> None:
    result = calldesk("ring", "--number", "\x1b]0;pwned\x07\x1b[2J1001\nrm -rf ~")
    assert result.returncode == 3
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2J1001 rm -rf ~" in result.stderr
    assert result.stderr.count("\n") == 1


def twinkle_script() -> str:
    """The Twinkle recipe exactly as the user guide's softphone page gives it."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "softphones.md").read_text("utf-8")
    marker = text.find("<!-- twinkle-script")
    if marker < 0:
        pytest.fail(
            "the Twinkle recipe (marked <!-- twinkle-script -->) is not in docs/softphones.md"
        )
    start = text.index("```sh\n", marker) + len("```sh\n")
    return text[start : text.index("```", start)]


def test_the_documented_twinkle_script_passes_hostile_caller_data_safely(
    app: queue.Queue[PhoneEvent], tmp_path: Path
) -> None:
    launcher = tmp_path / "calldesk"
    launcher.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m calldesk "$@"\n')
    launcher.chmod(0o755)
    script = tmp_path / "calldesk-twinkle"
    lines = twinkle_script().splitlines()
    [index] = [i for i, line in enumerate(lines) if line.startswith("calldesk=")]
    lines[index] = f"calldesk={launcher}"
    script.write_text("\n".join(lines) + "\n")
    script.chmod(0o755)
    canary = tmp_path / "pwned"
    hostile = {
        "SIP_FROM_USER": f"-1$(touch {canary})",
        "SIP_FROM_DISPLAY": f'Pat`touch {canary}` "Evil" --number=666; touch {canary}',
        "SIP_CALL_ID": "a1@127.0.0.1",
    }
    for trigger in ("in_call", "in_call_answered", "remote_release", "out_call"):
        result = subprocess.run(
            [str(script)],
            env={**os.environ, **hostile, "TWINKLE_TRIGGER": trigger},
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        # Twinkle reads the incoming-call script's stdout as instructions: it must stay empty.
        assert (result.returncode, result.stdout, result.stderr) == (0, "", ""), trigger
    events = [app.get(timeout=WAIT) for _ in range(3)]
    assert [(e.kind, e.call_id, e.source) for e in events] == [
        ("ring", "a1@127.0.0.1", "twinkle"),
        ("answer", "a1@127.0.0.1", "twinkle"),
        ("hangup", "a1@127.0.0.1", "twinkle"),
    ]
    assert events[0].number == hostile["SIP_FROM_USER"]
    assert events[0].name == hostile["SIP_FROM_DISPLAY"]
    assert not canary.exists()
    assert app.empty()  # out_call is not one of ours


def test_usage_errors_exit_with_2() -> None:
    result = calldesk("ring", "--bogus")
    assert result.returncode == 2
    assert "unrecognized arguments: --bogus" in result.stderr


def test_when_nothing_can_keep_the_event_the_hook_says_so_and_exits_1(
    socket_path: Path, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "data-file"
    not_a_folder.write_text("")
    result = calldesk("--data-dir", str(not_a_folder), "ring", "--number", "1001")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "calldesk: error: calldesk is not running, and the call from 1001 could not be kept"
    )


def test_the_hooks_never_import_the_tui_or_the_phrase_library(app: queue.Queue[PhoneEvent]) -> None:
    script = (
        "import sys\n"
        "from calldesk.cli.main import main\n"
        "code = main(['ring', '--number', '1001'])\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'yaml'})\n"
        "print(code, ','.join(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=WAIT, check=False
    )
    assert result.stdout.split() == ["0"], result.stderr
    assert app.get(timeout=WAIT).number == "1001"


def test_the_help_documents_the_exit_codes() -> None:
    result = calldesk("hangup", "--help")
    assert result.returncode == 0
    assert "3  calldesk is not running" in result.stdout
