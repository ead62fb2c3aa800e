"""Test-wide fixtures: every test gets its own config, data and runtime dirs, never the user's."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import textual.app
import textual.pilot
from hypothesis import settings as hypothesis_settings
from tests.pty_app import RUNTIME_DIRS

from calldesk.config import Settings, load_settings
from calldesk.core.clock import FakeClock
from calldesk.tui import typeahead

# The suite must give the same answer on every machine: by default Hypothesis replays the same
# examples (derandomized) and never fails a property for being slow on a busy machine. Search
# for new counterexamples with HYPOTHESIS_PROFILE=explore (random, more examples).
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
hypothesis_settings.register_profile("explore", deadline=None, max_examples=2000)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


async def _until_the_event_loop_is_idle(min_sleep: float = 0.0, max_sleep: float = 1.0) -> None:
    """Stands in for Textual's `wait_for_idle` in Pilot: run the event loop until nothing is ready.

    Pilot's own version sleeps in 20 ms steps until the process's CPU time stops moving: at
    least 40 ms per key pressed, up to a second while any thread works (the phrase loader, the
    note writer), so it made most of the suite's time; and under load a starved process looks
    idle, so it guessed wrong exactly when the machine was busy. Here the loop turns until no
    callback is ready to run: a pressed key has then gone through the app, the screen and the
    focused widget, and whatever they posted has been handled. What happens later (workers,
    threads, screens pushed by them) the tests wait for by state: `wait_for_screen`,
    `wait_until`.
    """
    loop = asyncio.get_running_loop()
    # A hold never outlives SCREEN_WAIT, unless the app stopped with keys held (its timers
    # are gone then): never wait longer than a hold can last.
    hold_deadline = time.monotonic() + typeahead.SCREEN_WAIT
    for _ in range(10_000):
        await asyncio.sleep(0)
        if typeahead.HOLDING and time.monotonic() < hold_deadline:
            await asyncio.sleep(0.005)  # keys wait for a repaint (calldesk.tui.typeahead)
            continue
        if not getattr(loop, "_ready", None):  # CPython's queue of callbacks ready to run
            return


textual.app.wait_for_idle = _until_the_event_loop_is_idle  # type: ignore[assignment]
textual.pilot.wait_for_idle = _until_the_event_loop_is_idle  # type: ignore[assignment]


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: two workers per core. Most tests wait on an app in another thread or process
    (Pilot, a pty, a subprocess), so one per core left the cores half idle: on 2 cores the
    suite took 250 s with 2 workers and 197 s with 4."""
    return 2 * (os.cpu_count() or 1)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Hand the `slow` tests (several seconds each: pty sessions, slow disks, 10,000 notes) to
    the workers first, so none of them starts last and keeps the run going alone. While you
    work, `-m "not slow"` leaves them out."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point every XDG and CALLDESK variable at tmp_path so no test touches real user files."""
    home = tmp_path / "home"
    for variable, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        path = home / sub
        path.mkdir(parents=True, mode=0o700)
        monkeypatch.setenv(variable, str(path))
    # The softphone socket's folder. A socket path holds 107 bytes, and pytest's temp dirs are
    # deeper under xdist (…/popen-gw0/…) or a long TMPDIR: the app then rightly says hooks
    # cannot reach it, and every ring test failed. A short private folder of the test's own.
    short_tmp = "/tmp" if os.path.isdir("/tmp") else None
    runtime = Path(tempfile.mkdtemp(prefix="cd-run-", dir=short_tmp))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    RUNTIME_DIRS[home] = runtime
    monkeypatch.setenv("HOME", str(home))
    # Times on screen and in exports are local: pin the zone so snapshots match on any machine.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    for variable in (
        "CALLDESK_CONFIG",
        "CALLDESK_DATA_DIR",
        "CALLDESK_PHRASE_DIRS",
        "CALLDESK_USER_PHRASE_DIR",
        "CALLDESK_AGENT",
        "CALLDESK_BARESIP",
        "CALLDESK_COOLDOWN_MINUTES",
    ):
        monkeypatch.delenv(variable, raising=False)
    # ctrl+y runs the system clipboard tool where the session has one: never the real one here.
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "WSL_DISTRO_NAME", "WSL_INTEROP", "TMUX"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr("calldesk.tui.clipboard.PLATFORM", "test")
    # F1 names the new-line keys the terminal can tell apart: pin the terminal for snapshots.
    for variable in ("WT_SESSION", "TERM_PROGRAM"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr("calldesk.tui.terminal_input.TERMINAL.kitty_flags", 0)
    yield home
    del RUNTIME_DIRS[home]
    shutil.rmtree(runtime, ignore_errors=True)


@pytest.fixture
def settings(private_dirs: Path) -> Settings:
    """Settings read as the app would, inside the private dirs."""
    return load_settings()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def socket_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The socket path calldesk will use, moved to a short folder if the test dir is too deep.

    Unix socket paths are limited to about 100 bytes, and pytest's temp dirs can be longer.
    """
    from calldesk.core.phone.channel import MAX_SUN_PATH, socket_path
    from calldesk.paths import runtime_dir

    path = socket_path(runtime_dir())
    if len(os.fsencode(path)) <= MAX_SUN_PATH:
        yield path
        return
    short = Path(tempfile.mkdtemp(prefix="cd-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short))
    yield socket_path(runtime_dir())
    shutil.rmtree(short, ignore_errors=True)
