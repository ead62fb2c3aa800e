"""`calldesk phrases stats`: uses per phrase, phrases never used, unfilled placeholders."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from typing import TYPE_CHECKING

from calldesk.cli.phrases_show import configured_library
from calldesk.cli.phrases_text import columns, count, printable

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.library.stats import UsageStats


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.cli.main import UserError
    from calldesk.core.clock import SystemClock
    from calldesk.core.library.stats import load_usage_stats, stats_to_json
    from calldesk.core.storage import StoreError

    since_day = _stats_day(args.since) if args.since is not None else None
    since = datetime.combine(since_day, datetime.min.time()).astimezone() if since_day else None
    library = configured_library(settings)
    try:
        stats = load_usage_stats(library, settings.database_path, SystemClock(), since)
    except StoreError as error:
        raise UserError(str(error), code=1) from None
    if not stats.has_database:
        print(
            f"calldesk: note: no call database yet at {stats.database}; every phrase counts as "
            "never used",
            file=sys.stderr,
        )
    if args.json:
        label = since_day.isoformat() if since_day else None
        print(json.dumps(stats_to_json(stats, label), ensure_ascii=False, indent=2))
        return 0
    period = f" since {since_day.isoformat()}" if since_day else ""
    _print_uses(stats, period)
    print()
    _print_never_used(stats, period)
    print()
    _print_unfilled(stats, period)
    print()
    _print_coverage(stats, period)
    return 0


def _print_coverage(stats: UsageStats, period: str) -> None:
    from calldesk.core.library.stats import MIN_PHRASES_PER_CATEGORY

    coverage = stats.coverage
    noun = "category" if len(coverage) == 1 else "categories"
    print(f"Coverage per category{period}: {len(coverage)} {noun}")
    if not coverage:
        print("  (none)")
        return
    rows = [("phrases", "used", "uses", "category", "")] + [
        (
            str(entry.phrases),
            str(entry.used),
            str(entry.uses),
            printable(entry.category),
            f"thin: fewer than {MIN_PHRASES_PER_CATEGORY} phrases" if entry.thin else "",
        )
        for entry in coverage
    ]
    for line in columns(rows, right=3):
        print(line)


def _stats_day(text: str) -> date:
    from calldesk.cli.main import day_from_text

    return day_from_text("--since", text, example="2026-11-01")


def _print_uses(stats: UsageStats, period: str) -> None:
    used = stats.used
    print(
        f"Uses per phrase{period}: {count(stats.total_uses, 'use')} of {count(len(used), 'phrase')}"
    )
    if not used:
        print("  (none)")
        return
    rows = [("uses", "id", "title")] + [
        (
            str(entry.uses),
            printable(entry.phrase_id),
            printable(entry.phrase.title) if entry.phrase else "(no longer in the library)",
        )
        for entry in used
    ]
    for line in columns(rows, right=1):
        print(line)


def _print_never_used(stats: UsageStats, period: str) -> None:
    never = stats.never_used
    print(f"Never used{period}: {len(never)} of {count(stats.library_size, 'phrase')}")
    if not never:
        print("  (none)")
        return
    rows = [("id", "category", "title")] + [
        (printable(p.id), printable(p.category), printable(p.title)) for p in never
    ]
    for line in columns(rows):
        print(line)


def _print_unfilled(stats: UsageStats, period: str) -> None:
    gaps = stats.unfilled
    print(f"Placeholders left unfilled{period}: {count(len(gaps), 'placeholder')}")
    if not gaps:
        print("  (none)")
        return
    rows = [("unfilled", "of uses", "id", "placeholder", "")] + [
        (
            str(gap.unfilled),
            str(gap.uses),
            printable(gap.phrase_id),
            printable(f"{{{gap.placeholder}}}"),
            "never filled" if gap.never_filled else "",
        )
        for gap in gaps
    ]
    for line in columns(rows, right=2):
        print(line)
