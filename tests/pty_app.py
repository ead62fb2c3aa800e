"""Run the real `calldesk` in a pseudo-terminal and read its screen with pyte, as a user sees it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pyte

KEYS = {
    "f1": "\x1bOP",
    "f2": "\x1bOQ",
    "f3": "\x1bOR",
    "f4": "\x1bOS",
    "f5": "\x1b[15~",
    "f8": "\x1b[19~",
    "enter": "\r",
    "tab": "\t",
    "escape": "\x1b",
    "ctrl+q": "\x11",
}


class PtyApp:
    """One calldesk process on a pty of `columns` x `lines`, with a pyte screen kept up to date."""

    def __init__(
        self,
        env: Mapping[str, str],
        columns: int = 80,
        lines: int = 24,
        args: tuple[str, ...] = (),
        command: tuple[str, ...] = (sys.executable, "-m", "calldesk"),
        *,
        controlling: bool = False,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        """With `controlling`, the pty is the app's controlling terminal, as in a terminal
        window: closing it then sends SIGHUP and SIGCONT, as the kernel does. `preexec` runs in
        the child before calldesk starts."""
        self.screen = pyte.Screen(columns, lines)
        self.stream = pyte.ByteStream(self.screen)
        master, slave = os.openpty()
        os.set_blocking(master, False)
        import fcntl
        import struct
        import termios

        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        full_env = {
            **os.environ,
            **env,
            "TERM": "xterm-256color",
            "COLUMNS": str(columns),
            "LINES": str(lines),
        }
        self.process = subprocess.Popen(
            [*command, *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,
            close_fds=True,
            preexec_fn=_before_exec(controlling, preexec),
        )
        os.close(slave)
        self.master = master

    def pump(self, seconds: float = 0.1) -> None:
        """Read whatever the app drew during `seconds`."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.stream.feed(data)

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump(0.1)
            if needle in self.text():
                return True
        return False

    def type(self, text: str, per_key: float = 0.0) -> None:
        for char in text:
            os.write(self.master, char.encode())
            if per_key:
                self.pump(per_key)

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.master, KEYS[key].encode())
            self.pump(0.15)

    def quit(self, timeout: float = 10.0) -> int | None:
        """ctrl+q and wait for the process to end; its exit status (None if it did not end)."""
        self.press("ctrl+q")
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            self.pump(0.1)
        return self.process.poll()

    def close_terminal(self, timeout: float = 30.0) -> int | None:
        """Close the terminal's end of the pty, as a closed window does; the app's exit status
        once it has ended (None if it did not end)."""
        os.close(self.master)
        self.master = -1
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """SIGKILL: no clean-up runs, as when a terminal is closed hard or the machine dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        if self.master >= 0:
            os.close(self.master)


def _before_exec(
    controlling: bool, preexec: Callable[[], None] | None
) -> Callable[[], None] | None:
    if not controlling:
        return preexec

    def take_the_pty_then_preexec() -> None:
        import fcntl
        import termios

        fcntl.ioctl(0, termios.TIOCSCTTY, 0)  # stdin is the pty; the child leads a new session
        if preexec is not None:
            preexec()

    return take_the_pty_then_preexec


RUNTIME_DIRS: dict[Path, Path] = {}
"""The short runtime folder the `private_dirs` fixture made for each test home (see conftest)."""


def app_env(home: Path) -> dict[str, str]:
    return {
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_RUNTIME_DIR": str(RUNTIME_DIRS.get(home, home / "runtime")),
        "HOME": str(home),
    }
