"""Opening the store, and what the app says when saving or a background job fails."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from calldesk.paths import open_crash_log

if TYPE_CHECKING:
    from pathlib import Path

    from calldesk.core.clock import Clock
    from calldesk.core.db.store import Store


@dataclass
class SaveFailed(Message):
    """A write did not land (from the writer thread); it stays queued and is retried."""

    error: BaseException


class SaveRecovered(Message):
    """The writes land again (from the writer thread)."""


@dataclass(frozen=True)
class Opened:
    """What came of opening the database: the store (if any) and what to tell the agent."""

    store: Store | None
    save_state: str
    """"saved", "read-only" or "NOT SAVED": the status line's last word."""
    read_only_reason: str = ""
    problem: str = ""
    """Why nothing is saved (shown again when the agent quits with an open call)."""
    title: str = ""
    message: str = ""
    severity: str = "information"
    timeout: float = 0


def open_store(path: Path, clock: Clock, export_key: str) -> Opened:
    """Open the database for writing; if another calldesk has it, read-only; else none."""
    from calldesk.core.db.store import Store, StoreError, StoreInUse, StoreLocked

    try:
        store = Store.open(path, clock)
    except (StoreInUse, StoreLocked) as error:
        try:
            readonly: Store | None = Store.open_readonly(path, clock)
        except StoreError:
            readonly = None
        return Opened(
            readonly,
            "read-only",
            read_only_reason=str(error),
            title="calldesk is already open",
            message=f"{error}\nThis window is read-only: history and phrases work, calls do not.",
            severity="warning",
            timeout=30,
        )
    except StoreError as error:
        return Opened(
            None,
            "NOT SAVED",
            problem=str(error),
            title="Notes are NOT being saved",
            message=f"{error}\nNotes stay in memory only: export the call ({export_key})"
            " before you quit.",
            severity="error",
            timeout=60,
        )
    if store.recovered_from is None:
        return Opened(store, "saved")
    return Opened(
        store,
        "saved",
        title="Database recovered",
        message=f"The database was damaged. It was moved to {store.recovered_from}"
        " and a new one started.",
        severity="warning",
        timeout=30,
    )


CRASHED = (
    "calldesk stopped on an internal error. Everything typed up to the last second "
    "is saved and comes back when you start calldesk again. Details: {where}"
)


def log_renderables(renderables: list[object]) -> str:
    """Print an internal error's report to the private crash log; returns where it went."""
    from rich.console import Console

    try:
        with open_crash_log() as (handle, path):
            console = Console(file=handle, width=120, force_terminal=False)
            for renderable in renderables:
                console.print(renderable)
        return str(path)
    except OSError:
        return "nowhere: the data dir is not writable"


def log_failure(error: BaseException | None) -> str:
    """Write a failed job's traceback to the private crash log; returns where it went."""
    try:
        with open_crash_log() as (handle, path):
            handle.write("".join(traceback.format_exception(error)) if error else "unknown error\n")
            return str(path)
    except OSError:
        return "the crash log"
