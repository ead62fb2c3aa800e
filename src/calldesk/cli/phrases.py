"""`calldesk phrases ...`: check, search, list and the JSON Schema, without starting the app."""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.phrases import Phrase, PhraseLibrary


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
        description="Print the JSON Schema (draft 2020-12) of phrase files, or of checklist.yaml.",
    )
    schema.add_argument("--checklist", action="store_true", help="the schema of checklist.yaml")
    schema.set_defaults(handler=run_schema)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.phrases import load_configured_library, load_library
    from calldesk.core.problems import Problem

    missing: list[Problem] = []
    if args.paths:
        for path in args.paths:
            if not path.exists():
                missing.append(Problem(path, 0, 0, "no such file or folder", "check the path"))
        library = load_library([path for path in args.paths if path.exists()])
    else:
        library = load_configured_library(settings)
    problems = sorted(
        [*missing, *library.problems], key=lambda p: (str(p.path), p.line, p.column, p.message)
    )
    for problem in problems:
        print(_printable(problem.format()))
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    files = len(library.files)
    print(
        f"checked {_count(files, 'file')}: {_count(len(library.phrases), 'phrase')}, "
        f"{_count(errors, 'error')}, {_count(warnings, 'warning')}",
        file=sys.stderr,
    )
    return 1 if errors else 0


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.search import PhraseIndex

    library = _library(settings)
    query = " ".join([args.query, *(f'tag:"{tag}"' for tag in args.tag)])
    result = PhraseIndex(library.phrases).search(query, limit=args.limit)
    if args.json:
        payload = {
            "query": query,
            "total": result.total,
            "hits": [_as_json(phrase) for phrase in result.hits],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _table(result.hits)
        if result.total > len(result.hits):
            print(f"({len(result.hits)} of {result.total} shown; use --limit)", file=sys.stderr)
    return 0 if result.total else 1


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.phrases import fold

    library = _library(settings)
    phrases = list(library.phrases)
    if args.category:
        wanted = " ".join(fold(args.category).split())
        phrases = [p for p in phrases if " ".join(fold(p.category).split()).startswith(wanted)]
    if args.json:
        print(json.dumps([_as_json(phrase) for phrase in phrases], ensure_ascii=False, indent=2))
    else:
        _table(phrases)
    return 0


def run_schema(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.schema import checklist_schema, phrase_file_schema

    schema = checklist_schema() if args.checklist else phrase_file_schema()
    print(json.dumps(schema, ensure_ascii=False, indent=2))
    return 0


def _library(settings: Settings) -> PhraseLibrary:
    from calldesk.core.phrases import load_configured_library

    library = load_configured_library(settings)
    if library.errors:
        print(
            f"calldesk: warning: the phrase library has {_count(len(library.errors), 'error')}; "
            "the broken files are skipped (run: calldesk phrases check)",
            file=sys.stderr,
        )
    return library


def _as_json(phrase: Phrase) -> dict[str, Any]:
    return {
        "id": phrase.id,
        "title": phrase.title,
        "say": phrase.say,
        "category": phrase.category,
        "tags": list(phrase.tags),
        "when": phrase.when,
        "instead_of": phrase.instead_of,
        "sets": list(phrase.sets),
        "source": str(phrase.source),
        "line": phrase.line,
    }


def _table(phrases: list[Phrase]) -> None:
    """id, category and title in aligned columns; trainer text is printed as it is."""
    rows = [(_printable(p.id), _printable(p.category), _printable(p.title)) for p in phrases]
    if not rows:
        return
    id_width = min(max(_width(row[0]) for row in rows), 40)
    category_width = min(max(_width(row[1]) for row in rows), 30)
    for phrase_id, category, title in rows:
        print(f"{_pad(phrase_id, id_width)}  {_pad(category, category_width)}  {title}".rstrip())


def _printable(text: str) -> str:
    """One line, with control characters (escape sequences, newlines) shown, never obeyed."""
    out: list[str] = []
    for char in text:
        if char in "\n\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf") and char != "\u200d":
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
