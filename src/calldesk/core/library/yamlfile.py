"""Reading a YAML file safely: regular files only (never a FIFO or a device), bounded size."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from calldesk.core.library.yamlsafe import YamlDocument, parse_yaml

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Bigger files are refused unread: no phrase file needs that much, and parsing costs memory."""


def read_yaml(path: Path, max_bytes: int = MAX_FILE_BYTES) -> YamlDocument:
    """Read and parse one YAML file; every failure comes back as a Problem, never an exception."""
    try:
        data = _read_regular(path, max_bytes + 1)
    except IsADirectoryError:
        return YamlDocument.failure(path, "this is a folder, not a file", "")
    except FileNotFoundError:
        return YamlDocument.failure(path, "no such file", "check the path")
    except _NotRegular as error:
        return YamlDocument.failure(
            path, f"this is {error}, not a file; it was not read", "remove it from the folder"
        )
    except OSError as error:
        return YamlDocument.failure(
            path, f"cannot read the file: {error.strerror}", "check its permissions"
        )
    if len(data) > max_bytes:
        limit = (
            f"{max_bytes / 1024 / 1024:g} MiB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
        )
        return YamlDocument.failure(
            path, f"the file is larger than {limit}", "split it into several files"
        )
    return parse_yaml(data, path)


class _NotRegular(OSError):
    """A FIFO, device or socket where a file was expected; the message names which."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _read_regular(path: Path, limit: int) -> bytes:
    """Up to `limit` bytes of a regular file; anything else is refused without blocking.

    A shared phrase folder is writable by others: a FIFO named trap.yaml would block an open
    or a read for ever, and opening a device can have effects. So: stat first, open with
    O_NONBLOCK (a FIFO swapped in after the stat then opens at once), and check again.
    """
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode):
        raise _NotRegular(_kind(info.st_mode))
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _NotRegular(_kind(info.st_mode))
        chunks: list[bytes] = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(limit - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)
