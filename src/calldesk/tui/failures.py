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
    from calldesk.core.storage import Database, Recreated
    from calldesk.tui.host import Host


@dataclass
class SaveFailed(Message):
    """A write did not land (from the writer thread); it stays queued and is retried."""

    error: BaseException


class SaveRecovered(Message):
    """The writes land again (from the writer thread)."""


@dataclass
class StoreRecreated(Message):
    """The database file vanished and was re-created (from the writer thread)."""

    recreated: Recreated


@dataclass(frozen=True)
class Opened:
    """What came of opening the database: the store (if any) and what to tell the agent."""

    store: Database | None
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
    from calldesk.core.storage import Database, StoreError, StoreInUse, StoreLocked

    try:
        store = Database.open(path, clock)
    except (StoreInUse, StoreLocked) as error:
        try:
            readonly: Database | None = Database.open_readonly(path, clock)
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
        from calldesk.core.calls.recovery import journal_warning

        warning = journal_warning(store)
        if warning is None:
            return Opened(store, "saved")
        return Opened(
            store,
            "saved",
            title="Some notes may be missing",
            message=warning,
            severity="warning",
            timeout=60,
        )
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


def log_renderables(renderables: list[object], data_dir: Path) -> str:
    """Print an internal error's report to the private crash log; returns where it went."""
    from rich.console import Console

    try:
        with open_crash_log(data_dir) as (handle, path):
            console = Console(file=handle, width=120, force_terminal=False)
            for renderable in renderables:
                console.print(renderable)
        return str(path)
    except OSError:
        return "nowhere: the data dir is not writable"


def log_failure(error: BaseException | None, data_dir: Path) -> str:
    """Write a failed job's traceback to the private crash log; returns where it went."""
    try:
        with open_crash_log(data_dir) as (handle, path):
            handle.write("".join(traceback.format_exception(error)) if error else "unknown error\n")
            return str(path)
    except OSError:
        return "the crash log"


class Saving:
    """Whether what the agent types is saved: the store, save failures, quitting, crashes.

    Owned by the app; it sets the app's `save_state`, which the status line shows.
    """

    def __init__(self, host: Host) -> None:
        self.host = host
        self.problem = ""
        """Why notes are not saved now ("" when they are); repeated when the agent quits."""

    def open_store(self) -> None:
        host = self.host
        opened = open_store(host.settings.database_path, host.clock, host.key("export"))
        host.store = opened.store
        host.read_only_reason = opened.read_only_reason
        self.problem = opened.problem
        if opened.message:
            host.notify(
                opened.message,
                title=opened.title,
                severity=opened.severity,  # type: ignore[arg-type]
                timeout=opened.timeout,
            )
        if opened.save_state == "saved":
            host.desk.writes.store = host.store
        host.save_state = opened.save_state

    def failed(self, error: BaseException) -> None:
        self.problem = str(error)
        self.host.save_state = "NOT SAVED"
        self.host.notify(
            f"{error}\nYour notes are kept in memory and saved as soon as the disk allows.",
            title="Notes could not be saved",
            severity="error",
            timeout=30,
        )

    def recovered(self) -> None:
        self.problem = ""
        self.host.save_state = "saved"
        self.host.notify("Everything typed is saved again.", title="Saving again")

    def recreated(self, recreated: Recreated) -> None:
        """The database file vanished and core put it back: say so, and keep saying it."""
        self.host.save_state = "re-created"
        self.host.notify(
            recreated.message,
            title="Database re-created",
            severity="warning",
            timeout=60,
        )

    def quit(self) -> None:
        """Quit once the queued writes are in; ask first if the open call's notes are not."""
        writer = self.host.desk.writes.writer
        self.host.data.read(lambda: writer.failing, self._quit)

    def _quit(self, failing: bool) -> None:
        host = self.host
        unsaved = failing or (host.store is None and not host.read_only_reason)
        if host.desk.call is None or not unsaved:
            host.exit()
            return
        from calldesk.tui.dialogs.confirm import ConfirmDialog

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                host.exit()

        host.push_screen(
            ConfirmDialog(
                "Notes of the open call are not saved. Quit anyway?",
                f"{self.problem}\nPress n, then export the call ({host.key('export')})"
                " to keep them.",
            ),
            answered,
        )

    def job_failed(self, name: str, error: BaseException | None) -> None:
        """A background job that failed says so in a line; the details go to the crash log."""
        where = log_failure(error, self.host.settings.data_dir)
        self.host.notify(
            f"{name or 'A background job'} failed: {error}. Details: {where}",
            title="Something went wrong",
            severity="error",
            timeout=20,
        )
