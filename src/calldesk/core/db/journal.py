"""The journal left by a crash (`calldesk.db-wal`): kept aside before SQLite replays it, checked.

SQLite replays a write-ahead log up to the first frame whose checksum is wrong and then
checkpoints and deletes it: one damaged byte silently drops every later save. So before the
first read-write open, a leftover journal is copied into `recovered/` (private), and its
frames are read here: a save that was complete in the file but lies past the damage is lost.
A journal that replays in full (the normal crash) leaves no copy and no warning.

The file format (https://www.sqlite.org/fileformat.html#the_write_ahead_log): a 32-byte header
(magic, version, page size, checkpoint sequence, two salts, a checksum), then frames of a
24-byte header (page number, database size after a commit or 0, the salts, a checksum) and a
page. Each checksum runs on from the one before it, so SQLite cannot see past a damaged frame;
we can, since every frame header stores its own running checksum.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from calldesk.core.files import FileRefused, ensure_private_dir, open_private, write_private

WAL_HEADER = 32
FRAME_HEADER = 24
_MAGIC_LE, _MAGIC_BE = 0x377F0682, 0x377F0683
RECOVERED_DIR = "recovered"
"""Where kept journals go, inside the data folder."""


@dataclass(frozen=True, slots=True)
class WalScan:
    """What a journal file holds, counted in frames (one page each)."""

    frames: int
    """Complete frames in the file (of any generation)."""
    replayable: int
    """Frames SQLite replays: up to the last commit before the first bad checksum."""
    held: int
    """Frames up to the last commit that was whole in the file (its own checksum checks out)."""
    lost_saves: int
    """Commits (saves) past the damage that SQLite cannot replay."""

    @property
    def lost(self) -> bool:
        return self.held > self.replayable


def _checksum(data: bytes, big_endian: bool, s1: int, s2: int) -> tuple[int, int]:
    """SQLite's running checksum over `data` (a multiple of 8 bytes), from (s1, s2)."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    mask = 0xFFFFFFFF
    for i in range(0, len(words), 2):
        s1 = (s1 + words[i] + s2) & mask
        s2 = (s2 + words[i + 1] + s1) & mask
    return s1, s2


def scan_wal(data: bytes) -> WalScan:
    """Count what a journal's bytes hold and what SQLite will replay of them."""
    if len(data) < WAL_HEADER:
        return WalScan(0, 0, 0, 0)
    magic, _version, page_size, _seq, salt1, salt2, c1, c2 = struct.unpack(">8I", data[:WAL_HEADER])
    if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
        page_size = 65536 if page_size == 1 else 4096  # 1 means 65536; else a damaged header
    big_endian = magic == _MAGIC_BE
    header_ok = magic in (_MAGIC_LE, _MAGIC_BE) and _checksum(data[:24], big_endian, 0, 0) == (
        c1,
        c2,
    )
    size = FRAME_HEADER + page_size
    count = (len(data) - WAL_HEADER) // size

    def frame(index: int) -> tuple[bytes, bytes]:
        start = WAL_HEADER + index * size
        return data[start : start + FRAME_HEADER], data[start + FRAME_HEADER : start + size]

    if not header_ok and count:
        # SQLite ignores the whole journal; its frames carry the salts the header had.
        salt1, salt2 = struct.unpack(">2I", frame(0)[0][8:16])
        big_endian = magic != _MAGIC_LE
    replayable = held = lost_saves = 0
    chain_ok = header_ok
    running = (c1, c2)
    for index in range(count):
        head, page = frame(index)
        _page_no, commit, f_salt1, f_salt2, f_c1, f_c2 = struct.unpack(">6I", head)
        if (f_salt1, f_salt2) != (salt1, salt2):
            break  # a frame of an earlier generation: the journal ends here
        if index == 0 and not header_ok:
            whole = True  # its start is unknown; the frames after it vouch for it
        else:
            start = running if index == 0 else struct.unpack(">2I", frame(index - 1)[0][16:24])
            whole = _checksum(head[:8] + page, big_endian, *start) == (f_c1, f_c2)
        chain_ok = chain_ok and whole
        running = (f_c1, f_c2)
        if commit:
            if chain_ok:
                replayable = index + 1
            if whole:
                if index + 1 > replayable:
                    lost_saves += 1
                held = index + 1
    return WalScan(count, replayable, max(held, replayable), lost_saves)


@dataclass(frozen=True, slots=True)
class JournalLoss:
    """A journal found at open held saves SQLite could not replay; `copy` keeps it as it was."""

    copy: Path
    scan: WalScan


def keep_leftover(path: Path, now: datetime) -> Path | None:
    """Copy the journal a crash left beside the database `path` into `recovered/` (0600).

    Returns the copy, or None when there is no journal with frames in it (or it cannot be
    read as the user's own regular file: SQLite will refuse it the same way). Never writes
    through a link: a name already taken in `recovered/` is skipped, not replaced.
    """
    wal = path.with_name(path.name + "-wal")
    try:
        fd = open_private(wal, os.O_RDONLY, create=False)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) <= WAL_HEADER:
        return None  # a header alone holds no save
    folder = ensure_private_dir(path.parent / RECOVERED_DIR)
    same = _same_copy(folder, wal.name, data)
    if same is not None:
        return same  # kept already (a read-only command saw it first)
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    for counter in range(1, 1000):
        suffix = "" if counter == 1 else f"-{counter}"
        copy = folder / f"{wal.name}.{stamp}{suffix}"
        if os.path.lexists(copy):
            continue
        try:
            write_private(copy, data, overwrite=False)
        except FileRefused as error:
            if error.errno == errno.EEXIST:
                continue  # appeared meanwhile: take the next name
            raise
        return copy
    raise FileExistsError(errno.EEXIST, "no free name for the journal's copy", str(folder))


def _same_copy(folder: Path, name: str, data: bytes) -> Path | None:
    """A copy of the journal in `folder` holding exactly `data`, if there is one."""
    for entry in os.scandir(folder):
        if not entry.name.startswith(f"{name}.") or not entry.is_file(follow_symlinks=False):
            continue
        if entry.stat(follow_symlinks=False).st_size != len(data):
            continue
        with contextlib.suppress(OSError):
            fd = open_private(Path(entry.path), os.O_RDONLY, create=False)
            try:
                if os.read(fd, len(data) + 1) == data:
                    return Path(entry.path)
            finally:
                os.close(fd)
    return None


def check_copy(copy: Path) -> WalScan:
    """What the kept copy of the journal holds and what SQLite replays of it."""
    return scan_wal(copy.read_bytes())


def discard_copy(copy: Path) -> None:
    """The journal replayed in full: its copy is not needed."""
    with contextlib.suppress(FileNotFoundError):
        copy.unlink()
    with contextlib.suppress(OSError):
        copy.parent.rmdir()  # only when empty: other kept files stay
