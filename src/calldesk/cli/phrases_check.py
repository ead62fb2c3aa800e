"""`calldesk phrases check` and `phrases schema`: phrase files checked as the app reads them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.cli.phrases_text import count, printable

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.library.problems import Problem


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
        print(printable(problem.format()))
    errors = sum(1 for problem in problems if problem.is_error)
    warnings = len(problems) - errors
    files = len(library.files)
    print(
        f"checked {count(files, 'file')}: {count(len(library.phrases), 'phrase')}, "
        f"{count(errors, 'error')}, {count(warnings, 'warning')}",
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
