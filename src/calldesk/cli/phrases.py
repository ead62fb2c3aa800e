"""`calldesk phrases ...`: check, search, list and the JSON Schema, without starting the app."""

from __future__ import annotations

import argparse
import errno
import json
import sys
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.library.problems import Problem
    from calldesk.core.library.stats import UsageStats


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


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.library.loader import load_configured_library, load_library
    from calldesk.core.library.problems import Problem

    missing: list[Problem] = []
    if args.paths:
        for path in args.paths:
            if not path.exists():
                missing.append(Problem(path, 0, 0, "no such file or folder", "check the path"))
        existing = [path for path in args.paths if path.exists()]
        library = load_library(existing)
        if library.synonyms:
            library = _with_wider_targets(library, settings, existing)
    else:
        library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
    style: list[Problem] = []
    if args.style:
        from calldesk.core.library.style import lint_library

        style = lint_library(library)
    problems = sorted(
        [*missing, *library.problems, *style],
        key=lambda p: (str(p.path), p.line, p.column, p.message),
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


def _with_wider_targets(
    library: PhraseLibrary, settings: Settings, checked: list[Path]
) -> PhraseLibrary:
    """A team's synonyms may lead to phrases in the other configured folders (the bundled
    library): check where they lead against everything the app would load with them."""
    from dataclasses import replace

    from calldesk.core.library.loader import load_library
    from calldesk.core.library.thesaurus import normal, unknown_targets

    def targets_problems(phrases: tuple[Phrase, ...]) -> list[Problem]:
        return unknown_targets(
            library.synonyms,
            {p.id for p in phrases},
            {normal(p.category) for p in phrases},
            {normal(tag) for p in phrases for tag in p.tags},
        )

    wider = load_library([*settings.phrase_folders(), *checked], optional=None)
    narrow = set(targets_problems(library.phrases))
    kept = [problem for problem in library.problems if problem not in narrow]
    return replace(library, problems=(*kept, *targets_problems(wider.phrases)))


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.library.search import PhraseIndex

    library = _library(settings)
    query = " ".join([args.query, *(f'tag:"{tag}"' for tag in args.tag)])
    index = PhraseIndex(library.phrases, synonyms=library.synonyms)
    result = index.search(query, limit=args.limit)
    if args.json:
        payload = {
            "query": query,
            "total": result.total,
            "hits": [
                {**_as_json(phrase), "matched": list(result.why.get(phrase.id, ()))}
                for phrase in result.hits
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        _table(result.hits)
        if result.total > len(result.hits):
            print(f"({len(result.hits)} of {result.total} shown; use --limit)", file=sys.stderr)
    return 0 if result.total else 1


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.library.words import fold

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
    from calldesk.core.library.schema import checklist_schema, phrase_file_schema, synonyms_schema

    if args.checklist:
        schema = checklist_schema()
    elif args.synonyms:
        schema = synonyms_schema()
    else:
        schema = phrase_file_schema()
    print(json.dumps(schema, ensure_ascii=False, indent=2))
    return 0


def _library(settings: Settings) -> PhraseLibrary:
    from calldesk.core.library.loader import load_configured_library

    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
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
        "keywords": list(phrase.keywords),
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
    """One line, with control characters (escape sequences, bidi overrides) shown, never obeyed."""
    from calldesk.core.textsafe import visible

    return visible(text).replace("\n", " ").replace("\t", " ")


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _count(number: int, noun: str) -> str:
    from calldesk.core.textsafe import counted

    return counted(number, noun)


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


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.cli.main import UserError
    from calldesk.core.clock import SystemClock
    from calldesk.core.library.stats import load_usage_stats, stats_to_json
    from calldesk.core.storage import StoreError

    since_day = _stats_day(args.since) if args.since is not None else None
    since = datetime.combine(since_day, datetime.min.time()).astimezone() if since_day else None
    library = _library(settings)
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
            _printable(entry.category),
            f"thin: fewer than {MIN_PHRASES_PER_CATEGORY} phrases" if entry.thin else "",
        )
        for entry in coverage
    ]
    for line in _columns(rows, right=3):
        print(line)


def _stats_day(text: str) -> date:
    from calldesk.cli.main import day_from_text

    return day_from_text("--since", text, example="2026-11-01")


def _columns(rows: list[tuple[str, ...]], right: int = 0) -> list[str]:
    """Rows padded into aligned columns; the first `right` columns are numbers, right-aligned."""
    widths = [max(_width(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines: list[str] = []
    for row in rows:
        cells = [
            " " * (widths[index] - _width(cell)) + cell
            if index < right
            else _pad(cell, widths[index])
            for index, cell in enumerate(row)
        ]
        lines.append(("  " + "  ".join(cells)).rstrip())
    return lines


def _print_uses(stats: UsageStats, period: str) -> None:
    used = stats.used
    print(
        f"Uses per phrase{period}: {_count(stats.total_uses, 'use')} of "
        f"{_count(len(used), 'phrase')}"
    )
    if not used:
        print("  (none)")
        return
    rows = [("uses", "id", "title")] + [
        (
            str(entry.uses),
            _printable(entry.phrase_id),
            _printable(entry.phrase.title) if entry.phrase else "(no longer in the library)",
        )
        for entry in used
    ]
    for line in _columns(rows, right=1):
        print(line)


def _print_never_used(stats: UsageStats, period: str) -> None:
    never = stats.never_used
    print(f"Never used{period}: {len(never)} of {_count(stats.library_size, 'phrase')}")
    if not never:
        print("  (none)")
        return
    rows = [("id", "category", "title")] + [
        (_printable(p.id), _printable(p.category), _printable(p.title)) for p in never
    ]
    for line in _columns(rows):
        print(line)


def _print_unfilled(stats: UsageStats, period: str) -> None:
    gaps = stats.unfilled
    print(f"Placeholders left unfilled{period}: {_count(len(gaps), 'placeholder')}")
    if not gaps:
        print("  (none)")
        return
    rows = [("unfilled", "of uses", "id", "placeholder", "")] + [
        (
            str(gap.unfilled),
            str(gap.uses),
            _printable(gap.phrase_id),
            _printable(f"{{{gap.placeholder}}}"),
            "never filled" if gap.never_filled else "",
        )
        for gap in gaps
    ]
    for line in _columns(rows, right=2):
        print(line)


def run_import_espanso(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.cli.main import UserError
    from calldesk.core.files import FileRefused, check_target, make_output_dir, write_private
    from calldesk.core.library.espanso import convert_espanso, output_names
    from calldesk.core.library.loader import load_configured_library

    sources = _espanso_sources(args.files)
    directory: Path = args.output
    if directory.exists() and not directory.is_dir():
        raise UserError(f"{directory} is not a folder; -o wants the folder to write into")
    targets = {directory / name for name in output_names(sources).values()}
    existing: list[Path] = []
    for path in sorted(targets):
        try:
            check_target(path, overwrite=args.force)
        except FileRefused as error:
            if error.errno != errno.EEXIST:  # a link or another user's file: never written
                raise UserError(str(error), code=1) from None
            existing.append(path)
    if existing:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise UserError(f"{existing[0]} already exists{more}; use --force to overwrite", code=1)
    # Ids already in use keep theirs: an import never silently replaces a library phrase.
    # Files this import overwrites do not count; they are being replaced.
    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
    taken = {p.id for p in library.phrases if p.source.absolute() not in _absolute(targets)}
    if directory.is_dir():
        from calldesk.core.library.loader import load_library

        local = load_library([directory], optional=())
        taken |= {p.id for p in local.phrases if p.source.absolute() not in _absolute(targets)}
    result = convert_espanso(sources, category=args.category, taken_ids=taken)
    notices = sorted(
        (*result.skipped, *result.notes), key=lambda n: (str(n.path), n.line, n.column)
    )
    for notice in notices:
        print(_printable(notice.format()))
    written: list[Path] = []
    if result.files:
        for imported in result.files:
            path = directory / imported.name
            try:
                make_output_dir(directory)
                write_private(path, imported.to_yaml(), overwrite=args.force)
            except FileRefused as error:
                raise UserError(str(error), code=1) from None
            except OSError as error:
                raise UserError(f"cannot write {path}: {error.strerror}", code=1) from None
            written.append(path)
    files = ", ".join(path.name for path in written) or "nothing written"
    matches = f"{result.matches} match{'' if result.matches == 1 else 'es'}"
    print(
        f"imported {_count(result.phrase_count, 'phrase')} from {matches} into {directory} "
        f"({files}); skipped {len(result.skipped)}",
        file=sys.stderr,
    )
    return 1 if result.skipped or not written else 0


def _espanso_sources(paths: list[Path]) -> list[Path]:
    """The files to import: files as given, and every *.yml/*.yaml under a folder."""
    from calldesk.cli.main import UserError

    sources: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file()
            )
            if not found:
                raise UserError(f"{path} holds no .yml or .yaml files")
            sources.extend(found)
        elif path.is_file():
            sources.append(path)
        else:
            raise UserError(f"{path}: no such file or folder")
    return sources


def _absolute(paths: set[Path]) -> set[Path]:
    return {path.absolute() for path in paths}
