"""`calldesk record`: the agent's own record per week and month, with charts, or as Markdown."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from calldesk.cli.main import UserError, database_stored

if TYPE_CHECKING:
    from calldesk.config import Settings

DEFAULT_WEEKS = 12

_EXAMPLES = """\
examples:
  calldesk record                                 the last 12 weeks, with charts
  calldesk record --since 2026-09-01 --markdown   for a review or a career talk
  calldesk record --markdown --redact > review.md numbers and emails in fixes masked

Calls taken, permanent fixes filed and closed (with the calls they came from), promises kept
on time, bad calls weathered, breaks taken and practice progress. No caller names or numbers
are ever in it; --redact also masks numbers and emails in the fixes' and promises' words.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "record",
        help="your own record per week and month: calls, fixes, promises, breaks, practice",
        description="Show what you have achieved, per week and month.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--since",
        metavar="DATE",
        help=f"from this day, YYYY-MM-DD (default: {DEFAULT_WEEKS} weeks ago)",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="Markdown for a review, instead of terminal charts"
    )
    parser.add_argument(
        "--redact", action="store_true", help="mask numbers and emails in the words of fixes"
    )
    parser.set_defaults(handler=run_record)


def _since(text: str | None, today: date) -> date:
    if text is None:
        start = today - timedelta(weeks=DEFAULT_WEEKS - 1)
        return start - timedelta(days=start.weekday())
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"--since expects a date as YYYY-MM-DD (e.g. 2026-09-01), not {text!r}"
        ) from None
    if day > today:
        raise UserError(f"--since {text} is in the future: give a day up to today")
    return day


def run_record(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.export.redact import redact as redact_text
    from calldesk.core.practice import records as practice_records
    from calldesk.core.practice.stats import is_learned
    from calldesk.core.record.render import render_markdown, render_plain
    from calldesk.core.record.summary import build_agent_record
    from calldesk.core.storage import Database, StoreError
    from calldesk.core.textsafe import visible

    clock = SystemClock()
    now = clock.now()
    since = _since(args.since, now.astimezone().date())
    database = settings.database_path
    if not database_stored(database):
        raise UserError(f"no calls stored yet in {database}", code=1)
    try:
        try:
            store = Database.open_readonly(database, clock)
        except StoreError:
            store = Database.open(database, clock)  # an older layout is brought up to date first
        with store:
            learned = sum(
                is_learned(card) for card in practice_records.practice_cards(store).values()
            )
            record = build_agent_record(store, since, now, learned=learned)
    except StoreError as error:
        raise UserError(str(error), code=1) from None
    redact = redact_text if args.redact else str
    text = render_markdown(record, redact) if args.markdown else render_plain(record, redact)
    sys.stdout.write(visible(text))
    return 0
