"""Thread workers that never keep calldesk from quitting, whatever they are stuck on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class DaemonExecutor(ThreadPoolExecutor):
    """Runs each job on its own daemon thread; shutting down never waits for them.

    Textual runs thread workers on the event loop's default executor, and `asyncio.run` joins
    that executor's threads on the way out: one worker stuck in a read (a FIFO in a phrase
    folder, a hung network mount) kept calldesk open for good, holding the database lock, after
    ctrl+q. Everything a worker does that matters is saved by the note writer, which the app
    flushes before it exits; a worker still running at exit has nothing left to give.

    A ThreadPoolExecutor only because asyncio accepts nothing else as the default executor;
    none of its pool is used.
    """

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="calldesk-unused")
        self._shutdown = False
        self._lock = threading.Lock()

    def submit(  # type: ignore[override]
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)

        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot start a job after shutdown")
            threading.Thread(target=run, name="calldesk-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
