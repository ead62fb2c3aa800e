"""The database file deleted, renamed or replaced while calldesk runs: noticed and re-created.

SQLite writes on into a file that was deleted or renamed, so nothing failed, the status stayed
"saved", and everything typed afterwards was gone from `calldesk.db` at quit.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.tui_helpers import build_app, stored, type_text, wait_until

from calldesk.config import Settings
from calldesk.core.calls import history as call_history
from calldesk.core.calls.desk import Desk
from calldesk.core.clock import FakeClock
from calldesk.core.db.vanish import GONE, REPLACED, Recreated
from calldesk.core.storage import Database


@pytest.fixture
def path(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    return folder / "calldesk.db"


def until(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait for the writer thread to get there (the timeout only runs out if it never does)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the writer did not get there in time"
        time.sleep(0.01)


def a_desk(path: Path, clock: FakeClock) -> tuple[Database, Desk, list[Recreated]]:
    """A desk with an earlier call and an open one with two notes and a draft, all saved."""
    store = Database.open(path, clock)
    told: list[Recreated] = []
    desk = Desk(store, clock, on_store_recreated=told.append)
    desk.start_call(caller_name="Earlier caller")
    desk.notes.add("earlier call's note")
    desk.end_call()
    desk.start_call(caller_name="Ann Lee")
    desk.notes.add("first")
    desk.notes.add("second")
    desk.notes.set_draft("half-typ")
    assert desk.writes.writer.flush()
    return store, desk, told


def what_is_at(path: Path, clock: FakeClock) -> tuple[list[str], str, int]:
    """What calldesk finds at `path` next time: the open call's notes, its draft, all calls."""
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
    with Database.open(path, clock) as store:
        assert store.recovered_from is None and store.journal_loss is None
        call = call_history.open_call(store)
        calls = len(call_history.list_calls(store))
    assert call is not None
    return [note.text for note in call.notes], call.draft, calls


def test_a_deleted_database_is_re_created_before_the_next_write(
    path: Path, clock: FakeClock
) -> None:
    store, desk, told = a_desk(path, clock)
    os.unlink(path)  # the -wal and -shm stay: they belong to the old file now
    assert store.vanished() == GONE
    desk.notes.add("typed after the file was deleted")
    desk.notes.set_draft("still typing")
    assert desk.writes.writer.flush() and not desk.writes.writer.failing
    assert store.vanished() is None
    [recreated] = told
    assert recreated.how == GONE and "nothing was lost" in recreated.message
    desk.close()
    store.close()
    notes, draft, calls = what_is_at(path, clock)
    assert notes == ["first", "second", "typed after the file was deleted"]
    assert draft == "still typing" and calls == 2  # the earlier call is back too
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # The old file's journal was moved out of the way, not deleted, and not replayed.
    kept = sorted(p.name.split(".")[1] for p in (path.parent / "recovered").iterdir())
    assert kept == ["db-shm", "db-wal"]


def test_the_tick_notices_within_a_second_with_nothing_being_written(
    path: Path, clock: FakeClock
) -> None:
    store, desk, told = a_desk(path, clock)
    for suffix in ("", "-wal", "-shm"):  # rm calldesk.db*
        os.unlink(f"{path}{suffix}")
    assert desk.writes.check_store()  # what the app's 1 s tick calls
    assert desk.writes.writer.flush()
    assert [r.how for r in told] == [GONE] and path.exists()
    assert not desk.writes.check_store()
    desk.close()
    store.close()
    assert what_is_at(path, clock) == (["first", "second"], "half-typ", 2)


def test_a_renamed_database_is_named_and_left_as_it_was(path: Path, clock: FakeClock) -> None:
    store, desk, told = a_desk(path, clock)
    renamed = path.with_name("old-calls.db")
    os.rename(path, renamed)
    desk.notes.add("after the rename")
    assert desk.writes.writer.flush()
    [recreated] = told
    assert recreated.renamed_to == renamed
    assert "renamed to old-calls.db" in recreated.message
    desk.close()
    store.close()
    assert what_is_at(path, clock)[0] == ["first", "second", "after the rename"]
    assert renamed.exists()


def test_a_file_put_in_its_place_is_kept_aside(path: Path, clock: FakeClock) -> None:
    store, desk, told = a_desk(path, clock)
    other = path.with_name("other.db")
    sqlite3.connect(other).close()
    other.write_bytes(b"someone else's file")
    os.replace(other, path)
    assert store.vanished() == REPLACED
    desk.notes.add("after the swap")
    assert desk.writes.writer.flush()
    [recreated] = told
    assert recreated.how == REPLACED
    [theirs] = [p for p in recreated.moved_aside if p.name.startswith("calldesk.db.")]
    assert theirs.read_bytes() == b"someone else's file"
    assert f"moved to recovered/{theirs.name}" in recreated.message
    desk.close()
    store.close()
    assert what_is_at(path, clock)[0] == ["first", "second", "after the swap"]


def test_a_removed_data_folder_comes_back_private_with_its_lock(
    path: Path, clock: FakeClock
) -> None:
    store, desk, told = a_desk(path, clock)
    shutil.rmtree(path.parent)
    assert desk.writes.check_store() and desk.writes.writer.flush()
    assert told and stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # Another calldesk is still kept out: the lock is taken again in the new folder.
    with pytest.raises(Exception, match="already running"):
        Database.open(path, clock)
    desk.close()
    store.close()
    assert what_is_at(path, clock)[0] == ["first", "second"]


def test_when_it_cannot_be_re_created_the_writes_wait_and_say_so(
    path: Path, clock: FakeClock
) -> None:
    failures: list[BaseException] = []
    store = Database.open(path, clock)
    desk = Desk(store, clock, on_save_error=failures.append)
    desk.start_call(caller_name="Ann Lee")
    assert desk.writes.writer.flush()
    shutil.rmtree(path.parent)
    path.parent.write_text("a file where the data folder was\n")  # blocks even root
    desk.notes.add("kept in memory")
    until(lambda: desk.writes.writer.failing)
    assert "is not a folder" in str(failures[0])
    path.parent.unlink()
    assert desk.writes.writer.flush(timeout=30) and not desk.writes.writer.failing
    desk.close()
    store.close()
    assert what_is_at(path, clock)[0] == ["kept in memory"]


# -- what the agent sees ------------------------------------------------------------------------


async def test_the_app_notices_a_deleted_database_and_keeps_saving(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "before")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.writes.writer.pending == 0)
        os.unlink(settings.database_path)
        # Nothing is typed: the once-a-second tick notices on its own.
        await wait_until(pilot, lambda: app.save_state == "re-created", timeout=10)
        [toast] = [n for n in app._notifications if n.title == "Database re-created"]
        assert "deleted" in toast.message and toast.severity == "warning"
        await type_text(pilot, "after")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.desk.writes.writer.pending == 0)
        with stored(settings, clock) as store:
            call = call_history.open_call(store)
        assert call is not None and [n.text for n in call.notes] == ["before", "after"]
