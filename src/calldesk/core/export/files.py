"""Export files: their names, their folder, and writing them privately."""

from __future__ import annotations

import errno
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.core.calls.model import Call, display_caller
from calldesk.core.files import FileRefused, make_output_dir, write_private, write_private_stream

if TYPE_CHECKING:
    pass
from calldesk.core.export.callrecord import CallRecord, redact_caller
from calldesk.core.export.markdown import local_time, render_call


class ExportError(Exception):
    """An export could not be written; the message says which file and what to do."""


class ExportExists(ExportError):
    """The file an export would write is already there and overwriting was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; use --force to overwrite it.")
        self.path = path


# -- files ----------------------------------------------------------------------------------

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
SLUG_LENGTH = 40


def slug(text: str) -> str:
    """A short lower-case ASCII name for `text` ("Zoë O'Brien" -> "zoe-o-brien")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    return cleaned[:SLUG_LENGTH].rstrip("-") or "caller"


def export_filename(call: Call, redact: bool = False) -> str:
    """`YYYY-MM-DD_HHMM_<caller-slug>_<id>.md`: sorts by time, readable, unique by call id.

    With `redact`, the slug is made from the redacted caller, so the caller's number is never
    in the file name: a caller known only by number gets `phone`.
    """
    caller = display_caller(*redact_caller(call)) if redact else call.display_caller()
    return f"{local_time(call.started_at):%Y-%m-%d_%H%M}_{slug(caller)}_{call.id}.md"


def default_export_dir() -> Path:
    """Where the app exports calls unless `export_dir` says otherwise: ~/Documents/calldesk."""
    from calldesk.paths import default_export_dir as platform_export_dir

    return platform_export_dir()


def prepare_dir(directory: Path) -> None:
    """Create the export folder (private) if it is missing; an existing one is left as it is."""
    try:
        make_output_dir(directory)
    except FileRefused as error:
        if error.errno == errno.ENOTDIR:
            raise ExportError(f"{directory} is a file, not a folder; choose a folder.") from None
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"cannot create the folder {directory}: {error.strerror}") from None


def write_export(path: Path, text: str | Iterable[str], *, overwrite: bool = True) -> None:
    """Write one export file atomically, readable by the user alone (see `write_private`).

    `text` may come in pieces (`iter_many`): each is written as it is made.
    Raises `ExportExists` for an existing file without `overwrite`, `ExportError` for a file
    that cannot or must not be written (a symbolic link or another user's file at its name).
    """
    try:
        if isinstance(text, str):
            write_private(path, text, overwrite=overwrite)
        else:
            write_private_stream(path, text, overwrite=overwrite)
    except FileRefused as error:
        if error.errno == errno.EEXIST:
            raise ExportExists(path) from None
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


def export_call_to_dir(
    record: CallRecord, directory: Path, force: bool = False, redact: bool = False
) -> Path:
    """Write one call to `directory` under `export_filename`; returns the file written.

    Raises `ExportExists` when the file is there and `force` is not set, `ExportError` when
    the folder or file cannot be written.
    """
    prepare_dir(directory)
    path = directory / export_filename(record.call, redact=redact)
    write_export(path, render_call(record, redact=redact), overwrite=force)
    return path
