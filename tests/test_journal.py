"""A damaged journal after a crash is kept and reported; a whole one is replayed in silence.

A crash leaves `calldesk.db-wal` beside the database. SQLite replays it up to the first bad
checksum, then checkpoints and deletes it: one flipped byte used to drop every later note with
no word and no copy. The crash image here is made in-process: the files copied while the
database is open are exactly what a SIGKILL leaves on disk.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from tests.tui_helpers import build_app, wait_until

from calldesk.config import Settings
from calldesk.core.calls import history as call_history
from calldesk.core.calls.desk import Desk
from calldesk.core.calls.recovery import journal_warning
from calldesk.core.clock import FakeClock
from calldesk.core.db.journal import FRAME_HEADER, WAL_HEADER, scan_wal
from calldesk.core.storage import Database, StoreUnavailable

NOTES = 20


def crash_image(path: Path, clock: FakeClock, notes: int = NOTES) -> Path:
    """A call with `notes` notes, one a minute, left as a crash leaves it: db, -wal and -shm.

    Returns the database path of the image (in its own folder, beside nothing else).
    """
    store = Database.open(path, clock)
    desk = Desk(store, clock)
    desk.start_call(caller_name="Ann Lee", caller_number="+44 20 7946 0958")
    for number in range(1, notes + 1):
        clock.advance(60)
        desk.notes.add(f"note {number}")
    assert desk.writes.writer.flush()
    image = path.parent.parent / "image" / path.name
    image.parent.mkdir(mode=0o700)
    for suffix in ("", "-wal", "-shm"):
        shutil.copy2(f"{path}{suffix}", f"{image}{suffix}")
    desk.close()
    store.close()
    return image


def wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def page_size(data: bytes) -> int:
    return int.from_bytes(data[8:12], "big")


def flip_byte_in_frame(path: Path, frame: int) -> bytes:
    """Flip one byte in the page of journal frame `frame` (0-based); returns the new bytes."""
    data = bytearray(wal(path).read_bytes())
    size = FRAME_HEADER + page_size(data)
    data[WAL_HEADER + frame * size + FRAME_HEADER + 100] ^= 0x01
    wal(path).write_bytes(bytes(data))
    return bytes(data)


def sqlite_replays(path: Path) -> int:
    """How many frames SQLite itself takes from the journal (on a throw-away copy)."""
    probe = path.parent.parent / "probe"
    probe.mkdir(exist_ok=True)
    for suffix in ("", "-wal"):
        shutil.copy2(f"{path}{suffix}", probe / f"x.db{suffix}")
    db = sqlite3.connect(probe / "x.db")
    try:
        return int(db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
    finally:
        db.close()
        shutil.rmtree(probe)


def middle_frame(path: Path) -> int:
    return scan_wal(wal(path).read_bytes()).frames // 2


@pytest.fixture
def image(tmp_path: Path, clock: FakeClock) -> Path:
    live = tmp_path / "live" / "calldesk.db"
    live.parent.mkdir(mode=0o700)
    return crash_image(live, clock)


# -- reading the journal ------------------------------------------------------------------------


def test_the_scan_counts_what_sqlite_replays_of_a_whole_journal(image: Path) -> None:
    scan = scan_wal(wal(image).read_bytes())
    assert scan.frames > NOTES  # each save is at least one frame
    assert scan.replayable == scan.held == sqlite_replays(image)
    assert not scan.lost and scan.lost_saves == 0


def test_the_scan_sees_saves_past_a_flipped_byte(image: Path) -> None:
    flip_byte_in_frame(image, middle_frame(image))
    scan = scan_wal(wal(image).read_bytes())
    assert scan.replayable == sqlite_replays(image)  # SQLite stops where the scan says
    assert scan.lost and scan.held == scan.frames and scan.lost_saves >= NOTES // 3


def test_a_save_cut_short_by_the_crash_is_not_a_loss(image: Path) -> None:
    """The normal crash: the last frames of an unfinished save are written, or half-written."""
    data = wal(image).read_bytes()
    size = FRAME_HEADER + page_size(data)
    last = data[-size:]
    # Half a frame more, and a whole frame claiming to commit whose page never got written.
    torn = bytearray(last[:FRAME_HEADER]) + bytes(size - FRAME_HEADER)
    wal(image).write_bytes(data + bytes(torn) + last[: size // 2])
    scan = scan_wal(wal(image).read_bytes())
    assert not scan.lost and scan.replayable == sqlite_replays(image)


def test_a_damaged_header_loses_every_save_and_says_so(image: Path) -> None:
    data = bytearray(wal(image).read_bytes())
    data[20] ^= 0x40  # a salt: SQLite then ignores the whole journal
    wal(image).write_bytes(bytes(data))
    scan = scan_wal(bytes(data))
    assert scan.replayable == 0 == sqlite_replays(image)
    assert scan.lost


# -- opening after a crash ----------------------------------------------------------------------


def test_a_flipped_byte_keeps_the_journal_and_names_the_call_and_the_time(
    image: Path, clock: FakeClock
) -> None:
    damaged = flip_byte_in_frame(image, middle_frame(image))
    with Database.open(image, clock) as store:
        loss = store.journal_loss
        assert loss is not None, "a damaged journal was replayed without a word"
        call = call_history.open_call(store)
        warning = journal_warning(store)
    assert call is not None
    kept = [note.text for note in call.notes]
    assert 0 < len(kept) < NOTES  # the loss is real: the later notes did not come back
    # The copy: in the data folder's recovered/, private, byte for byte what the crash left.
    assert loss.copy.parent == image.parent / "recovered"
    assert loss.copy.read_bytes() == damaged
    assert stat.S_IMODE(loss.copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(loss.copy.parent.stat().st_mode) == 0o700
    # The agent is told which call, from when, and where the copy is.
    assert warning is not None
    last_kept = call.notes[-1].created_at.strftime("%Y-%m-%d %H:%M:%S")
    assert f"call {call.id} (Ann Lee" in warning
    assert f"after {last_kept} may be missing" in warning
    assert str(loss.copy) in warning
    # Opening again (the journal is gone now) finds nothing more to say; the copy stays.
    with Database.open(image, clock) as again:
        assert again.journal_loss is None
    assert loss.copy.exists()


def test_a_whole_journal_replays_in_silence_and_leaves_no_copy(
    image: Path, clock: FakeClock
) -> None:
    with Database.open(image, clock) as store:
        assert store.journal_loss is None
        assert journal_warning(store) is None
        call = call_history.open_call(store)
    assert call is not None and len(call.notes) == NOTES
    assert not (image.parent / "recovered").exists()


def test_the_copy_never_goes_through_a_planted_link(
    image: Path, clock: FakeClock, tmp_path: Path
) -> None:
    flip_byte_in_frame(image, middle_frame(image))
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    folder = image.parent / "recovered"
    folder.mkdir(mode=0o700)
    stamp = clock.now().astimezone().strftime("%Y%m%d-%H%M%S")
    (folder / f"calldesk.db-wal.{stamp}").symlink_to(victim)
    with Database.open(image, clock) as store:
        loss = store.journal_loss
    assert loss is not None and not loss.copy.is_symlink()
    assert loss.copy.name == f"calldesk.db-wal.{stamp}-2"
    assert victim.read_text() == "not yours\n"


# -- what the agent sees ------------------------------------------------------------------------


def settings_image(settings: Settings, clock: FakeClock) -> Path:
    """A damaged crash image where the app and the CLI look for the database."""
    live = settings.data_dir.parent / "live" / "calldesk.db"
    live.parent.mkdir(mode=0o700, parents=True)
    image = crash_image(live, clock)
    flip_byte_in_frame(image, middle_frame(image))
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        os.replace(f"{image}{suffix}", f"{settings.database_path}{suffix}")
    return settings.database_path


async def test_the_app_warns_at_start_up_about_a_damaged_journal(
    settings: Settings, clock: FakeClock
) -> None:
    settings_image(settings, clock)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await wait_until(pilot, lambda: app.store is not None)
        toasts = [(n.title, n.message, n.severity) for n in app._notifications]
        [(_title, message, severity)] = [t for t in toasts if "journal" in t[1]]
        assert severity == "warning" and "may be missing" in message
        assert str(settings.data_dir / "recovered") in message
        assert app.save_state == "saved"


def test_export_after_a_crash_says_the_export_may_lack_notes(
    settings: Settings, clock: FakeClock
) -> None:
    """Export only reads (the journal stays), but what it writes lacks the lost notes."""
    settings_image(settings, clock)
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "export", "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "may be missing" in result.stderr and "note 1\n" in result.stdout
    [copy] = (settings.data_dir / "recovered").iterdir()
    # The app's open later finds the same copy rather than making a second one.
    with Database.open(settings.database_path, clock) as store:
        assert store.journal_loss is not None and store.journal_loss.copy == copy
    assert list((settings.data_dir / "recovered").iterdir()) == [copy]


def test_a_command_that_opens_the_database_says_so_on_stderr(
    settings: Settings, clock: FakeClock
) -> None:
    settings_image(settings, clock)
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "practice", "stats"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "may be missing" in result.stderr
    assert str(settings.data_dir / "recovered") in result.stderr
    assert "may be missing" not in result.stdout


def test_a_recovered_folder_linked_by_another_user_is_refused(
    image: Path, clock: FakeClock, tmp_path: Path
) -> None:
    """Nothing is copied through it, and the journal is not replayed (so not lost) either."""
    if os.geteuid() != 0:
        pytest.skip("making a link owned by another user needs root")
    flip_byte_in_frame(image, middle_frame(image))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (image.parent / "recovered").symlink_to(elsewhere)
    os.lchown(image.parent / "recovered", 12345, 12345)
    journal = wal(image).read_bytes()
    with pytest.raises(StoreUnavailable, match="symbolic link made by another user"):
        Database.open(image, clock)
    assert list(elsewhere.iterdir()) == []
    assert wal(image).read_bytes() == journal
