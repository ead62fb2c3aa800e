"""The local socket the app serves and hooks write to: where it lives, its folder and lock."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from calldesk.core.files import FileRefused, open_private

PROTOCOL_VERSION = 1
SOCKET_NAME = "calldesk.sock"
LOCK_NAME = "calldesk.sock.lock"
CLIENT_TIMEOUT = 2.0
"""Seconds a client may take to send its request before the server hangs up."""
FIRST_BYTE_TIMEOUT = 1.0
"""Seconds a client that has sent nothing keeps its place; a hook sends as it connects."""
MAX_CLIENTS = 16
"""Clients served at once. When all places are taken, the oldest client still waiting for
its request gives its place to the newcomer, so idle connections never lock hooks out."""
MAX_SUN_PATH = 107
"""Longest Unix socket path the kernel takes (108 bytes with the terminating NUL on Linux)."""


def socket_path(runtime_dir: Path) -> Path:
    """The socket the running app serves, in `runtime_dir` (see `calldesk.paths.runtime_dir`)."""
    return runtime_dir / SOCKET_NAME


class SocketError(Exception):
    """The event socket cannot be served; the message says why and what to do."""


class SocketInUse(SocketError):
    """Another running calldesk already serves the socket."""


class SocketUnsafe(SocketError):
    """The socket's folder is not private to this user, so events could leak or be forged."""


def sun_path(path: Path) -> str:
    text = os.fspath(path)
    if len(os.fsencode(text)) > MAX_SUN_PATH:
        raise SocketError(
            f"The socket path {text} is too long for a Unix socket "
            f"({MAX_SUN_PATH} bytes at most). Set XDG_RUNTIME_DIR to a shorter folder."
        )
    return text


def prepare_folder(folder: Path) -> None:
    """Create the socket folder 0700, or refuse one that is not this user's own."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        link = folder.lstat()
        info = folder.stat()
    except FileExistsError as error:  # a link to nowhere, or a file, holds the name
        raise SocketError(
            f"Cannot create the socket folder {folder}: something else is there (a link to"
            " nowhere or a file). Remove it, then restart calldesk."
        ) from error
    except OSError as error:
        raise SocketError(
            f"Cannot create the socket folder {folder}: {error.strerror or error}."
        ) from error
    if stat.S_ISLNK(link.st_mode) and link.st_uid != os.getuid():
        raise SocketUnsafe(
            f"The socket folder {folder} is a symbolic link made by another user "
            f"(uid {link.st_uid}). Remove it or set XDG_RUNTIME_DIR to a folder of your own."
        )
    if info.st_uid != os.getuid():
        raise SocketUnsafe(
            f"The socket folder {folder} belongs to another user (uid {info.st_uid}). "
            "Remove it or set XDG_RUNTIME_DIR to a folder of your own."
        )
    if info.st_mode & 0o077:
        try:
            folder.chmod(0o700)
        except OSError as error:
            raise SocketUnsafe(
                f"The socket folder {folder} is readable by others and cannot be made "
                f"private: {error.strerror or error}."
            ) from error


def take_lock(path: Path) -> int:
    """Take the lock beside the socket `path`; SocketInUse if another calldesk holds it."""
    import fcntl

    lock_path = path.with_name(LOCK_NAME)
    try:
        fd = open_private(lock_path, os.O_RDWR)
    except FileRefused as error:
        raise SocketUnsafe(f"{error}") from error
    except OSError as error:
        raise SocketError(f"Cannot create {lock_path}: {error.strerror or error}.") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise SocketInUse(
            f"Another calldesk is already taking softphone events on {path}. "
            "Use that window, or close it first."
        ) from None
    except OSError as error:
        os.close(fd)
        raise SocketError(f"Cannot lock {lock_path}: {error.strerror or error}.") from error
    return fd
