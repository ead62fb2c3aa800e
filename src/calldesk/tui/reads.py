"""The screen's way to the data: reads queue behind the desk's writes and come back as messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from textual.message import Message

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from calldesk.core.calls.desk import Desk

T = TypeVar("T")


@dataclass
class ReadDone(Message):
    """A read (or a write's result) came back from the writer thread; the app hands it on.

    `handle` is called with `value`, or `on_error` with `error`, on the UI thread.
    """

    value: Any
    handle: Callable[[Any], object]
    error: BaseException | None = None
    on_error: Callable[[BaseException], object] | None = None


class DataAccess(Protocol):
    """What a screen needs to read and write without waiting on the disk."""

    def read(self, read: Callable[[], T], then: Callable[[T], object]) -> None:
        """Run `read` behind the queued writes; `then` gets its result on the UI thread."""

    def write(self, write: Callable[[], object]) -> None:
        """Queue a store write; a failure is reported like every other save failure."""


class InPlace:
    """Reads and writes run at once, on the caller's thread: a screen shown on its own, in a
    test app with no desk. The app itself always uses `DeskData`."""

    def read(self, read: Callable[[], T], then: Callable[[T], object]) -> None:
        then(read())

    def write(self, write: Callable[[], object]) -> None:
        write()


class DeskData:
    """The app's `DataAccess`: everything goes through the desk's writer thread, in order.

    Results are posted to `target` (the app) as `ReadDone` messages, which never block the
    writer thread, even while the app shuts down.
    """

    def __init__(self, desk: Desk, target: MessagePump) -> None:
        self.desk = desk
        self.target = target

    def read(
        self,
        read: Callable[[], T],
        then: Callable[[T], object],
        on_error: Callable[[BaseException], object] | None = None,
    ) -> None:
        post = self.target.post_message
        self.desk.writes.read_after_writes(
            read,
            done=lambda value: post(ReadDone(value, then)),
            failed=lambda error: post(ReadDone(None, then, error, on_error)),
        )

    def write(self, write: Callable[[], object]) -> None:
        self.desk.writes.write(write)

    async def fetch(self, read: Callable[[], T]) -> T:
        """`read` behind the queued writes, awaited (for the after-call steps, which run in
        order); its error is raised here."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()

        def answered(value: T) -> None:
            if not future.done():  # the awaiting worker may have been cancelled
                future.set_result(value)

        def failed(error: BaseException) -> None:
            if not future.done():
                future.set_exception(error)

        self.read(read, answered, failed)
        return await future


async def deliver(message: ReadDone) -> BaseException | None:
    """Hand a `ReadDone` to its callback (the app's handler calls this); an error nobody
    asked to hear about is returned, for the app to report."""
    if message.error is not None:
        if message.on_error is None:
            return message.error
        result = message.on_error(message.error)
    else:
        result = message.handle(message.value)
    if asyncio.iscoroutine(result):
        await result
    return None
