"""Watching the phrase folders for saved changes, so a running calldesk reloads them at once."""

from __future__ import annotations

import logging
import os
import platform
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.core.library.loader import PHRASE_SUFFIXES

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

STEP_MS = 50
"""A batch of events is handed over once the folders have been quiet this long."""
TICK_S = 0.25
"""How often the folder layout is re-checked (a folder created or deleted) between events."""
RETRY_S = 5.0
"""Wait before trying again when the operating system refuses to watch at all."""
POLL_S = 0.25
"""How often the phrase files are compared when polling instead of being told by the system."""

# watchfiles' Change values (kept here so importing this module does not import watchfiles).
_ADDED, _MODIFIED, _DELETED = 1, 2, 3


@dataclass(frozen=True)
class WatchPlan:
    """What to watch for a list of phrase folders, given what exists on disk right now."""

    trees: tuple[Path, ...] = ()
    """Existing folders, watched with everything under them."""
    parents: tuple[Path, ...] = ()
    """Folders watched without their subfolders: the nearest existing ancestor of a phrase
    folder that does not exist yet, and the folder of a phrase folder entry that is a file."""
    files: frozenset[Path] = frozenset()
    """Phrase folder entries that are single files."""
    missing: tuple[Path, ...] = ()
    """Phrase folders that do not exist yet."""


def plan_watch(folders: Iterable[Path]) -> WatchPlan:
    """Decide what to watch: existing folders whole, and the way to those that do not exist yet."""
    trees: list[Path] = []
    files: set[Path] = set()
    missing: list[Path] = []
    for folder in folders:
        path = Path(os.path.abspath(folder))
        if path.is_dir():
            trees.append(path)
        elif path.exists():
            files.add(path)
        else:
            missing.append(path)
    # A folder inside another watched folder is already seen; watching it twice doubles events.
    trees = sorted({tree for tree in trees if not any(_inside(tree, other) for other in trees)})
    parents = {path.parent for path in files}
    parents.update(_nearest_existing(path) for path in missing)
    return WatchPlan(
        trees=tuple(trees),
        parents=tuple(sorted(p for p in parents if not any(_within(p, t) for t in trees))),
        files=frozenset(path for path in files if not any(_inside(path, t) for t in trees)),
        missing=tuple(missing),
    )


def _inside(path: Path, folder: Path) -> bool:
    """`path` is strictly below `folder`."""
    return path != folder and path.is_relative_to(folder)


def _within(path: Path, folder: Path) -> bool:
    return path.is_relative_to(folder)


def _nearest_existing(path: Path) -> Path:
    for parent in path.parents:
        if parent.is_dir():
            return parent
    return Path(path.anchor or "/")


def _is_hidden(path: Path, root: Path) -> bool:
    """Hidden below `root` (editor swap and lock files, .git): the loader skips those too."""
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _is_phrase_file(path: Path) -> bool:
    return path.name.endswith(PHRASE_SUFFIXES)


def _folders_under(root: Path) -> set[Path]:
    found = {root}
    for parent, dirs, _names in os.walk(root):
        dirs[:] = [name for name in dirs if not name.startswith(".")]
        found.update(Path(parent, name) for name in dirs)
    return found


@dataclass
class _Round:
    """One watch setup; a new round starts whenever the folder layout changes."""

    plan: WatchPlan
    stop: threading.Event = field(default_factory=threading.Event)
    known_dirs: set[Path] = field(default_factory=set)
    threads: list[threading.Thread] = field(default_factory=list)
    ready: list[threading.Event] = field(default_factory=list)
    failed: BaseException | None = None


class _Either:
    """Set when either event is set: watchfiles only asks `is_set()`."""

    def __init__(self, first: threading.Event, second: threading.Event) -> None:
        self._first = first
        self._second = second

    def is_set(self) -> bool:
        return self._first.is_set() or self._second.is_set()


class PhraseWatcher:
    """Calls `on_change(paths)` on a background thread soon after a phrase file is saved.

    `paths` are the phrase files (`*.yaml`, `*.yml`, not hidden) that were written, created,
    renamed into place or deleted, plus folders that appeared or disappeared (a moved folder
    takes its phrases with it). Editors' temporary, swap and backup files are ignored. Changes
    arriving together (an editor's write-then-rename, a `git pull`) come as one call once the
    folders have been quiet for 50 ms, or after `debounce_ms` at most.

    A phrase folder that does not exist yet (the user's own folder, before the first phrase)
    is picked up when it is created: its nearest existing parent is watched without subfolders
    and the folder layout is re-checked every quarter second. A watched folder that is deleted
    is reported, then waited for in the same way; one deleted and put back at once (a fresh
    clone moved into place) is watched anew and reported.

    `on_change` must not block for long (hand the paths to the UI thread and return); calls
    never overlap. `on_error(message)` is told when watching fails (the system's limit on
    watches reached, say); the watcher then polls every quarter second and keeps going.
    `force_polling=True` polls from the start; None polls where watchfiles would
    ($WATCHFILES_FORCE_POLLING, WSL).
    """

    def __init__(
        self,
        folders: Sequence[Path],
        on_change: Callable[[set[Path]], None],
        debounce_ms: int = 150,
        *,
        on_error: Callable[[str], None] | None = None,
        force_polling: bool | None = None,
    ) -> None:
        self.folders = tuple(Path(folder) for folder in folders)
        self._on_change = on_change
        self._on_error = on_error
        self.debounce_ms = max(int(debounce_ms), STEP_MS)
        self._force_polling = force_polling
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._emit_lock = threading.Lock()
        self._round: _Round | None = None
        self._thread: threading.Thread | None = None

    # -- public --------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching in a background thread; does nothing if already running."""
        if self.running:
            return
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._supervise, name="calldesk-phrase-watcher", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop watching and wait (at most `timeout` seconds) for the threads to end."""
        self._stop.set()
        current = self._round
        if current is not None:
            current.stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait until the folders are being watched (a save after this is never missed)."""
        return self._ready.wait(timeout)

    @property
    def plan(self) -> WatchPlan | None:
        """What is being watched right now (None before `start`)."""
        current = self._round
        return current.plan if current is not None else None

    def __enter__(self) -> PhraseWatcher:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the supervisor: one round per folder layout ---------------------------------------

    def _supervise(self) -> None:
        restarted = False
        polling = _use_polling(self._force_polling)
        # Paths to report once the next round is watching. Between two rounds nothing watches,
        # so after a layout change every watched folder is reported: the reload this triggers
        # sees whatever happened meanwhile, and anything later is an event of its own.
        pending: set[Path] = set()
        while not self._stop.is_set():
            plan = plan_watch(self.folders)
            current = _Round(plan)
            for tree in plan.trees:
                current.known_dirs.update(_folders_under(tree))
            self._round = current
            if self._stop.is_set():
                break
            jobs: list[tuple[Callable[..., None], tuple[object, ...]]] = []
            if polling:
                if plan.trees or plan.files:
                    jobs.append((self._poll, (current,)))
            else:
                jobs.extend(
                    (self._watch, (current, paths, recursive))
                    for paths, recursive in ((plan.trees, True), (plan.parents, False))
                    if paths
                )
            for target, args in jobs:
                ready = threading.Event()
                current.ready.append(ready)
                current.threads.append(
                    threading.Thread(
                        target=target,
                        args=(*args, ready),
                        name="calldesk-phrase-watch",
                        daemon=True,
                    )
                )
            for thread in current.threads:
                thread.start()
            while not current.stop.is_set() and not all(r.is_set() for r in current.ready):
                if self._stop.is_set():
                    current.stop.set()
                current.stop.wait(0.01)
            if restarted:
                pending |= {*plan.trees, *plan.files}
            if not current.stop.is_set():
                self._emit({path for path in pending if path.exists()})
                pending.clear()
                self._ready.set()
            while not current.stop.wait(TICK_S):
                if self._stop.is_set() or plan_watch(self.folders) != plan:
                    current.stop.set()
            for thread in current.threads:
                thread.join()
            if self._stop.is_set():
                break
            if current.failed is not None and plan_watch(self.folders) == plan:
                if polling:
                    self._error(f"cannot watch the phrase folders: {current.failed}")
                    self._stop.wait(RETRY_S)
                else:
                    self._error(
                        f"cannot watch the phrase folders ({current.failed}); "
                        "checking them for changes every quarter second instead"
                    )
                    polling = True
            gone = _disappeared(plan, plan_watch(self.folders))
            self._emit(gone)
            restarted = True
        self._round = None

    def _watch(
        self, current: _Round, paths: Sequence[Path], recursive: bool, ready: threading.Event
    ) -> None:
        import watchfiles

        stop = _Either(self._stop, current.stop)
        try:
            for changes in watchfiles.watch(
                *paths,
                watch_filter=None,
                debounce=self.debounce_ms,
                step=STEP_MS,
                stop_event=stop,
                rust_timeout=int(TICK_S * 1000),
                yield_on_timeout=True,
                raise_interrupt=False,
                recursive=recursive,
                force_polling=False,
                ignore_permission_denied=True,
            ):
                ready.set()
                if not changes:
                    continue
                relevant = self._relevant(current, changes)
                if relevant:
                    self._emit(relevant)
                if plan_watch(self.folders) != current.plan:
                    current.stop.set()
        except Exception as error:  # reported and retried: watching must never crash the app
            if plan_watch(self.folders) == current.plan and not stop.is_set():
                current.failed = error
        finally:
            ready.set()
            current.stop.set()

    def _poll(self, current: _Round, ready: threading.Event) -> None:
        """Compare the phrase files' stat every POLL_S: for file systems that do not notify.

        watchfiles' own polling compares modification times only and misses a quick edit of
        the same file, so this compares size, time and inode of every phrase file.
        """
        try:
            before = _snapshot(current.plan)
            ready.set()
            while not current.stop.wait(POLL_S) and not self._stop.is_set():
                after = _snapshot(current.plan)
                changed = {
                    path
                    for path in before.keys() | after.keys()
                    if before.get(path) != after.get(path)
                }
                before = after
                self._emit(changed)
        except Exception as error:  # reported and retried: watching must never crash the app
            current.failed = error
        finally:
            ready.set()
            current.stop.set()

    def _relevant(self, current: _Round, changes: set[tuple[int, str]]) -> set[Path]:
        """The changed paths that can change the library (see the class docstring)."""
        plan = current.plan
        found: set[Path] = set()
        for change, raw in changes:
            path = Path(raw)
            if path in plan.files:
                found.add(path)
                continue
            root = next((tree for tree in plan.trees if _within(path, tree)), None)
            if root is None:
                continue  # the layout check notices missing folders appearing
            if path == root:
                if change != _MODIFIED:
                    # Deleted or moved, perhaps back already: the watch on it is gone either
                    # way, so start again and report it.
                    current.stop.set()
                continue
            if _is_hidden(path, root):
                continue
            if _is_phrase_file(path):
                found.add(path)
            elif change == _ADDED and path.is_dir():
                current.known_dirs.update(_folders_under(path))
                found.add(path)
            elif change == _DELETED and path in current.known_dirs:
                current.known_dirs.difference_update(
                    {known for known in current.known_dirs if _within(known, path)}
                )
                found.add(path)
        return found

    def _emit(self, paths: set[Path]) -> None:
        if not paths or self._stop.is_set():
            return
        with self._emit_lock:
            try:
                self._on_change(set(paths))
            except Exception:  # a bug in the callback must not stop the watching
                log.exception("phrase watcher: on_change failed")

    def _error(self, message: str) -> None:
        log.warning("phrase watcher: %s", message)
        if self._on_error is not None:
            try:
                self._on_error(message)
            except Exception:
                log.exception("phrase watcher: on_error failed")


def _use_polling(force_polling: bool | None) -> bool:
    """Poll if asked to, or as watchfiles would ($WATCHFILES_FORCE_POLLING, WSL)."""
    if force_polling is not None:
        return force_polling
    value = os.environ.get("WATCHFILES_FORCE_POLLING")
    if value:
        return value.lower() not in ("false", "disable", "disabled")
    # Inotify does not see changes made from Windows to files under WSL's /mnt.
    return "microsoft-standard" in platform.uname().release


def _snapshot(plan: WatchPlan) -> dict[Path, tuple[int, int, int]]:
    """(size, mtime, inode) of every phrase file and folder the loader would read."""
    found: dict[Path, tuple[int, int, int]] = {}

    def add(path: Path, is_dir: bool = False) -> None:
        try:
            info = os.stat(path)
        except OSError:
            return
        # A folder's own size and time change with every file in it: only its identity counts.
        found[path] = (
            (0, 0, info.st_ino) if is_dir else (info.st_size, info.st_mtime_ns, info.st_ino)
        )

    for tree in plan.trees:
        for parent, dirs, names in os.walk(tree):
            dirs[:] = [name for name in dirs if not name.startswith(".")]
            add(Path(parent), is_dir=True)
            for name in names:
                if name.endswith(PHRASE_SUFFIXES) and not name.startswith("."):
                    add(Path(parent, name))
    for path in plan.files:
        add(path)
    return found


def _disappeared(before: WatchPlan, after: WatchPlan) -> set[Path]:
    now = set(after.trees) | after.files
    return {path for path in (*before.trees, *before.files) if path not in now}
