"""The app's socket file: bound 0600 under the lock, a stale one left by a crash replaced, and
removed at the end only if it is still ours."""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from pathlib import Path

from calldesk.core.phone.channel import (
    SocketError,
    SocketInUse,
    prepare_folder,
    sun_path,
    take_lock,
)


class Listener:
    """The listening socket at `path`, for one serving calldesk at a time."""

    def __init__(self, path: Path, backlog: int) -> None:
        self.path = Path(path)
        self._backlog = backlog
        self.sock: socket.socket | None = None
        self._lock_fd: int | None = None
        self._identity: tuple[int, int] | None = None

    def open(self) -> socket.socket:
        """Take the lock and bind; raises SocketError (or a subclass) if it cannot."""
        if not hasattr(socket, "AF_UNIX"):
            raise SocketError(
                "This Python has no Unix sockets, so softphone hooks cannot reach it."
            )
        sun_path(self.path)  # refuse a path the kernel cannot take before creating folders
        prepare_folder(self.path.parent)
        self._lock_fd = take_lock(self.path)
        try:
            self.sock = self._bind()
        except BaseException:
            self._release_lock()
            raise
        return self.sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        # Only remove the socket if it is still ours: a newer calldesk may have replaced it.
        with contextlib.suppress(OSError):
            info = os.lstat(self.path)
            if (info.st_dev, info.st_ino) == self._identity:
                os.unlink(self.path)
        self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._lock_fd)
            self._lock_fd = None

    def _bind(self) -> socket.socket:
        address = sun_path(self.path)
        if os.path.lexists(self.path):
            self._remove_stale(address)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(address)
            # bind() honours the umask; the folder is private anyway, but be exact.
            os.chmod(address, 0o600)
            info = os.stat(address)
            self._identity = (info.st_dev, info.st_ino)
            listener.listen(self._backlog)
            listener.setblocking(False)
        except OSError as error:
            listener.close()
            raise SocketError(f"Cannot serve {self.path}: {error.strerror or error}.") from error
        return listener

    def _remove_stale(self, address: str) -> None:
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(info.st_mode):
            raise SocketError(
                f"{self.path} exists and is not a socket. Remove it, then start calldesk again."
            )
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(0.5)
        try:
            probe.connect(address)
        except (ConnectionRefusedError, FileNotFoundError):
            pass  # nobody listens: a crashed calldesk left it behind
        except OSError as error:
            raise SocketInUse(
                f"Something still answers on {self.path} ({error.strerror or error})."
            ) from error
        else:
            raise SocketInUse(
                f"Another program is serving {self.path}. Close it, then start calldesk again."
            )
        finally:
            probe.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
