"""The database file deleted, renamed or replaced while calldesk runs: noticed, re-created.

SQLite keeps writing into a file that was deleted or renamed (it holds it open), so nothing
fails, and at quit everything typed since is gone from `calldesk.db`. The file is known by its
device and inode from the open: one `lstat` tells whether the name still leads to it. The
connection still reads the whole database, so a copy of it (SQLite's backup) re-creates the
file with every call, note and setting, and the writes go on there.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from calldesk.core.db.journal import RECOVERED_DIR
from calldesk.core.files import ensure_private_dir

FileId = tuple[int, int]
"""(device, inode): which file a name leads to."""

GONE = "gone"
"""Nothing is at the database's name: deleted, or renamed."""
REPLACED = "replaced"
"""Another file is at the database's name."""


def file_id(path: Path) -> FileId | None:
    """The (device, inode) at `path` itself (a link is not followed); None if nothing is there."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return (info.st_dev, -info.st_ino)  # a link put in its place is never the file itself
    return (info.st_dev, info.st_ino)


def how_vanished(path: Path, known: FileId | None) -> str | None:
    """GONE or REPLACED when `path` no longer leads to the file `known`; None while it does."""
    if known is None:
        return None
    now = file_id(path)
    if now == known:
        return None
    return GONE if now is None else REPLACED


def find_renamed(folder: Path, known: FileId, skip: Path) -> Path | None:
    """The file `known` under another name in `folder` (renamed there), if it is there."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        if entry.name == skip.name:
            continue
        with contextlib.suppress(OSError):
            info = entry.stat(follow_symlinks=False)
            if (info.st_dev, info.st_ino) == known:
                return Path(entry.path)
    return None


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `name-2`, `name-3`... when taken (by anything, a link too)."""
    target, counter = folder / name, 2
    while os.path.lexists(target):
        target, counter = folder / f"{name}-{counter}", counter + 1
    return target


def move_into_recovered(paths: list[Path], now: datetime) -> list[Path]:
    """Move each existing file of `paths` into `recovered/` beside it, stamped; never deleted."""
    moved: list[Path] = []
    stamp = now.astimezone().strftime("%Y%m%d-%H%M%S")
    for path in paths:
        if not os.path.lexists(path):
            continue
        folder = ensure_private_dir(path.parent / RECOVERED_DIR)
        target = free_name(folder, f"{path.name}.{stamp}")
        os.rename(path, target)
        moved.append(target)
    return moved


@dataclass(frozen=True, slots=True)
class Recreated:
    """The database file vanished and was re-created from the open connection."""

    path: Path
    how: str
    """GONE or REPLACED."""
    renamed_to: Path | None = None
    """Where the old file went, when it was renamed inside the data folder."""
    moved_aside: list[Path] = field(default_factory=list)
    """What stood in the way (another file at the name, the old file's journal), kept."""

    @property
    def message(self) -> str:
        """What happened and what it means for the agent, short enough for a toast."""
        name = self.path.name
        if self.how == REPLACED:
            theirs = next((p for p in self.moved_aside if p.name.startswith(f"{name}.")), None)
            where = f"{RECOVERED_DIR}/{theirs.name}" if theirs else RECOVERED_DIR
            happened = f"Another file was put in place of {name}; it was moved to {where}."
        elif self.renamed_to is not None:
            happened = f"{name} was renamed to {self.renamed_to.name} while calldesk ran."
        else:
            happened = f"{name} was deleted or moved away while calldesk ran."
        lines = [
            happened,
            f"calldesk re-created {name} from the copy it had open: nothing was lost, and "
            "notes save there again.",
        ]
        if self.renamed_to is not None:
            lines.append(
                f"{self.renamed_to.name} is left as it was; it may lack the latest changes."
            )
        return "\n".join(lines)
