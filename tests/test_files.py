"""The private writer: only the requested file is written, 0600, never through a planted link."""

from __future__ import annotations

import errno
import itertools
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from calldesk.core import files
from calldesk.core.files import (
    FileRefused,
    check_target,
    ensure_private_dir,
    make_output_dir,
    open_append,
    open_private,
    tighten,
    write_private,
)

OTHER_UID = 54321
"""A uid that is not ours: tests run as root, so files chowned to it are another user's."""


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file of the test's own, outside the folder being written: what a planted link targets."""
    victim = tmp_path / "elsewhere" / "victim.txt"
    victim.parent.mkdir()
    victim.write_text("the victim's own content\n", encoding="utf-8")
    victim.chmod(0o644)
    return victim


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "shared"
    made.mkdir()
    made.chmod(0o777)  # a team folder anyone can write into
    return made


@pytest.fixture
def planted_names(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The random parts the writer will draw, in order: tests plant files at those names."""
    drawn = [f"planted{n}" for n in range(4)]
    counter = itertools.count()

    def token_hex(nbytes: int) -> str:
        index = next(counter)
        return drawn[index] if index < len(drawn) else f"fresh{index}"

    monkeypatch.setattr(files.secrets, "token_hex", token_hex)
    yield drawn


def assert_untouched(victim: Path) -> None:
    assert victim.read_text(encoding="utf-8") == "the victim's own content\n"
    assert mode(victim) == 0o644


def only_names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


# -- write_private --------------------------------------------------------------------------


def test_writes_the_file_private_and_leaves_nothing_else(folder: Path) -> None:
    target = folder / "notes.md"
    old_umask = os.umask(0)
    try:
        write_private(target, "hello\n")
    finally:
        os.umask(old_umask)
    assert target.read_text(encoding="utf-8") == "hello\n"
    assert mode(target) == 0o600
    assert os.stat(target).st_uid == os.geteuid()
    assert only_names(folder) == ["notes.md"]


def test_the_old_predictable_temp_name_is_not_written_through(folder: Path, outside: Path) -> None:
    target = folder / "notes.md"
    (folder / f".notes.md.{os.getpid()}.tmp").symlink_to(outside)
    write_private(target, "secret notes\n")
    assert target.read_text(encoding="utf-8") == "secret notes\n"
    assert mode(target) == 0o600
    assert_untouched(outside)


def test_names_planted_at_every_temp_name_are_skipped(
    folder: Path, outside: Path, planted_names: list[str]
) -> None:
    target = folder / "notes.md"
    temp = [folder / f".notes.md.{token}.tmp" for token in planted_names]
    temp[0].symlink_to(outside)
    temp[1].symlink_to(folder / "dangling")
    temp[2].write_text("someone else's\n", encoding="utf-8")
    os.chown(temp[2], OTHER_UID, OTHER_UID)
    os.mkfifo(temp[3])
    write_private(target, "secret notes\n")
    assert target.read_text(encoding="utf-8") == "secret notes\n"
    assert mode(target) == 0o600
    assert os.stat(target).st_uid == os.geteuid()
    assert_untouched(outside)
    assert not (folder / "dangling").exists()
    assert temp[2].read_text(encoding="utf-8") == "someone else's\n"
    assert os.stat(temp[2]).st_uid == OTHER_UID
    assert only_names(folder) == sorted(["notes.md", *(path.name for path in temp)])


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_symlink_at_the_target_is_refused(folder: Path, outside: Path, overwrite: bool) -> None:
    target = folder / "notes.md"
    target.symlink_to(outside)
    with pytest.raises(FileRefused, match="is a symbolic link") as refused:
        write_private(target, "secret notes\n", overwrite=overwrite)
    assert str(refused.value).startswith(f"{target} is a symbolic link; ")
    assert refused.value.strerror.startswith("it is a symbolic link; ")
    assert "Remove the link, or write to another file or folder" in str(refused.value)
    assert target.is_symlink()
    assert_untouched(outside)
    assert only_names(folder) == ["notes.md"]


def test_a_dangling_symlink_at_the_target_is_refused(folder: Path, tmp_path: Path) -> None:
    target = folder / "notes.md"
    nowhere = tmp_path / "would-be-created"
    target.symlink_to(nowhere)
    with pytest.raises(FileRefused, match="symbolic link"):
        write_private(target, "secret notes\n")
    assert not nowhere.exists()


def test_another_users_file_at_the_target_is_never_replaced(folder: Path) -> None:
    target = folder / "notes.md"
    target.write_text("a colleague's notes\n", encoding="utf-8")
    os.chown(target, OTHER_UID, OTHER_UID)
    for overwrite in (False, True):
        with pytest.raises(FileRefused, match=f"belongs to another user \\(uid {OTHER_UID}\\)"):
            write_private(target, "mine\n", overwrite=overwrite)
    assert target.read_text(encoding="utf-8") == "a colleague's notes\n"
    assert os.stat(target).st_uid == OTHER_UID
    assert only_names(folder) == ["notes.md"]


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_non_regular_file_at_the_target_is_refused(folder: Path, kind: str) -> None:
    target = folder / "notes.md"
    if kind == "folder":
        target.mkdir()
        expected = "is a folder"
    else:
        os.mkfifo(target)
        expected = "is a named pipe"
    with pytest.raises(FileRefused, match=expected):
        write_private(target, "mine\n", overwrite=True)
    assert only_names(folder) == ["notes.md"]


def test_an_existing_file_is_replaced_only_when_asked(folder: Path) -> None:
    target = folder / "notes.md"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o644)
    with pytest.raises(FileRefused, match="already exists; use --force") as refused:
        write_private(target, "new\n", overwrite=False)
    assert refused.value.errno == errno.EEXIST
    assert target.read_text(encoding="utf-8") == "old\n"
    write_private(target, "new\n", overwrite=True)
    assert target.read_text(encoding="utf-8") == "new\n"
    assert mode(target) == 0o600
    assert only_names(folder) == ["notes.md"]


def test_a_file_appearing_after_the_check_is_not_replaced(
    folder: Path, outside: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = folder / "notes.md"
    real_check = files.check_target

    def check_then_plant(path: Path, *, overwrite: bool) -> None:
        real_check(path, overwrite=overwrite)
        target.symlink_to(outside)  # planted between the check and the rename

    monkeypatch.setattr(files, "check_target", check_then_plant)
    with pytest.raises(FileRefused, match="already exists"):
        write_private(target, "secret\n", overwrite=False)
    assert target.is_symlink()
    assert_untouched(outside)
    assert only_names(folder) == ["notes.md"]

    target.unlink()
    with pytest.raises(FileRefused, match="symbolic link"):
        write_private(target, "secret\n", overwrite=True)
    assert_untouched(outside)
    assert only_names(folder) == ["notes.md"]


def test_a_missing_folder_is_created_private(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "notes.md"
    write_private(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert mode(target.parent) == 0o700


def test_a_failed_write_leaves_no_temp_file(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full_disk(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_private(folder / "notes.md", "x" * 100_000)
    assert only_names(folder) == []


def test_a_very_long_name_still_gets_a_temp_name(folder: Path) -> None:
    target = folder / ("n" * 250 + ".md")
    write_private(target, "long\n")
    assert only_names(folder) == [target.name]


def test_parallel_writers_of_one_name_each_land_whole(folder: Path) -> None:
    target = folder / "notes.md"
    bodies = [f"writer {n}\n" * 10_000 for n in range(8)]
    threads = [threading.Thread(target=write_private, args=(target, body)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert target.read_text(encoding="utf-8") in bodies
    assert only_names(folder) == ["notes.md"]


def test_check_target_says_what_write_private_would(folder: Path, outside: Path) -> None:
    check_target(folder / "missing.md", overwrite=False)
    (folder / "link.md").symlink_to(outside)
    with pytest.raises(FileRefused, match="symbolic link"):
        check_target(folder / "link.md", overwrite=True)
    (folder / "mine.md").write_text("", encoding="utf-8")
    check_target(folder / "mine.md", overwrite=True)
    with pytest.raises(FileRefused, match="already exists"):
        check_target(folder / "mine.md", overwrite=False)


# -- open_append and open_private -----------------------------------------------------------


def append_line(path: Path, line: str) -> None:
    fd = open_append(path)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def test_append_creates_a_private_file_and_appends(folder: Path) -> None:
    log = folder / "crash.log"
    old_umask = os.umask(0)
    try:
        append_line(log, "one\n")
    finally:
        os.umask(old_umask)
    append_line(log, "two\n")
    assert log.read_text(encoding="utf-8") == "one\ntwo\n"
    assert mode(log) == 0o600


def test_append_tightens_a_loose_file_of_our_own(folder: Path) -> None:
    log = folder / "crash.log"
    log.write_text("old\n", encoding="utf-8")
    log.chmod(0o644)
    append_line(log, "new\n")
    assert mode(log) == 0o600
    assert log.read_text(encoding="utf-8") == "old\nnew\n"


def test_append_refuses_a_symlink(folder: Path, outside: Path) -> None:
    log = folder / "crash.log"
    log.symlink_to(outside)
    with pytest.raises(FileRefused, match="is a symbolic link"):
        append_line(log, "secret\n")
    assert_untouched(outside)
    dangling = folder / "spool.jsonl"
    dangling.symlink_to(folder / "created-through-the-link")
    with pytest.raises(FileRefused, match="is a symbolic link"):
        append_line(dangling, "secret\n")
    assert not (folder / "created-through-the-link").exists()


def test_append_refuses_another_users_file(folder: Path) -> None:
    log = folder / "crash.log"
    log.write_text("theirs\n", encoding="utf-8")
    os.chown(log, OTHER_UID, OTHER_UID)
    log.chmod(0o666)
    with pytest.raises(FileRefused, match="belongs to another user"):
        append_line(log, "secret\n")
    assert log.read_text(encoding="utf-8") == "theirs\n"
    assert mode(log) == 0o666


def test_append_refuses_a_hard_link(folder: Path, outside: Path) -> None:
    log = folder / "crash.log"
    os.link(outside, log)
    with pytest.raises(FileRefused, match="hard links"):
        append_line(log, "secret\n")
    assert_untouched(outside)


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_append_refuses_what_is_not_a_file(folder: Path, kind: str) -> None:
    log = folder / "crash.log"
    if kind == "fifo":
        os.mkfifo(log)  # nobody reads it: opening it for writing must not hang
    elif kind == "folder":
        log.mkdir()
    else:
        os.mknod(log, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # /dev/null's numbers
    with pytest.raises(FileRefused, match="not a file calldesk can write"):
        append_line(log, "secret\n")


def test_open_private_without_create_reports_a_missing_file(folder: Path) -> None:
    with pytest.raises(FileNotFoundError):
        open_private(folder / "missing", os.O_RDWR, create=False)
    assert only_names(folder) == []


# -- folders --------------------------------------------------------------------------------


def test_private_dir_is_created_and_tightened(tmp_path: Path) -> None:
    made = ensure_private_dir(tmp_path / "a" / "b")
    assert mode(made) == 0o700
    made.chmod(0o755)
    ensure_private_dir(made)
    assert mode(made) == 0o700


def test_private_dir_refuses_a_link_another_user_planted(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    theirs.chmod(0o755)
    link = tmp_path / "data"
    link.symlink_to(theirs)
    os.lchown(link, OTHER_UID, OTHER_UID)
    with pytest.raises(FileRefused, match="symbolic link made by another user"):
        ensure_private_dir(link)
    assert mode(theirs) == 0o755


def test_private_dir_follows_the_users_own_link_to_the_users_own_folder(
    tmp_path: Path,
) -> None:
    moved = tmp_path / "other-disk" / "calldesk"
    moved.mkdir(parents=True, mode=0o700)
    link = tmp_path / "data"
    link.symlink_to(moved)
    assert ensure_private_dir(link) == link


def test_private_dir_refuses_another_users_folder_and_a_file(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o755)
    os.chown(theirs, OTHER_UID, OTHER_UID)
    with pytest.raises(FileRefused, match="belongs to another user"):
        ensure_private_dir(theirs)
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(FileRefused, match="is not a folder"):
        ensure_private_dir(blocker)
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileRefused, match="link to nothing"):
        ensure_private_dir(dangling)


def test_output_dir_keeps_an_existing_shared_folder_as_it_is(folder: Path) -> None:
    assert make_output_dir(folder) == folder
    assert mode(folder) == 0o777
    made = make_output_dir(folder / "new")
    assert mode(made) == 0o700
    (folder / "file").write_text("", encoding="utf-8")
    with pytest.raises(FileRefused, match="is not a folder"):
        make_output_dir(folder / "file")


def test_tighten_refuses_a_symlink_and_tightens_our_file(folder: Path, outside: Path) -> None:
    tighten(folder / "missing")
    ours = folder / "db-wal"
    ours.write_text("", encoding="utf-8")
    ours.chmod(0o644)
    tighten(ours)
    assert mode(ours) == 0o600
    link = folder / "db-shm"
    link.symlink_to(outside)
    with pytest.raises(FileRefused, match="symbolic link"):
        tighten(link)
    assert_untouched(outside)


# -- every writer in calldesk ---------------------------------------------------------------


def test_the_store_refuses_a_planted_lock_or_database(tmp_path: Path, outside: Path) -> None:
    from calldesk.core.clock import FakeClock
    from calldesk.core.storage import Database, StoreUnavailable

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    lock = data / "calldesk.lock"
    lock.symlink_to(outside)
    with pytest.raises(StoreUnavailable, match=f"{lock} is a symbolic link"):
        Database.open(data / "calldesk.db", FakeClock())
    assert_untouched(outside)
    assert only_names(data) == ["calldesk.lock"]

    lock.unlink()
    database = data / "calldesk.db"
    database.symlink_to(outside)
    with pytest.raises(StoreUnavailable, match=f"{database} is a symbolic link"):
        Database.open(database, FakeClock())
    assert_untouched(outside)

    database.unlink()
    lock.write_text("", encoding="utf-8")
    os.chown(lock, OTHER_UID, OTHER_UID)
    with pytest.raises(StoreUnavailable, match="belongs to another user"):
        Database.open(database, FakeClock())
    assert not database.exists()

    lock.unlink()
    Database.open(database, FakeClock()).close()
    assert (mode(lock), mode(database)) == (0o600, 0o600)


def test_the_store_refuses_a_data_folder_linked_by_another_user(
    tmp_path: Path, outside: Path
) -> None:
    from calldesk.core.clock import FakeClock
    from calldesk.core.storage import Database, StoreUnavailable

    link = tmp_path / "data"
    link.symlink_to(outside.parent)
    os.lchown(link, OTHER_UID, OTHER_UID)
    with pytest.raises(StoreUnavailable, match="symbolic link made by another user"):
        Database.open(link / "calldesk.db", FakeClock())
    assert only_names(outside.parent) == ["victim.txt"]


def test_the_pending_file_is_never_written_or_read_through_a_link(
    tmp_path: Path, outside: Path
) -> None:
    from datetime import UTC, datetime

    from calldesk.core.phone.events import PhoneEvent
    from calldesk.core.phone.spool import append_pending_file, read_pending_file

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    pending = data / "pending-events.jsonl"
    pending.symlink_to(outside)
    event = PhoneEvent("ring", "+44 20 7946 0958", "Pat", "c1", datetime.now(UTC), "hook")
    with pytest.raises(FileRefused, match="is a symbolic link"):
        append_pending_file(event, pending)
    with pytest.raises(FileRefused, match="is a symbolic link"):
        read_pending_file(pending)
    assert_untouched(outside)

    pending.unlink()
    pending.write_text('{"forged": true}\n', encoding="utf-8")
    os.chown(pending, OTHER_UID, OTHER_UID)
    with pytest.raises(FileRefused, match="belongs to another user"):
        read_pending_file(pending)
    assert pending.read_text(encoding="utf-8") == '{"forged": true}\n'  # left as it was


def test_the_socket_lock_and_folder_are_never_followed(
    socket_path: Path, tmp_path: Path, outside: Path
) -> None:
    from calldesk.core.phone.channel import LOCK_NAME, SocketUnsafe
    from calldesk.core.phone.server import EventServer

    socket_path.parent.mkdir(parents=True, mode=0o700)
    lock = socket_path.with_name(LOCK_NAME)
    lock.symlink_to(outside)
    with pytest.raises(SocketUnsafe, match="is a symbolic link"):
        EventServer(socket_path, lambda event: None).start()
    assert_untouched(outside)

    lock.unlink()
    socket_path.parent.rmdir()
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    socket_path.parent.symlink_to(theirs)
    os.lchown(socket_path.parent, OTHER_UID, OTHER_UID)
    with pytest.raises(SocketUnsafe, match="symbolic link made by another user"):
        EventServer(socket_path, lambda event: None).start()
    assert only_names(theirs) == []


def test_the_crash_log_is_never_written_through_a_link(outside: Path) -> None:
    from calldesk.paths import default_data_dir, open_crash_log

    log = default_data_dir() / "crash.log"
    log.parent.mkdir(parents=True, mode=0o700)
    log.symlink_to(outside)
    with pytest.raises(FileRefused, match="is a symbolic link"), open_crash_log() as (handle, _):
        handle.write("secret traceback")
    assert_untouched(outside)
