"""What the condition files beside `scripts/conditions` share: that script, loaded as a module."""

from __future__ import annotations

import contextlib
import functools
import importlib.machinery
import importlib.util
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any


@functools.cache
def runner() -> ModuleType:
    """scripts/conditions (a script without .py), loaded as a module for its Home, Terminal
    and main()."""
    path = Path(__file__).with_name("conditions")
    loader = importlib.machinery.SourceFileLoader("calldesk_conditions", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def send_all(terminal: Any, data: bytes) -> None:
    """Write `data` to the app's terminal, reading what it draws meanwhile (a pty is small)."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(terminal.master, view[:65536])
        except BlockingIOError:
            terminal.pump(0.01)
            continue
        view = view[written:]
        terminal.pump(0)


def stored_rows(home: Any, sql: str) -> list[tuple[Any, ...]]:
    """What `sql` reads from the home's calldesk.db, opened read-only (never changed)."""
    db = sqlite3.connect(f"{home.database.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def stored_notes(home: Any) -> list[str]:
    """Every stored note's text, in the order they were filed."""
    return [text for (text,) in stored_rows(home, "SELECT text FROM notes ORDER BY id")]


@contextlib.contextmanager
def busy_loops(count: int) -> Iterator[None]:
    """`count` processes that spin on a core each, stopped (by their own pids) at the end."""
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for loop in loops:
            with contextlib.suppress(ProcessLookupError):
                os.kill(loop.pid, signal.SIGKILL)
            loop.wait()
