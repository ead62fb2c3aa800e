"""Files and folders written for the agent: private (0600/0700), atomic, never through a link."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

# O_NOFOLLOW refuses a symlink at the last component; O_NONBLOCK keeps a FIFO planted at the
# name from blocking the open (it is refused once fstat shows what it is).
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_TEMP_ATTEMPTS = 100
# Room left in a file name for the temp name's dot, random part and ".tmp" (NAME_MAX is 255).
_TEMP_NAME_ROOM = 200


class FileRefused(OSError):
    """calldesk will not write `path`; `str()` says why and what to do.

    An OSError, so callers that already report OSError report this too: `strerror` reads on
    its own after "cannot write PATH: ".
    """

    def __init__(self, code: int, path: Path | str, reason: str) -> None:
        super().__init__(code, f"it {reason}", str(path))
        self.path = Path(path)
        self.reason = reason
        """What is wrong, to follow the path: "is a symbolic link; ..."."""

    def __str__(self) -> str:
        return f"{self.path} {self.reason}"


def _describe(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _symlink_refused(path: Path | str, other_name: str) -> FileRefused:
    return FileRefused(
        errno.ELOOP,
        path,
        "is a symbolic link; calldesk neither writes through links nor replaces them. "
        f"Remove the link{other_name}.",
    )


def _refuse_unsafe_existing(path: Path | str, info: os.stat_result, *, named: bool) -> None:
    """Raise FileRefused unless `info` (from lstat or fstat) is a regular file of our own.

    `named`: the user chose the name (an export), so the message offers another one.
    """
    other_name = ", or write to another file or folder" if named else ""
    if stat.S_ISLNK(info.st_mode):
        raise _symlink_refused(path, other_name)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused(
            errno.EINVAL,
            path,
            f"is {_describe(info.st_mode)}, not a file calldesk can write. "
            f"Move it away{other_name}.",
        )
    if info.st_uid != os.geteuid():
        raise FileRefused(
            errno.EPERM,
            path,
            f"belongs to another user (uid {info.st_uid}); calldesk does not write into or "
            f"replace other people's files. Ask them to remove it{other_name}.",
        )


def own_file_exists(path: Path) -> bool:
    """Whether the user's own regular file is at `path` (False when nothing is), never opening it.

    Anything else there (a symlink, a FIFO, a device, another user's file) raises FileRefused,
    as `open_private` would, so a reader says the same as a writer about it.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    _refuse_unsafe_existing(path, info, named=False)
    return True


def refuse_unsafe_dir(path: Path) -> None:
    """Raise FileRefused unless `path` is missing or a real folder of the user's own.

    For folders calldesk makes inside its data folder (`overflow/`): a symlink there is
    refused, as a symlinked file is, rather than written through.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode):
        raise _symlink_refused(path, "")
    _refuse_unless_own_folder(path, info)


def _refuse_unless_own_folder(path: Path, info: os.stat_result, choose: str = "") -> None:
    """Raise FileRefused unless `info` (of `path`) is a folder of the user's own; `choose`
    ends the advice where the user picked the folder (", or choose another folder")."""
    if not stat.S_ISDIR(info.st_mode):
        raise FileRefused(errno.ENOTDIR, path, f"is not a folder. Move it away{choose}.")
    if info.st_uid != os.geteuid():
        raise FileRefused(
            errno.EPERM,
            path,
            f"belongs to another user (uid {info.st_uid}); calldesk keeps its files only in "
            f"folders of your own. Remove it{choose}.",
        )


# -- folders --------------------------------------------------------------------------------


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) as a folder readable by the user alone; check an existing one.

    An existing folder must belong to the user; a looser mode is tightened to 0700. A symlink
    at `path` is refused unless both the link and the folder it leads to are the user's own
    (a data folder moved to another disk). Raises FileRefused, or OSError from mkdir.
    """
    path = Path(path)
    with contextlib.suppress(FileExistsError):
        path.mkdir(parents=True, mode=PRIVATE_DIR_MODE)
    link = os.lstat(path)
    if stat.S_ISLNK(link.st_mode) and link.st_uid != os.geteuid():
        raise FileRefused(
            errno.ELOOP,
            path,
            f"is a symbolic link made by another user (uid {link.st_uid}); calldesk keeps its "
            "files only in folders of your own. Remove the link.",
        )
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileRefused(
            errno.ENOENT, path, "is a symbolic link to nothing. Remove the link."
        ) from None
    _refuse_unless_own_folder(path, info, ", or choose another folder")
    if info.st_mode & 0o077:
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def make_output_dir(path: Path) -> Path:
    """Create a folder the user asked to write into (0700 when created); an existing one is used
    as it is (a shared team folder stays shared: each file written into it is private)."""
    path = Path(path)
    try:
        path.mkdir(parents=True, mode=PRIVATE_DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            if path.is_symlink():
                raise FileRefused(
                    errno.ENOENT, path, "is a symbolic link to nothing. Remove the link."
                ) from None
            raise FileRefused(
                errno.ENOTDIR, path, "is not a folder. Move it away, or choose a folder."
            ) from None
    return path


@contextlib.contextmanager
def _open_dir(path: Path) -> Iterator[int]:
    fd = os.open(path, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        yield fd
    finally:
        os.close(fd)


# -- whole files, replaced atomically -------------------------------------------------------


def check_target(path: Path, *, overwrite: bool) -> None:
    """Raise FileRefused if `write_private` would refuse `path` as it stands now.

    Lets a command refuse every file of a batch before it writes the first one.
    """
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there; writing says why if the folder is missing or a file
    _refuse_unsafe_existing(path, info, named=True)
    if not overwrite:
        raise FileRefused(errno.EEXIST, path, "already exists; use --force to overwrite it.")


def _create_temp(dir_fd: int, name: str) -> tuple[int, str]:
    """A new, empty, private file with a random name beside `name`: (fd, its name)."""
    stem = name[:_TEMP_NAME_ROOM]
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC
    for _ in range(_TEMP_ATTEMPTS):
        temp = f".{stem}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(temp, flags, PRIVATE_FILE_MODE, dir_fd=dir_fd)
        except FileExistsError:
            continue  # taken (or planted): draw another name
        try:
            # The umask may have narrowed the mode; make it exactly 0600 all the same.
            os.fchmod(fd, PRIVATE_FILE_MODE)
        except BaseException:
            os.close(fd)
            os.unlink(temp, dir_fd=dir_fd)
            raise
        return fd, temp
    raise FileExistsError(errno.EEXIST, "no free temporary name", name)


def _write_all(fd: int, payload: bytes) -> None:
    view = memoryview(payload)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_private(path: Path, data: str | bytes, *, overwrite: bool = True) -> None:
    """Write `path` atomically, mode 0600, owned by the user: readers see the old file or the new.

    The content goes to a new file with a random name in the same folder (created with O_EXCL
    and O_NOFOLLOW, so nothing planted there receives it), is synced, then renamed to `path`.
    A symlink, a folder or another non-regular file, or another user's file at `path` is
    refused (FileRefused), and so is an existing file unless `overwrite`: then the new file is
    put in place without replacing anything that appears meanwhile. A missing folder is
    created private.
    """
    write_private_stream(path, [data], overwrite=overwrite)


def write_private_stream(
    path: Path, chunks: Iterable[str | bytes], *, overwrite: bool = True
) -> None:
    """`write_private` for content made piece by piece: each chunk is written as it comes.

    The file is still complete or absent: the chunks go to the temporary file, which is only
    renamed to `path` once the last one is written and synced. An error (or ctrl+c) while the
    chunks are made leaves nothing behind.
    """
    path = Path(path)
    if not path.parent.exists():
        ensure_private_dir(path.parent)
    check_target(path, overwrite=overwrite)
    with _open_dir(path.parent) as dir_fd:
        fd, temp = _create_temp(dir_fd, path.name)
        try:
            try:
                for chunk in chunks:
                    _write_all(fd, chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
                os.fsync(fd)
            finally:
                os.close(fd)
            _put_in_place(dir_fd, temp, path, overwrite=overwrite)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp, dir_fd=dir_fd)
            raise
        # The rename is only durable once the folder is synced; some systems cannot (EINVAL).
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)


def _put_in_place(dir_fd: int, temp: str, path: Path, *, overwrite: bool) -> None:
    name = path.name
    if not overwrite:
        # link() fails if the name is taken, so a file (or link) created since the check is
        # never replaced. Where links are not supported, a checked rename is the fallback.
        try:
            os.link(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
        except FileExistsError:
            raise FileRefused(
                errno.EEXIST, path, "already exists; use --force to overwrite it."
            ) from None
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise
        else:
            os.unlink(temp, dir_fd=dir_fd)
            return
    # Check again right before the rename: a rename replaces a symlink itself (it never writes
    # through it), but the user asked for a file, and a link there means something is off.
    try:
        info = os.lstat(name, dir_fd=dir_fd)
    except FileNotFoundError:
        pass
    else:
        _refuse_unsafe_existing(path, info, named=True)
        if not overwrite:
            raise FileRefused(errno.EEXIST, path, "already exists; use --force to overwrite it.")
    os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)


# -- files kept open: logs, spools, locks ---------------------------------------------------


def open_private(path: Path, flags: int = os.O_RDWR, *, create: bool = True) -> int:
    """Open the user's own private file `path` (created 0600 if `create`); returns the fd.

    Never follows a symlink at `path`, and refuses (FileRefused) anything but a regular file
    that belongs to the user and has no other name (a hard link planted to another file of
    the user's would otherwise receive the writes). A looser mode is tightened to 0600.
    `flags` is the access mode plus e.g. O_APPEND; raises FileNotFoundError when the file is
    missing and not `create`.
    """
    # Refuse what is already there before opening it: opening a device can have effects.
    try:
        _refuse_unsafe_existing(path, os.lstat(path), named=False)
    except FileNotFoundError:
        if not create:
            raise
    extra = os.O_CREAT if create else 0
    try:
        fd = os.open(path, flags | extra | _NOFOLLOW | _CLOEXEC | _NONBLOCK, PRIVATE_FILE_MODE)
    except OSError as error:
        # Something was put there since the check: say what, as for one found there.
        if error.errno in (errno.ELOOP, errno.EMLINK, errno.EISDIR, errno.ENXIO):
            with contextlib.suppress(FileNotFoundError):
                _refuse_unsafe_existing(path, os.lstat(path), named=False)
        raise
    try:
        info = os.fstat(fd)
        _refuse_unsafe_existing(path, info, named=False)
        if info.st_nlink > 1:
            raise FileRefused(
                errno.EMLINK,
                path,
                f"has {info.st_nlink - 1} other name(s) (hard links); calldesk writes only to "
                "a file of its own. Remove it; calldesk creates a new one.",
            )
        if _NONBLOCK:
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~_NONBLOCK)
        if info.st_mode & 0o077:
            os.fchmod(fd, PRIVATE_FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_append(path: Path) -> int:
    """Open the user's private log or spool `path` for appending (see `open_private`)."""
    return open_private(path, os.O_WRONLY | os.O_APPEND)


def tighten(path: Path) -> None:
    """Make the user's existing file `path` 0600 if it is looser; a missing file is fine.

    Refuses a symlink, a non-regular file or another user's file, like `open_private`.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    _refuse_unsafe_existing(path, info, named=False)
    if info.st_mode & 0o077:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC | _NONBLOCK)
        try:
            _refuse_unsafe_existing(path, os.fstat(fd), named=False)
            os.fchmod(fd, PRIVATE_FILE_MODE)
        finally:
            os.close(fd)
