"""Test-wide fixtures: every test gets its own config, data and runtime dirs, never the user's."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calldesk.config import Settings, load_settings
from calldesk.core.clock import FakeClock


@pytest.fixture(autouse=True)
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every XDG and CALLDESK variable at tmp_path so no test touches real user files."""
    home = tmp_path / "home"
    for variable, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        path = home / sub
        path.mkdir(parents=True, mode=0o700)
        monkeypatch.setenv(variable, str(path))
    monkeypatch.setenv("HOME", str(home))
    # Times on screen and in exports are local: pin the zone so snapshots match on any machine.
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    for variable in (
        "CALLDESK_CONFIG",
        "CALLDESK_DATA_DIR",
        "CALLDESK_PHRASE_DIRS",
        "CALLDESK_USER_PHRASE_DIR",
        "CALLDESK_AGENT",
        "CALLDESK_BARESIP",
        "CALLDESK_COOLDOWN_MINUTES",
    ):
        monkeypatch.delenv(variable, raising=False)
    return home


@pytest.fixture
def settings(private_dirs: Path) -> Settings:
    """Settings read as the app would, inside the private dirs."""
    return load_settings()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def socket_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The socket path calldesk will use, moved to a short folder if the test dir is too deep.

    Unix socket paths are limited to about 100 bytes, and pytest's temp dirs can be longer.
    """
    from calldesk.core import softphone

    path = softphone.socket_path()
    if len(os.fsencode(path)) <= softphone.MAX_SUN_PATH:
        yield path
        return
    short = Path(tempfile.mkdtemp(prefix="cd-"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(short))
    yield softphone.socket_path()
    shutil.rmtree(short, ignore_errors=True)
