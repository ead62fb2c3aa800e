"""Errors the database raises: each says what went wrong and what the user can do."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The call database cannot do what was asked; `message` says why, `next_step` what to do."""

    def __init__(self, message: str, next_step: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step

    def __str__(self) -> str:
        return f"{self.message} {self.next_step}".strip()


class StoreUnavailable(StoreError):
    """The data folder or database cannot be written: permissions, a full disk, a missing mount."""


class StoreLocked(StoreError):
    """Another program holds a write lock on the database for longer than we wait."""


class StoreInUse(StoreError):
    """Another calldesk is running with this database; `pid` is its process id when known."""

    def __init__(self, pid: int | None, lock_path: Path) -> None:
        who = f"process {pid}" if pid else "another process"
        super().__init__(
            f"calldesk is already running ({who}) and recording calls in {lock_path.parent}.",
            "Switch to that window, or open this one read-only to browse history and export.",
        )
        self.pid = pid


class StoreReadOnly(StoreError):
    """A write was attempted on a store opened with `open_readonly`."""


class StoreCorrupt(StoreError):
    """The database file turned out to be damaged while calldesk was running."""


class StoreTooNew(StoreError):
    """The database was written by a newer calldesk whose schema this one does not know."""


class NotFound(StoreError, LookupError):
    """No call, note or fix with the id given."""


def call_not_found(call_id: int) -> NotFound:
    return NotFound(f"There is no call {call_id}.", "Pick the call again from the history.")
