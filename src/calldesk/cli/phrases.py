"""`calldesk phrases ...`: check, search, list and the JSON Schema, without starting the app.

This module is the command group's argparse wiring; each subcommand's handler lives in the
`phrases_*` module named for its job (check, show, stats, espanso).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from calldesk.cli.phrases_check import run_check, run_schema
from calldesk.cli.phrases_espanso import run_import_espanso
from calldesk.cli.phrases_show import run_list, run_search
from calldesk.cli.phrases_stats import run_stats


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "phrases",
        help="check, search and list the phrase library",
        description="Work with the phrase library from the command line.",
    )
    commands = parser.add_subparsers(dest="phrases_command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="validate phrase files and print every problem as file:line:col",
        description="Validate phrase files. Exit status 0 when there are no errors "
        "(warnings are fine), 1 when there are.",
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders to check (default: the configured phrase folders)",
    )
    check.add_argument(
        "--style",
        action="store_true",
        help="also warn on what docs/phrase-style.md rules out: stock phrases, a 'say' over "
        "45 words, no 'when', 'instead_of' the same as 'say', a promise with no 'promise:'",
    )
    check.set_defaults(handler=run_check)

    search = commands.add_parser(
        "search",
        help="search the library as the app does",
        description="Search phrases. Filters: tag:NAME, cat:NAME (or category:), set:NAME. "
        "Exit status 1 when nothing matches.",
    )
    search.add_argument("query", metavar="QUERY", help='words and filters, e.g. "tag:blame sorry"')
    search.add_argument("--tag", action="append", default=[], help="only phrases with this tag")
    search.add_argument("--limit", type=_positive, default=20, help="at most N hits (default 20)")
    search.add_argument("--json", action="store_true", help="print JSON instead of a table")
    search.set_defaults(handler=run_search)

    listing = commands.add_parser("list", help="list every phrase, by category and title")
    listing.add_argument("--category", help="only categories starting with this (any case)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.set_defaults(handler=run_list)

    schema = commands.add_parser(
        "schema",
        help="print the JSON Schema of phrase files, for editor completion",
        description="Print the JSON Schema (draft 2020-12) of phrase files, of checklist.yaml "
        "or of synonyms.yaml.",
    )
    which = schema.add_mutually_exclusive_group()
    which.add_argument("--checklist", action="store_true", help="the schema of checklist.yaml")
    which.add_argument("--synonyms", action="store_true", help="the schema of synonyms.yaml")
    schema.set_defaults(handler=run_schema)

    register_trainer_commands(commands)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


# -- trainers' commands: stats and import-espanso (issue #6) --------------------------------------


def register_trainer_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """`phrases stats` and `phrases import-espanso`, added to the `phrases` group."""
    stats = commands.add_parser(
        "stats",
        help="how often each phrase was used, which never were, and unfilled placeholders",
        description="Usage statistics from the call database, for pruning and improving the "
        "library. Works while calldesk runs (the database is opened read-only).",
    )
    stats.add_argument(
        "--since", metavar="DATE", help="only uses on or after DATE (YYYY-MM-DD, local time)"
    )
    stats.add_argument("--json", action="store_true", help="print JSON instead of tables")
    stats.set_defaults(handler=run_stats)

    importer = commands.add_parser(
        "import-espanso",
        help="convert Espanso match files into calldesk phrase files",
        description="Convert Espanso match files (or folders of them) into phrase files in DIR, "
        "one per Espanso file. Matches that cannot be converted are listed with the reason. "
        "Exit status 0 when everything converted, 1 when something was skipped.",
    )
    importer.add_argument(
        "files", nargs="+", type=Path, metavar="FILE", help="Espanso match files or folders"
    )
    importer.add_argument(
        "-o", "--output", type=Path, required=True, metavar="DIR", help="where to write"
    )
    importer.add_argument(
        "--category", help="category of every imported phrase (default: 'Espanso: <file name>')"
    )
    importer.add_argument(
        "--force", action="store_true", help="replace existing files of yours in DIR"
    )
    importer.set_defaults(handler=run_import_espanso)
