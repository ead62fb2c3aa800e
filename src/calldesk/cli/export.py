"""`calldesk export`: calls to Markdown on stdout, in one file, or one file per call in a folder."""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calldesk.cli.main import UserError, call_id_arg, database_stored, day_from_text

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.aftercall.checklist import Checklist
    from calldesk.core.calls.model import Call
    from calldesk.core.clock import Clock
    from calldesk.core.export.callrecord import CallRecord
    from calldesk.core.storage import Database

PROGRESS_MIN_CALLS = 200
"""Show a progress bar (on a terminal) from this many calls; fewer finish before it would draw."""
WRITERS = 8
"""Files written at once: each write waits on fsync, so overlapping them is most of the speed."""
CHUNK = 1000
"""Calls rendered before their files are written (bounds the memory a large export holds)."""

_EXAMPLES = """\
examples:
  calldesk export --call 42                    one call to the terminal
  calldesk export --today -o today.md          today's calls in one file
  calldesk export --since 2026-11-01 --until 2026-11-30 -o exports/
                                               one file per call in exports/
  calldesk export --all --redact -o all.md     every call, emails/phones/cards masked

Dates are YYYY-MM-DD in local time; --until includes its day. -o DIR/ (trailing slash, or
an existing folder) writes YYYY-MM-DD_HHMM_<caller>_<id>.md per call. Existing files are
never overwritten without --force. Works while calldesk is running (the database is opened
read-only).
"""


def register(subparsers: Any) -> None:
    """Add `export` to the calldesk command line."""
    parser = subparsers.add_parser(
        "export",
        help="export calls to Markdown",
        description="Export calls to Markdown with YAML front matter.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    which = parser.add_argument_group(
        "which calls (exactly one of --call, --today, --since, --all)"
    )
    which.add_argument(
        "--call",
        dest="calls",
        action="append",
        type=call_id_arg,
        metavar="ID",
        help="the call with this id (repeatable)",
    )
    which.add_argument("--today", action="store_true", help="calls started today")
    which.add_argument("--since", metavar="DATE", help="calls started on or after DATE")
    which.add_argument("--until", metavar="DATE", help="with --since: up to and including DATE")
    which.add_argument("--all", dest="all_calls", action="store_true", help="every stored call")
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="a file for one document, or a folder (DIR/) for one file per call; default stdout",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files of yours (never a link or another user's file)",
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="mask email addresses, phone, card and IBAN numbers, and the caller's number",
    )
    parser.set_defaults(handler=run_export)


# -- what to export -------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The calls asked for: by id, or started in [since, until) (None is open-ended)."""

    ids: tuple[int, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    filters: dict[str, object] = field(default_factory=dict)
    """How the selection was made, for the document's front matter."""
    describe: str = ""


def _day(flag: str, text: str) -> date:
    return day_from_text(flag, text)


def _midnight(day: date) -> datetime:
    """The start of `day` in local time, as an aware datetime."""
    return datetime.combine(day, time()).astimezone()


def selection_from_args(args: argparse.Namespace, today: date) -> Selection:
    chosen = [
        flag
        for flag, given in (
            ("--call", bool(args.calls)),
            ("--today", args.today),
            ("--since", args.since is not None),
            ("--all", args.all_calls),
        )
        if given
    ]
    if len(chosen) != 1:
        problem = "choose which calls to export" if not chosen else "choose only one selection"
        also = f" (got {' and '.join(chosen)})" if chosen else ""
        raise UserError(
            f"{problem}{also}: --call ID, --today, --since DATE [--until DATE] or --all"
        )
    if args.until is not None and args.since is None:
        raise UserError("--until needs --since: export --since DATE --until DATE")
    if args.calls:
        ids = tuple(dict.fromkeys(args.calls))
        return Selection(
            ids=ids, filters={"calls": list(ids)}, describe=", ".join(f"call {i}" for i in ids)
        )
    if args.all_calls:
        return Selection(filters={"all": True}, describe="all calls")
    if args.today:
        return Selection(
            since=_midnight(today),
            until=_midnight(today + timedelta(days=1)),
            filters={"since": today.isoformat(), "until": today.isoformat()},
            describe=f"today ({today.isoformat()})",
        )
    first = _day("--since", args.since)
    last = _day("--until", args.until) if args.until is not None else None
    if last is not None and last < first:
        raise UserError(f"--until {last} is before --since {first}")
    return Selection(
        since=_midnight(first),
        until=None if last is None else _midnight(last + timedelta(days=1)),
        filters={"since": first.isoformat(), "until": None if last is None else last.isoformat()},
        describe=f"{first} to {last}" if last else f"since {first}",
    )


def _selected_calls(store: Database, selection: Selection) -> list[Call]:
    from calldesk.core.calls import history as call_history
    from calldesk.core.storage import NotFound

    if not selection.ids:
        return list(call_history.iter_calls(store, selection.since, selection.until))
    calls: list[Call] = []
    missing: list[int] = []
    for call_id in selection.ids:
        try:
            calls.append(call_history.get_call(store, call_id))
        except NotFound:
            missing.append(call_id)
    if missing:
        names = ", ".join(str(call_id) for call_id in missing)
        noun = "call" if len(missing) == 1 else "calls"
        raise UserError(
            f"no {noun} {names} in {store.path}; export by date (--today, --since) to see"
            " each call's id",
            code=1,
        )
    return calls


def load_checklist(settings: Settings) -> Checklist:
    """The trainer's checklist (or the built-in one), to label the stored answers."""
    from calldesk.core.library.loader import load_configured_library

    # Problems in the trainer's files are `calldesk phrases check`'s business: a broken
    # checklist falls back to an earlier one, and answers without an item keep their ids.
    return load_configured_library(settings.phrase_folders(), settings.user_phrase_dir).checklist


# -- where it goes --------------------------------------------------------------------------


def _is_dir_target(text: str) -> bool:
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def _plural(count: int) -> str:
    from calldesk.core.textsafe import counted

    return counted(count, "call")


@contextmanager
def _progress(total: int) -> Iterator[Callable[[], None]]:
    """A function to call once per step done, drawing a bar on a terminal's stderr."""
    if total < PROGRESS_MIN_CALLS or not sys.stderr.isatty():
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    with Progress(
        "exporting",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("export", total=total)
        yield lambda: progress.advance(task)


def _counted(records: Iterator[CallRecord], tick: Callable[[], None]) -> Iterator[CallRecord]:
    for record in records:
        yield record
        tick()


def _targets(calls: Sequence[Call], directory: Path, force: bool, redact: bool) -> dict[int, Path]:
    """Call id -> file to write; refuses (before anything is written) any file it must not write.

    That is an existing file without --force, and a symbolic link, a non-regular file or
    another user's file at any of the names whatever --force says.
    """
    from calldesk.core.export.files import export_filename
    from calldesk.core.files import FileRefused, check_target

    targets = {call.id: directory / export_filename(call, redact=redact) for call in calls}
    existing: list[Path] = []
    for path in targets.values():
        try:
            check_target(path, overwrite=force)
        except FileRefused as error:
            if error.errno != errno.EEXIST:
                raise UserError(str(error), code=1) from None
            existing.append(path)
        except OSError as error:
            raise UserError(f"cannot write {path}: {error.strerror or error}", code=1) from None
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UserError(f"{existing[0]} already exists{more}; use --force to overwrite", code=1)
    return targets


def _write_dir(
    records: Iterator[CallRecord],
    targets: Mapping[int, Path],
    directory: Path,
    *,
    redact: bool,
    force: bool,
    tick: Callable[[], None],
) -> None:
    from calldesk.core.export.files import ExportError, prepare_dir, write_export
    from calldesk.core.export.markdown import render_call

    def write(item: tuple[Path, str]) -> None:
        write_export(*item, overwrite=force)

    pool = ThreadPoolExecutor(WRITERS)
    try:
        prepare_dir(directory)
        while chunk := [
            (targets[record.call.id], render_call(record, redact=redact))
            for record in islice(records, CHUNK)
        ]:
            # Render a chunk, then write it: writers sit in fsync, and rendering beside
            # them would fight them for the GIL and slow both down.
            for _ in pool.map(write, chunk):
                tick()
    except ExportError as error:
        raise UserError(str(error), code=1) from None
    finally:
        # On an error or ctrl+c, files not yet started are not written; each one is either
        # complete or absent, never half there.
        pool.shutdown(wait=True, cancel_futures=True)


def _refuse_target(path: Path, force: bool) -> None:
    """Refuse, before the export starts, a file it would refuse to write."""
    from calldesk.core.files import FileRefused, check_target

    try:
        check_target(path, overwrite=force)
    except FileRefused as error:
        raise UserError(str(error), code=1) from None
    except OSError as error:
        raise UserError(f"cannot write {path}: {error.strerror or error}", code=1) from None


def _write_document(document: str | Iterable[str], output: str | None, force: bool) -> None:
    """The document (whole, or piece by piece) to stdout or, safely, to the file `output`."""
    from calldesk.core.export.files import ExportError, write_export

    if output is None:
        pieces = [document] if isinstance(document, str) else document
        out = sys.stdout.buffer
        for piece in pieces:
            out.write(piece.encode("utf-8"))
        out.flush()
        return
    path = Path(output)
    try:
        write_export(path, document, overwrite=force)
    except ExportError as error:
        raise UserError(str(error), code=1) from None


# -- the command ----------------------------------------------------------------------------


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.calls import history as call_history
    from calldesk.core.clock import SystemClock
    from calldesk.core.storage import Database, StoreError

    clock = SystemClock()
    selection = selection_from_args(args, clock.now().astimezone().date())
    output: str | None = args.output
    directory = Path(output) if output is not None and _is_dir_target(output) else None
    if output is not None and directory is None:
        _refuse_target(Path(output), args.force)
    database = settings.database_path
    if not database_stored(database):
        raise UserError(f"no calls stored yet in {database}", code=1)
    checklist = load_checklist(settings)
    try:
        with Database.open_readonly(database, clock) as store:
            _warn_journal(store)
            if directory is None and not selection.ids:
                # One document for many calls: streamed, so memory stays flat as calls grow.
                count = call_history.count_calls(store, selection.since, selection.until)
                if count:
                    _stream_document(store, selection, checklist, count, args, clock)
            else:
                count = _export_listed(store, selection, checklist, directory, args, clock)
    except StoreError as error:
        raise UserError(str(error), code=1) from None
    if not count:
        print(f"calldesk: no calls for {selection.describe}; nothing exported", file=sys.stderr)
        return 0
    where = output if output is not None else "standard output"
    redacted = ", redacted" if args.redact else ""
    print(f"calldesk: exported {_plural(count)} to {where}{redacted}", file=sys.stderr)
    return 0


def _stream_document(
    store: Database,
    selection: Selection,
    checklist: Checklist,
    count: int,
    args: argparse.Namespace,
    clock: Clock,
) -> None:
    """Many calls in one document, read, rendered and written one call at a time."""
    from calldesk.core.calls import history as call_history
    from calldesk.core.export.callrecord import load_records
    from calldesk.core.export.markdown import iter_many

    with _progress(count) as tick:
        calls = call_history.iter_calls(store, selection.since, selection.until)
        records = _counted(load_records(store, calls, checklist), tick)
        pieces = iter_many(
            records,
            count,
            redact=args.redact,
            exported_at=clock.now(),
            filters=selection.filters,
        )
        _write_document(pieces, args.output, args.force)


def _export_listed(
    store: Database,
    selection: Selection,
    checklist: Checklist,
    directory: Path | None,
    args: argparse.Namespace,
    clock: Clock,
) -> int:
    """Calls by id, or one file per call in `directory`; returns how many were exported."""
    from calldesk.core.export.callrecord import load_records
    from calldesk.core.export.markdown import render_call, render_many

    calls = _selected_calls(store, selection)
    if not calls:
        return 0
    targets = {}
    if directory is not None:
        targets = _targets(calls, directory, args.force, args.redact)
    # Writing files is a second step per call, after rendering.
    steps = len(calls) * (2 if directory is not None else 1)
    with _progress(steps) as tick:
        records = _counted(load_records(store, calls, checklist), tick)
        if directory is not None:
            _write_dir(records, targets, directory, redact=args.redact, force=args.force, tick=tick)
            return len(calls)
        if len(selection.ids) == 1:
            document = render_call(next(records), redact=args.redact)
        else:
            document = render_many(
                records,
                redact=args.redact,
                exported_at=clock.now(),
                filters=selection.filters,
            )
    _write_document(document, args.output, args.force)
    return len(calls)


def _warn_journal(store: Database) -> None:
    """A damaged journal left by a crash: what is exported may lack notes; say so on stderr."""
    from calldesk.core.calls.recovery import journal_warning

    warning = journal_warning(store)
    if warning is not None:
        print(f"calldesk: warning: {warning}", file=sys.stderr)
