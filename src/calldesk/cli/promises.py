"""`calldesk promises`: list the promises made to callers, and mark them kept, moved or dropped."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from calldesk.cli.main import UserError, database_stored

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.promises.model import Promise
    from calldesk.core.storage import Database

_EXAMPLES = """\
examples:
  calldesk promises                      the open promises, soonest first
  calldesk promises --due today          open and due by tonight (overdue ones too)
  calldesk promises --overdue --json     the ones already late, as JSON
  calldesk promises kept 12              promise 12 was kept
  calldesk promises move 12 "tomorrow 10am" --reason "caller asked"
  calldesk promises drop 12 --reason "RMA cancelled by the customer"

Make a promise in the app: type `/promise 15:30 call back about the RMA` as a note, or press p
on a note. Works while calldesk is running.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "promises",
        help="promises made to callers: list them, mark them kept, moved or dropped",
        description="List the promises made to callers (open ones by default).",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--due",
        choices=("today",),
        help="only open promises due by the end of today (overdue ones included)",
    )
    which.add_argument("--overdue", action="store_true", help="only open promises already late")
    which.add_argument(
        "--all",
        dest="all_promises",
        action="store_true",
        help="every promise, kept and dropped too",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.set_defaults(handler=run_list)
    commands = parser.add_subparsers(dest="promise_command", metavar="COMMAND")
    kept = commands.add_parser("kept", help="mark a promise kept", description="Mark it kept.")
    kept.add_argument("id", type=int, help="the promise's number, from `calldesk promises`")
    kept.set_defaults(handler=run_kept)
    move = commands.add_parser(
        "move",
        help="give a promise a new due time",
        description="Give a promise a new due time, agreed with the caller.",
    )
    move.add_argument("id", type=int, help="the promise's number")
    move.add_argument("when", help='the new due time: "15:30", "in 2h", "tomorrow 10am", …')
    move.add_argument("--reason", default="", help="why it moved (kept with the promise)")
    move.set_defaults(handler=run_move)
    drop = commands.add_parser(
        "drop",
        help="drop a promise, with the reason",
        description="Drop a promise that will not be kept; the reason is kept with it.",
    )
    drop.add_argument("id", type=int, help="the promise's number")
    drop.add_argument("--reason", required=True, help="why it is dropped")
    drop.set_defaults(handler=run_drop)


def _end_of_today(now: datetime) -> datetime:
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.promises.records import list_promises
    from calldesk.core.storage import Database, StoreError

    now = SystemClock().now()
    database = settings.database_path
    if not database_stored(database):
        promises: list[Promise] = []
    else:
        try:
            with Database.open_readonly(database, SystemClock()) as store:
                if args.all_promises:
                    promises = list_promises(store)
                elif args.overdue:
                    promises = list_promises(store, open_only=True, due_before=now)
                elif args.due == "today":
                    promises = list_promises(store, open_only=True, due_before=_end_of_today(now))
                else:
                    promises = list_promises(store, open_only=True)
        except StoreError as error:
            raise UserError(str(error), code=1) from None
    if args.json:
        print(json.dumps([promise_json(promise, now) for promise in promises], indent=2))
        return 0
    if not promises:
        print("No promises to show.", file=sys.stderr)
        return 0
    for promise in promises:
        print(promise_line(promise, now))
    return 0


def promise_json(promise: Promise, now: datetime) -> dict[str, object]:
    """A promise as JSON: times in ISO 8601 with their UTC offset, text verbatim."""

    def iso(when: datetime | None) -> str | None:
        return None if when is None else when.astimezone().isoformat()

    return {
        "id": promise.id,
        "what": promise.what,
        "due_at": iso(promise.due_at),
        "first_due_at": iso(promise.first_due_at or promise.due_at),
        "made_at": iso(promise.made_at),
        "state": str(promise.state),
        "overdue": promise.overdue(now),
        "kept_on_time": promise.kept_on_time,
        "reason": promise.reason,
        "closed_at": iso(promise.closed_at),
        "call_id": promise.call_id,
        "caller_name": promise.caller_name,
        "caller_number": promise.caller_number,
        "source": str(promise.source),
    }


def promise_line(promise: Promise, now: datetime) -> str:
    """`#12  15:30 (overdue)  Ann · 0123  call back  [moved: caller asked]`, safe to print."""
    from calldesk.core.promises.model import when_text
    from calldesk.core.textsafe import visible

    state = str(promise.state)
    if promise.reason:
        state += f": {promise.reason}"
    when = when_text(promise.due_at, now)
    if not promise.is_open:
        when = when.removesuffix(" (overdue)")  # late is for promises still to keep
    text = f"#{promise.id}  {when}  {promise.who()}  {promise.what}"
    return visible(f"{text}  [{state}]")


@contextmanager
def _writable(settings: Settings) -> Iterator[Database]:
    """The database for writing: opened as usual, or beside a running calldesk."""
    from calldesk.core.clock import SystemClock
    from calldesk.core.promises.records import PromiseNotFound, open_beside_app
    from calldesk.core.storage import Database, StoreError, StoreInUse

    database = settings.database_path
    if not database_stored(database):
        raise UserError(f"no promises yet: there is no call database at {database}", code=1)
    try:
        try:
            store = Database.open(database, SystemClock())
        except StoreInUse:
            store = open_beside_app(database, SystemClock())
        try:
            yield store
        finally:
            store.close()
    except StoreError as error:
        raise UserError(str(error), code=1) from None
    except PromiseNotFound as error:
        raise UserError(str(error), code=1) from None


def _report(promise: Promise) -> int:
    from calldesk.core.clock import SystemClock

    print(promise_line(promise, SystemClock().now()))
    return 0


def run_kept(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.promises.model import PromiseState
    from calldesk.core.promises.records import close_promise

    with _writable(settings) as store:
        promise = close_promise(store, args.id, PromiseState.KEPT, at=SystemClock().now())
    return _report(promise)


def run_drop(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.promises.model import PromiseState
    from calldesk.core.promises.records import close_promise

    if not args.reason.strip():
        raise UserError("say why the promise is dropped: --reason 'the customer cancelled'")
    with _writable(settings) as store:
        promise = close_promise(
            store, args.id, PromiseState.DROPPED, args.reason.strip(), at=SystemClock().now()
        )
    return _report(promise)


def run_move(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.promises.records import move_promise
    from calldesk.core.promises.when import DueError, parse_due

    try:
        due = parse_due(args.when, SystemClock().now())
    except DueError as error:
        raise UserError(str(error)) from None
    with _writable(settings) as store:
        promise = move_promise(store, args.id, due, args.reason.strip())
    return _report(promise)
