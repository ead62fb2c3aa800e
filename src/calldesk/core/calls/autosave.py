"""Write-behind: store writes run in order on a background thread; typing never waits on disk."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

RETRY_SECONDS = 2.0


@dataclass(slots=True, eq=False)  # jobs are told apart by identity
class _Job:
    run: Callable[[], Any]
    key: Hashable | None
    on_done: Callable[[Any], None] | None
    read: bool = False
    """A read: runs once, never retried; its error goes to `on_failed`."""
    on_failed: Callable[[BaseException], None] | None = None


class WriteBehind:
    """Runs store writes serially on a worker thread.

    Jobs run in the order they were queued. A job with a `key` replaces a still-queued job with
    the same key when that job is the last in the queue (a draft saved twice in a row only needs
    its newest text), never jumping ahead of other writes. A job that fails stays at the head of
    the queue and is retried, so nothing typed is dropped while the disk is full or read-only;
    `on_error` hears about the first failure of a streak and `on_recovered` about its end.
    Errors in `give_up_on` are permanent (retrying cannot help): that job is dropped and
    reported to `on_given_up`.

    A read (`submit_read`) waits in the same queue, so it sees every write queued before it.
    While a write ahead of it is failing, the reads queued behind it run at once instead and
    see what is stored: nothing waits on a disk that is down.
    """

    def __init__(
        self,
        on_error: Callable[[BaseException], None] | None = None,
        on_recovered: Callable[[], None] | None = None,
        retry_seconds: float = RETRY_SECONDS,
        give_up_on: tuple[type[BaseException], ...] = (),
        on_given_up: Callable[[BaseException], None] | None = None,
        before_write: Callable[[], None] | None = None,
    ) -> None:
        self._queue: deque[_Job] = deque()
        self._before_write = before_write
        """Runs on the writer thread before each write; raising fails that write (retried)."""
        self._cond = threading.Condition()
        self._on_error = on_error
        self._on_recovered = on_recovered
        self._retry_seconds = retry_seconds
        self._give_up_on = give_up_on
        self._on_given_up = on_given_up
        self._failing = False
        self._closed = False
        self._busy = False
        self._thread = threading.Thread(target=self._loop, name="calldesk-writer", daemon=True)
        self._thread.start()

    def submit(
        self,
        run: Callable[[], Any],
        key: Hashable | None = None,
        on_done: Callable[[Any], None] | None = None,
    ) -> None:
        with self._cond:
            if (
                key is not None
                and self._queue
                and self._queue[-1].key == key
                and not (self._busy and len(self._queue) == 1)
            ):
                self._queue[-1] = _Job(run, key, on_done)
            else:
                self._queue.append(_Job(run, key, on_done))
            self._cond.notify()

    def submit_read(
        self,
        run: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `run` after the writes queued so far; its result goes to `on_done`.

        Both callbacks are called on the writer thread. A read that raises is not retried:
        the error goes to `on_failed` (and is dropped without one).
        """
        with self._cond:
            self._queue.append(_Job(run, None, on_done, read=True, on_failed=on_failed))
            self._cond.notify()

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue)

    @property
    def failing(self) -> bool:
        return self._failing

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued write is done; False if that did not happen in time."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue, timeout=timeout)

    def close(self, timeout: float = 5.0) -> bool:
        """Flush, then stop the thread. Returns whether everything was written."""
        done = self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=1.0)
        return done

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if self._closed and not self._queue:
                    return
                if self._closed and self._failing:
                    return  # give up on shutdown; the caller was told writes are failing
                job = self._queue[0]
                self._busy = True
            if job.read:
                self._run_read(job, first=True)
                continue
            try:
                if self._before_write is not None:
                    self._before_write()
                result = job.run()
            except self._give_up_on as error:
                # Retrying cannot help (its row is gone): drop it rather than block the queue.
                with self._cond:
                    self._queue.popleft()
                    self._busy = False
                    self._cond.notify_all()
                if self._on_given_up:
                    self._on_given_up(error)
                continue
            except Exception as error:
                first = not self._failing
                self._failing = True
                with self._cond:
                    self._busy = False
                if first and self._on_error:
                    self._on_error(error)
                self._run_reads_behind()
                with self._cond:
                    self._cond.wait(timeout=self._retry_seconds)
                continue
            with self._cond:
                self._queue.popleft()  # a running job is never replaced, so it is still first
                self._busy = False
                self._cond.notify_all()
            if self._failing:
                self._failing = False
                if self._on_recovered:
                    self._on_recovered()
            if job.on_done:
                job.on_done(result)

    def _run_read(self, job: _Job, *, first: bool) -> None:
        """Run one read and take it off the queue (the head when `first`, else where it is)."""
        try:
            result = job.run()
        except Exception as error:
            outcome: tuple[Callable[[Any], None] | None, Any] = (job.on_failed, error)
        else:
            outcome = (job.on_done, result)
        with self._cond:
            if first:
                self._queue.popleft()
                self._busy = False
            else:
                self._queue.remove(job)
            self._cond.notify_all()
        callback, value = outcome
        if callback is not None:
            callback(value)

    def _run_reads_behind(self) -> None:
        """The head write is failing: the reads queued behind it answer from what is stored."""
        with self._cond:
            reads = [job for job in self._queue if job.read]
        for job in reads:
            self._run_read(job, first=False)
