"""`calldesk phrases search` and `phrases list`: the configured library, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from calldesk.cli.phrases_text import count, display_width, pad, printable

if TYPE_CHECKING:
    from calldesk.config import Settings
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.phrases import Phrase


def run_search(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.library.search import PhraseIndex

    library = configured_library(settings)
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

    library = configured_library(settings)
    phrases = list(library.phrases)
    if args.category:
        wanted = " ".join(fold(args.category).split())
        phrases = [p for p in phrases if " ".join(fold(p.category).split()).startswith(wanted)]
    if args.json:
        print(json.dumps([_as_json(phrase) for phrase in phrases], ensure_ascii=False, indent=2))
    else:
        _table(phrases)
    return 0


def configured_library(settings: Settings) -> PhraseLibrary:
    """The library the app would load, with a warning on stderr when broken files are skipped."""
    from calldesk.core.library.loader import load_configured_library

    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
    if library.errors:
        print(
            f"calldesk: warning: the phrase library has {count(len(library.errors), 'error')}; "
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
    rows = [(printable(p.id), printable(p.category), printable(p.title)) for p in phrases]
    if not rows:
        return
    id_width = min(max(display_width(row[0]) for row in rows), 40)
    category_width = min(max(display_width(row[1]) for row in rows), 30)
    for phrase_id, category, title in rows:
        print(f"{pad(phrase_id, id_width)}  {pad(category, category_width)}  {title}".rstrip())
