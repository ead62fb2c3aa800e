"""The desk's writes: ids handed out as calls and notes are made, every write queued behind the
screen on one writer thread, reads that wait behind them, a vanished database file put back.

The desk holds the truth in memory and hands every write here, so a slow, full or read-only
disk never stalls typing and never loses what was typed: writes are retried until they land.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from calldesk.core.calls import records as call_records
from calldesk.core.calls.autosave import WriteBehind
from calldesk.core.db.errors import NotFound

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call
    from calldesk.core.db.database import Database
    from calldesk.core.db.vanish import Recreated


T = TypeVar("T")


class Writes:
    """The database as the desk sees it: one queue of writes, ids known up front."""

    def __init__(
        self,
        store: Database | None,
        on_save_error: Callable[[BaseException], None] | None = None,
        on_save_recovered: Callable[[], None] | None = None,
        on_saved: Callable[[], None] | None = None,
        on_store_recreated: Callable[[Recreated], None] | None = None,
    ) -> None:
        self._on_store_recreated = on_store_recreated
        self._recreate_queued = False
        self._on_saved = on_saved
        self._local_ids = 0
        self._unsaved: set[int] = set()
        """Ids of calls whose first write has not landed yet (added here, removed by the writer)."""
        self._next_ids: list[int] | None = None
        self.store = store
        self.writer = WriteBehind(
            on_error=on_save_error,
            on_recovered=on_save_recovered,
            give_up_on=(NotFound,),
            on_given_up=on_save_error,
            before_write=self._keep_store_in_place,
        )

    @property
    def store(self) -> Database | None:
        return self._store

    @store.setter
    def store(self, store: Database | None) -> None:
        """Attach the database: from now on calls and notes get their stored ids as they are made.

        Ids are handed out here, on the caller's thread, from the next free ones in the database
        (the desk is its only writer of calls and notes); the writer thread never changes a
        call or note object. Without a database, ids are local and negative.
        """
        self._store = store
        self._next_ids = list(call_records.next_ids(store)) if store is not None else None

    def _new_id(self, table: int) -> int:
        if self._next_ids is None:
            self._local_ids -= 1
            return self._local_ids
        new = self._next_ids[table]
        self._next_ids[table] += 1
        return new

    def new_call_id(self) -> int:
        return self._new_id(0)

    def new_note_id(self) -> int:
        return self._new_id(1)

    def is_stored(self, call: Call) -> bool:
        """Whether `call` is in the database: it has a stored id and its first write landed."""
        return call.id > 0 and call.id not in self._unsaved

    # -- queueing ------------------------------------------------------------------------------

    def submit(
        self, run: Callable[[], Any], key: Any = None, done: Callable[[Any], None] | None = None
    ) -> None:
        """Queue `run` (nothing without a database); a newer write with the same `key` replaces
        a queued one. `done` hears its result on the writer thread."""
        if self.store is None:
            return

        def finished(result: Any) -> None:
            if done is not None:
                done(result)
            if self._on_saved is not None:
                self._on_saved()

        self.writer.submit(run, key=key, on_done=finished)

    def submit_insert(self, call_id: int, run: Callable[[], Any]) -> None:
        """Queue the write that creates call `call_id`; `is_stored` is False until it lands."""
        if self.store is None:
            return
        self._unsaved.add(call_id)
        self.submit(run, done=lambda _: self._unsaved.discard(call_id))

    def write(self, run: Callable[[], T], done: Callable[[T], None] | None = None) -> None:
        """Queue a store write that is not about the open call (a practice grade, a fix's
        status): it lands in order with the rest, and a failure is reported like theirs.
        `done` hears its result on the writer thread."""
        self.submit(run, done=done)

    def read_after_writes(
        self,
        read: Callable[[], T],
        done: Callable[[T], None],
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run `read` on the writer thread once the writes queued so far have landed.

        Its result goes to `done` (or its error to `failed`), on the writer thread: a screen
        turns that into a message. While the store fails to write, the read runs at once and
        sees what is stored (`writer.failing` says so), so no screen waits on a broken disk.
        """
        self.writer.submit_read(read, on_done=done, on_failed=failed)

    def close(self) -> bool:
        """Write out everything still queued. Returns False if some writes could not land."""
        return self.writer.close()

    # -- a vanished database file --------------------------------------------------------------

    def check_store(self) -> bool:
        """Whether the database file vanished (deleted, renamed, replaced); if it did, its
        re-creation is queued on the writer thread. One `lstat`: the app calls it every second,
        so a vanished file is noticed within a second even when nothing is being written."""
        store = self._store
        if store is None or store.vanished() is None:
            return False
        if not self._recreate_queued:
            self._recreate_queued = True

            def done(_: object) -> None:
                self._recreate_queued = False

            # An empty write: the check before every write does the work, in order.
            self.writer.submit(lambda: None, key="keep-store-in-place", on_done=done)
        return True

    def _keep_store_in_place(self) -> None:
        """Before every write, on the writer thread: a vanished database file is re-created
        from the open connection first, so the write lands where calldesk will find it."""
        store = self._store
        if store is None or store.vanished() is None:
            return
        recreated = store.recreate()
        if recreated is not None and self._on_store_recreated is not None:
            self._on_store_recreated(recreated)
