"""Where calldesk keeps its config, data and phrase folders (platformdirs, created private)."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from platformdirs import PlatformDirs

from calldesk.core import files

_DIRS = PlatformDirs("calldesk", appauthor=False)

PRIVATE_DIR_MODE = files.PRIVATE_DIR_MODE
PRIVATE_FILE_MODE = files.PRIVATE_FILE_MODE


def default_config_dir() -> Path:
    return Path(_DIRS.user_config_dir)


def default_config_file() -> Path:
    return default_config_dir() / "config.toml"


def default_data_dir() -> Path:
    return Path(_DIRS.user_data_dir)


def default_export_dir() -> Path:
    """Where the app exports calls: `calldesk` in the user's documents folder."""
    return Path(_DIRS.user_documents_dir) / "calldesk"


def user_phrase_dir() -> Path:
    """The agent's own phrase folder, loaded after the bundled library."""
    return default_config_dir() / "phrases"


def runtime_dir(data_dir: Path | None = None) -> Path:
    """Where the softphone socket of `data_dir` (default: the platform's) lives.

    In the user's runtime dir if there is one: `calldesk` for the default data folder,
    `calldesk-<hash>` for another, so calldesks with different data folders (`--data-dir`)
    never share a socket. Without a runtime dir: `run` in the data folder.
    """
    default = default_data_dir()
    data = default if data_dir is None else Path(data_dir).expanduser()
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        resolved = data.resolve()
        if resolved == default.resolve():
            return Path(runtime) / "calldesk"
        digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:12]
        return Path(runtime) / f"calldesk-{digest}"
    return data / "run"


def bundled_phrase_dir() -> Path:
    """The phrase library shipped with calldesk.

    An installed wheel carries it inside the package; a source checkout (editable install)
    reads the repository's top-level `phrases/` folder.
    """
    packaged = Path(__file__).parent / "bundled_phrases"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "phrases"


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) readable by the user alone; tighten it if it exists."""
    return files.ensure_private_dir(path)


def write_private_file(path: Path, data: str | bytes, *, overwrite: bool = True) -> None:
    """Write `path` atomically with mode 0600 (see `calldesk.core.files.write_private`)."""
    files.write_private(path, data, overwrite=overwrite)


@contextlib.contextmanager
def open_crash_log(data_dir: Path | None = None) -> Iterator[tuple[TextIO, Path]]:
    """Append to the private crash log in `data_dir` (default: the platform's data folder).

    Details of internal errors go there. A link, a non-regular file or another user's file at
    its name is refused (OSError).
    """
    path = (default_data_dir() if data_dir is None else data_dir) / "crash.log"
    files.ensure_private_dir(path.parent)
    fd = files.open_append(path)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        yield handle, path
