"""`calldesk team publish | stats`: this desk's anonymous phrase statistics, and every desk's."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calldesk.cli.main import UserError, database_stored

if TYPE_CHECKING:
    from calldesk.config import Settings

_EXAMPLES = """\
examples:
  calldesk team publish                  write this desk's file into the team phrase folder
  calldesk team stats                    most and least used phrases, searches that found nothing
  calldesk team stats --days 60 --json   as JSON, "not used" meaning in the last 60 days

The team folder is the last of your phrase folders (phrase_dirs), or --dir. Files go to its
team-stats/ folder, one per desk: commit and pull them as usual (see docs/team-library.md).
They hold phrase ids, use counts and searches that found nothing; never notes, callers or
numbers.
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "team",
        help="share anonymous phrase statistics with the team; see what every desk uses",
        description="Anonymous phrase statistics shared through the team's phrase folder.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="team_command", metavar="COMMAND", required=True)
    publish = commands.add_parser(
        "publish",
        help="write this desk's phrase statistics into the team folder",
        description="Write this desk's anonymous phrase statistics to team-stats/DESK.json.",
    )
    publish.add_argument("--dir", type=Path, help="the team phrase folder (default: the last one)")
    publish.set_defaults(handler=run_publish)
    stats = commands.add_parser(
        "stats",
        help="merge every desk's file: most, least and never used; searches that found nothing",
        description="Merge every desk's statistics in the team folder.",
    )
    stats.add_argument("--dir", type=Path, help="the team phrase folder (default: the last one)")
    stats.add_argument(
        "--days",
        type=int,
        default=30,
        metavar="N",
        help="list phrases no desk used in the last N days (default: 30)",
    )
    stats.add_argument("--json", action="store_true", help="print JSON instead of lists")
    stats.set_defaults(handler=run_stats)


def _team_folder(args: argparse.Namespace, settings: Settings) -> Path:
    folder = args.dir or (settings.phrase_dirs[-1] if settings.phrase_dirs else None)
    if folder is None:
        raise UserError("no team phrase folder: give --dir DIR, or set phrase_dirs in config.toml")
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise UserError(f"the team phrase folder {folder} does not exist", code=1)
    return folder


def run_publish(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.files import FileRefused
    from calldesk.core.storage import Database, StoreError
    from calldesk.core.team.stats import DESK_ID_FILE, desk_id, publish

    folder = _team_folder(args, settings)
    database = settings.database_path
    if not database_stored(database):
        raise UserError(f"nothing to publish yet: no call database at {database}", code=1)
    clock = SystemClock()
    try:
        with Database.open_readonly(database, clock) as store:
            desk = desk_id(settings.data_dir / DESK_ID_FILE)
            path = publish(store, folder, clock.now(), desk)
    except StoreError as error:
        raise UserError(str(error), code=1) from None
    except (FileRefused, OSError) as error:
        raise UserError(f"cannot write into {folder}: {error}", code=1) from None
    print(f"calldesk: published {path}", file=sys.stderr)
    print(
        f"  commit it: git -C {folder} add {path.relative_to(folder)} && git commit",
        file=sys.stderr,
    )
    return 0


def _desks(count: int) -> str:
    return "1 desk" if count == 1 else f"{count} desks"


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.library.loader import load_configured_library
    from calldesk.core.team.stats import merge
    from calldesk.core.textsafe import counted, visible

    if args.days < 1:
        raise UserError("--days must be 1 or more")
    folder = _team_folder(args, settings)
    team = merge(folder)
    for problem in team.problems:
        print(f"calldesk: skipped {visible(problem)}", file=sys.stderr)
    if not team.desks:
        raise UserError(
            f"no desk has published into {folder}/team-stats yet: run `calldesk team publish`",
            code=1,
        )
    library = [
        phrase.id
        for phrase in load_configured_library(
            settings.phrase_folders(), settings.user_phrase_dir
        ).phrases
    ]
    now = SystemClock().now()
    most = team.most_used()
    least = team.least_used(library)
    idle = team.not_used_since(library, now, args.days)
    if args.json:
        print(
            json.dumps(
                {
                    "desks": team.desks,
                    "most_used": [
                        {"id": t.phrase_id, "uses": t.uses, "desks": t.desks} for t in most
                    ],
                    "least_used": [
                        {"id": t.phrase_id, "uses": t.uses, "desks": t.desks} for t in least
                    ],
                    f"not_used_in_{args.days}_days": idle,
                    "searches_found_nothing": [
                        {"query": m.query, "count": m.count, "desks": m.desks} for m in team.misses
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    out = [f"{_desks(len(team.desks))}: {', '.join(team.desks)}", "", "Most used"]
    out += [f"  {t.uses:>5}  {t.phrase_id}  ({_desks(t.desks)})" for t in most] or ["  none yet"]
    out += ["", "Least used (at least once)"]
    out += [f"  {t.uses:>5}  {t.phrase_id}" for t in least] or ["  none yet"]
    out += ["", "Searches that found nothing (the phrases to write next)"]
    out += [f"  {m.count:>5}  {m.query}  ({_desks(m.desks)})" for m in team.misses[:30]] or [
        "  none"
    ]
    out += [
        "",
        f"Not used by any desk in {counted(args.days, 'day')}: {len(idle)} of {len(library)}",
    ]
    out += [f"  {pid}" for pid in idle[:40]]
    if len(idle) > 40:
        out.append(f"  … and {len(idle) - 40} more (--json lists them all)")
    print(visible("\n".join(out)))
    return 0
