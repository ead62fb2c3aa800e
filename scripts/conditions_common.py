"""What the condition files beside `scripts/conditions` share: that script, loaded as a module."""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import os
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
