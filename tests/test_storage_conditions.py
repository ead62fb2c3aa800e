"""Shared and broken storage: a second calldesk, an unwritable data folder, a full disk.

The promise in each case: the agent is told at once, what they type stays on screen and in
memory, the call can still be exported from memory, and the database is never damaged.

Tests run as root here, which ignores file modes, so the conditions are made for real:
- unwritable data folder: the real calldesk runs without CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
  and CAP_FOWNER (dropped from its bounding set before exec, so root obeys modes like anyone)
  on a root-owned 0500 folder; in-process (Pilot) the data folder lies below a regular file;
- full disk: a 2 MiB tmpfs is mounted and filled up (skipped, with the reason, where mounting
  is not permitted), and, everywhere, the real calldesk runs with RLIMIT_FSIZE just above the
  database's size, so its writes fail with EFBIG as they would on a full disk.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.pty_app import PtyApp, app_env
from tests.tui_helpers import build_app, type_text, wait_for_screen

from calldesk.config import Settings, load_settings
from calldesk.core.calls import history as call_history
from calldesk.core.clock import FakeClock, SystemClock
from calldesk.core.storage import Database
from calldesk.tui.app import CalldeskApp
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.widgets.notes_pane import NoteItem

pytestmark = pytest.mark.skipif(
    sys.platform != "linux", reason="uses Linux capabilities and mounts"
)

CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER = 1, 2, 3
PR_CAPBSET_DROP = 24


# -- helpers ----------------------------------------------------------------------------------


def database(home: Path) -> Path:
    return home / "data" / "calldesk" / "calldesk.db"


def check_sound(path: Path) -> list[str]:
    """integrity_check is ok and calldesk opens the file without moving it aside; the notes."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
    with Database.open(path, SystemClock()) as store:
        assert store.recovered_from is None
        call = call_history.open_call(store)
    assert call is not None
    return [note.text for note in call.notes]


def spawn(env: dict[str, str], preexec: Callable[[], None] | None = None) -> PtyApp:
    """The real calldesk on a pty, with `preexec` run in the child before it starts."""
    return PtyApp(env, preexec=preexec)


def wait_until(app: PtyApp, condition: Callable[[str], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.pump(0.1)
        if condition(app.text()):
            return True
    return False


def drop_root_file_powers() -> None:
    """In the child: lose the capabilities that let root ignore file modes (before exec)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def can_drop_capabilities() -> str:
    """Empty if dropping works here, else why not."""
    try:
        result = subprocess.run(
            [sys.executable, "-c", "pass"], preexec_fn=drop_root_file_powers, check=False
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"cannot drop capabilities here: {error}"
    return "" if result.returncode == 0 else "cannot drop capabilities here"


def file_size_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def recorded_notifications(app: CalldeskApp) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    original = app.notify

    def notify(message: str, **kwargs: object) -> None:
        seen.append((str(kwargs.get("title", "")), message))
        original(message, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    return seen


async def export_with_f10(app: CalldeskApp, pilot, folder: Path) -> str:  # type: ignore[no-untyped-def]
    """Press F10 and read the Markdown file the app wrote for the open call."""
    await pilot.press("f10")
    for _ in range(200):
        files = list(folder.glob("*.md"))
        if files:
            break
        await pilot.pause(0.05)
    assert len(files) == 1, files
    return files[0].read_text(encoding="utf-8")


# -- two calldesks on one data folder -----------------------------------------------------------


@pytest.mark.slow
def test_a_second_calldesk_is_read_only_and_the_first_keeps_recording(private_dirs: Path) -> None:
    env = app_env(private_dirs)
    first = PtyApp(env)
    second: PtyApp | None = None
    try:
        assert first.wait_for("NO CALL", timeout=30), first.text()
        first.press("f2")
        first.type("before the second window", per_key=0.01)
        first.press("enter")
        assert first.wait_for("1 note"), first.text()

        second = PtyApp(env)
        assert second.wait_for("already open", timeout=30), second.text()
        assert second.wait_for("read-only"), second.text()
        second.press("f2")  # refused: this window cannot record calls
        assert second.wait_for("Read-only window"), second.text()
        assert "NO CALL" in second.text()

        first.type("after the second window", per_key=0.01)
        first.press("enter")
        assert first.wait_for("2 notes"), first.text()
        first.type("a draft", per_key=0.01)
        first.pump(0.5)
        assert "NOT SAVED" not in first.text()
        assert second.quit() == 0
        second.kill()
        second = None
        assert first.quit() == 0
    finally:
        first.kill()
        if second is not None:
            second.kill()
    assert check_sound(database(private_dirs)) == [
        "before the second window",
        "after the second window",
    ]


# -- an unwritable data folder -------------------------------------------------------------------


def test_an_unwritable_data_folder_is_reported_and_notes_stay_on_screen(private_dirs: Path) -> None:
    why = can_drop_capabilities()
    if why:
        pytest.skip(why)
    data = private_dirs / "data" / "calldesk"
    data.mkdir(parents=True)
    data.chmod(0o500)  # root's own folder, but without CAP_DAC_OVERRIDE root cannot write it
    app = spawn(app_env(private_dirs), drop_root_file_powers)
    try:
        assert app.wait_for("NO CALL", timeout=30), app.text()
        assert app.wait_for("Notes are NOT being saved"), app.text()
        assert app.wait_for("NOT SAVED"), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        app.type("kept in memory", per_key=0.01)
        app.press("enter")
        app.type("a draft too", per_key=0.01)
        assert app.wait_for("kept in memory") and app.wait_for("a draft too"), app.text()
        assert app.process.poll() is None  # still running
    finally:
        app.kill()
    assert list(data.iterdir()) == []  # nothing could be written, nothing was half-written


def unwritable_settings(private_dirs: Path) -> Settings:
    """A data folder that cannot exist: its parent is a file (ENOTDIR, whoever you are)."""
    blocker = private_dirs / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be\n")
    overrides = {"data_dir": blocker / "calldesk", "export_dir": private_dirs / "exports"}
    return load_settings(overrides=overrides)


async def test_without_a_database_the_open_call_lives_in_memory_and_exports(
    private_dirs: Path, clock: FakeClock
) -> None:
    settings = unwritable_settings(private_dirs)
    app = build_app(settings, clock)
    notices = recorded_notifications(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.store is None and app.save_state == "NOT SAVED"
        await pilot.press("f2")
        await type_text(pilot, "router reset twice")
        await pilot.press("enter")
        await type_text(pilot, "unfinished")
        await pilot.pause()
        assert [str(item.entry.text) for item in app.screen.query(NoteItem)] == [
            "router reset twice"
        ]
        assert app.desk.call is not None and app.desk.call.draft == "unfinished"
        exported = await export_with_f10(app, pilot, settings.export_dir)
        assert "router reset twice" in exported and "unfinished" in exported
    # The warning came at start-up, before anything was typed (notices is filled at mount).
    titles = [title for title, _ in notices]
    assert "Notes are NOT being saved" in titles


async def test_quitting_a_call_that_was_never_saved_asks_first(
    private_dirs: Path, clock: FakeClock
) -> None:
    app = build_app(unwritable_settings(private_dirs), clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "only in memory")
        await pilot.press("enter", "ctrl+q")
        await wait_for_screen(pilot, ConfirmDialog)  # asked behind the queued writes
        assert app.is_running
        assert isinstance(app.screen, ConfirmDialog)


# -- a full disk ---------------------------------------------------------------------------------


@contextlib.contextmanager
def small_tmpfs(where: Path, size: str = "2m") -> Iterator[Path]:
    where.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip() or mounted.returncode})")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def fill(folder: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to make room again)."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    # Unbuffered: a buffered file keeps what did not fit and fails again when it is closed.
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
    with contextlib.suppress(OSError), filler.open("ab", buffering=0) as handle:  # the last bytes
        while True:
            handle.write(b"\0")
    return filler


async def wait_for(pilot, condition: Callable[[], bool], tries: int = 200) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(tries):
        if condition():
            return True
        await pilot.pause(0.05)
    return condition()


async def test_a_disk_that_fills_mid_call_warns_keeps_notes_and_saves_them_when_room_returns(
    private_dirs: Path, clock: FakeClock, tmp_path: Path
) -> None:
    with small_tmpfs(tmp_path / "disk") as disk:
        exports = tmp_path / "exports"
        settings = load_settings(overrides={"data_dir": disk / "calldesk", "export_dir": exports})
        app = build_app(settings, clock)
        notices = recorded_notifications(app)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("f2")
            await type_text(pilot, "saved before")
            await pilot.press("enter")
            assert app.desk.writes.writer.flush()
            filler = fill(disk)
            await type_text(pilot, "typed on a full disk")
            await pilot.press("enter")
            await type_text(pilot, "draft")
            assert await wait_for(pilot, lambda: app.save_state == "NOT SAVED")
            assert "Notes could not be saved" in [title for title, _ in notices]
            shown = [item.entry.text for item in app.screen.query(NoteItem)]
            assert shown == ["saved before", "typed on a full disk"]
            exported = await export_with_f10(app, pilot, exports)
            assert "typed on a full disk" in exported and "draft" in exported

            filler.unlink()  # room again: the queued writes land on the next retry
            assert await wait_for(pilot, lambda: app.save_state == "saved", tries=400)
            assert app.desk.writes.writer.flush()
            assert "Saving again" in [title for title, _ in notices]
        notes = check_sound(settings.database_path)
        assert notes == ["saved before", "typed on a full disk"]


@pytest.mark.slow
def test_writes_failing_like_a_full_disk_warn_and_quit_asks_first(private_dirs: Path) -> None:
    """The real calldesk with RLIMIT_FSIZE just above its database: writes fail with EFBIG."""
    path = database(private_dirs)
    path.parent.mkdir(parents=True, mode=0o700)
    with Database.open(path, SystemClock()):
        pass  # a fresh, checkpointed database: only the -wal grows from here
    limit = path.stat().st_size + 512 * 1024  # room for a few notes in the -wal, then EFBIG
    app = spawn(app_env(private_dirs), file_size_limit(limit))
    typed: list[str] = []
    try:
        assert app.wait_for("NO CALL", timeout=30), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        for number in range(40):
            text = f"note {number} while the disk fills"
            app.type(text, per_key=0.005)
            app.press("enter")
            typed.append(text)
            if "NOT SAVED" in app.text():
                break
        assert wait_until(app, lambda screen: "NOT SAVED" in screen), app.text()
        assert wait_until(app, lambda screen: "Notes could not be saved" in screen), app.text()
        # The newest note is on screen all the same (drawn once the app gets to it).
        assert wait_until(app, lambda screen: typed[-1] in screen), app.text()
        app.press("ctrl+q")
        assert app.wait_for("Quit anyway?"), app.text()
        assert app.process.poll() is None  # it asked instead of dropping the notes
    finally:
        app.kill()
    stored = check_sound(path)
    assert stored == typed[: len(stored)] and 1 <= len(stored) < len(typed)


def test_a_file_size_limit_makes_writes_fail_with_efbig(tmp_path: Path) -> None:
    """The condition is real: past the limit a write fails with EFBIG, no SIGXFSZ kill."""
    result = subprocess.run(
        [sys.executable, "-c", f"open({str(tmp_path / 'big')!r}, 'wb').write(b'x' * 70000)"],
        preexec_fn=file_size_limit(65536),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "File too large" in result.stderr
    assert (tmp_path / "big").stat().st_size <= 65536


def test_dropping_capabilities_makes_root_obey_file_modes(tmp_path: Path) -> None:
    why = can_drop_capabilities()
    if why:
        pytest.skip(why)
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    result = subprocess.run(
        [sys.executable, "-c", f"open({str(locked / 'x')!r}, 'w')"],
        preexec_fn=drop_root_file_powers,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0 and "Permission denied" in result.stderr
    shutil.rmtree(locked, ignore_errors=True)
