"""Nothing in a phrase folder can hang calldesk, and ctrl+q quits whatever a worker is doing."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.pty_app import PtyApp, app_env

from calldesk.config import load_settings
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.clock import SystemClock
from calldesk.core.library.loader import load_library
from calldesk.core.library.yamlfile import read_yaml
from calldesk.core.storage import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs FIFOs and a pty")

GOOD = """\
category: Team
phrases:
  - id: team-hello
    title: Team hello
    say: Hello from the team.
"""


def finishes(job: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Run `job` on a daemon thread; fail (instead of hanging the suite) if it never returns."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(job()), daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "it blocked"
    return result[0]


@pytest.fixture
def team(tmp_path: Path) -> Path:
    """A shared team folder someone left a FIFO in, beside a good file."""
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    os.mkfifo(folder / "trap.yaml")
    return folder


def test_a_fifo_is_refused_without_being_opened_for_good(team: Path) -> None:
    doc = finishes(lambda: read_yaml(team / "trap.yaml"))
    (problem,) = doc.problems
    assert problem.message == "this is a named pipe (FIFO), not a file; it was not read"


def test_a_socket_and_a_device_are_refused_too(tmp_path: Path) -> None:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.yaml"))
    try:
        doc = finishes(lambda: read_yaml(tmp_path / "sock.yaml"))
        assert "this is a socket, not a file" in doc.problems[0].message
    finally:
        server.close()
    (tmp_path / "tty.yaml").symlink_to("/dev/null")  # a character device behind a link
    doc = finishes(lambda: read_yaml(tmp_path / "tty.yaml"))
    assert "this is a device, not a file" in doc.problems[0].message


def test_the_library_loads_the_rest_of_the_folder(team: Path) -> None:
    library = finishes(lambda: load_library([team], optional=()))
    assert [phrase.id for phrase in library.phrases] == ["team-hello"]
    assert [(p.path.name, p.message) for p in library.problems] == [
        ("trap.yaml", "this is a named pipe (FIFO), not a file; it was not read")
    ]


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_phrases_check_and_export_finish_with_a_problem_line(team: Path, tmp_path: Path) -> None:
    check = run_cli("--no-bundled-phrases", "--phrase-dir", str(team), "phrases", "check")
    assert check.returncode == 1
    assert f"{team / 'trap.yaml'}: error: this is a named pipe (FIFO)" in check.stdout
    data = tmp_path / "data"
    with Database.open(data / "calldesk.db", SystemClock()) as store:
        call = call_records.start_call(store, "Ann")
        call_records.add_note(store, call.id, "printer jams")
        call_records.end_call(store, call.id)
    export = run_cli("--data-dir", str(data), "--phrase-dir", str(team), "export", "--all")
    assert export.returncode == 0, export.stderr
    assert "printer jams" in export.stdout


def wait_exit(app: PtyApp, timeout: float = 15.0) -> float:
    """Seconds from now until the process ended; fails if it never does."""
    start = time.monotonic()
    while app.process.poll() is None and time.monotonic() - start < timeout:
        app.pump(0.02)
    assert app.process.poll() is not None, "ctrl+q did not quit:\n" + app.text()
    return time.monotonic() - start


def lock_is_free() -> bool:
    try:
        Database.open(load_settings().database_path, SystemClock()).close()
    except Exception:
        return False
    return True


# A stand-in for a worker stuck for good (a read on a hung network mount): the phrase
# loader blocks for ever in the real calldesk, started exactly as the installed command is.
STUCK_LOADER = (
    "import threading, calldesk.core.library.loader as loader\n"
    "loader.read_yaml = lambda *args, **kwargs: threading.Event().wait()\n"
    "from calldesk.cli.main import main\n"
    "raise SystemExit(main())\n"
)


@pytest.mark.parametrize("stuck", [False, True], ids=["fifo-in-team-folder", "stuck-worker"])
def test_ctrl_q_quits_and_frees_the_database(private_dirs: Path, team: Path, stuck: bool) -> None:
    command = (sys.executable, "-c", STUCK_LOADER) if stuck else (sys.executable, "-m", "calldesk")
    app = PtyApp(app_env(private_dirs), args=("--phrase-dir", str(team)), command=command)
    try:
        assert app.wait_for("NO CALL", 30), app.text()
        if not stuck:
            assert app.wait_for("trap.yaml", 30), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        app.type("printer jams", per_key=0.02)
        app.press("enter")
        assert app.wait_for("printer jams"), app.text()
        os.write(app.master, b"\x11")  # ctrl+q
        wait_exit(app)
    finally:
        app.kill()
    assert lock_is_free()
    store = Database.open_readonly(load_settings().database_path, SystemClock())
    call = call_history.open_call(store)
    store.close()
    assert call is not None and [note.text for note in call.notes] == ["printer jams"]


def test_a_fifo_named_directly_is_reported_as_one(team: Path) -> None:
    check = run_cli("--no-bundled-phrases", "phrases", "check", str(team / "trap.yaml"))
    assert check.returncode == 1
    assert "this is a named pipe (FIFO), not a file" in check.stdout
