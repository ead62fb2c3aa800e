"""`calldesk phrases import-espanso`: Espanso match files written as phrase files."""

from __future__ import annotations

import argparse
import errno
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from calldesk.cli.phrases_text import count, printable

if TYPE_CHECKING:
    from calldesk.config import Settings


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
        print(printable(notice.format()))
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
        f"imported {count(result.phrase_count, 'phrase')} from {matches} into {directory} "
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
