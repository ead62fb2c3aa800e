"""Phrase usage statistics for trainers: uses per phrase, never used, placeholders left unfilled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from calldesk.core.clock import Clock
from calldesk.core.library.loader import PhraseLibrary
from calldesk.core.library.phrases import Phrase

JSON_VERSION = 1
"""Bumped only when the JSON shape changes incompatibly (fields may be added without a bump)."""


@dataclass(frozen=True, slots=True)
class PhraseUses:
    """How often one phrase id was used; `phrase` is None if it is no longer in the library."""

    phrase_id: str
    uses: int
    phrase: Phrase | None


@dataclass(frozen=True, slots=True)
class UnfilledPlaceholder:
    """A placeholder that was still empty when the phrase was used, and how often."""

    phrase_id: str
    placeholder: str
    unfilled: int
    uses: int
    """All uses of the phrase in the period, filled or not."""
    phrase: Phrase | None

    @property
    def never_filled(self) -> bool:
        return self.unfilled >= self.uses


MIN_PHRASES_PER_CATEGORY = 3
"""A lesson with fewer phrases than this is thin: an agent needs a choice of words."""


@dataclass(frozen=True, slots=True)
class CategoryCoverage:
    """One category (a lesson): how many phrases it has, and how many were used."""

    category: str
    phrases: int
    used: int
    """Phrases of this category used at least once in the period."""
    uses: int

    @property
    def thin(self) -> bool:
        return self.phrases < MIN_PHRASES_PER_CATEGORY


@dataclass(frozen=True)
class UsageStats:
    """The three lists trainers prune and improve the library with."""

    used: tuple[PhraseUses, ...]
    """Most used first, then by id; includes ids that are no longer in the library."""
    never_used: tuple[Phrase, ...]
    """Phrases in the current library with no use in the period, in library order."""
    unfilled: tuple[UnfilledPlaceholder, ...]
    """Most often unfilled first."""
    library_size: int
    since: datetime | None = None
    database: Path | None = None
    has_database: bool = True
    """False when no calls were ever stored: then every phrase counts as never used."""
    coverage: tuple[CategoryCoverage, ...] = ()
    """Per category, in library order."""

    @property
    def total_uses(self) -> int:
        return sum(entry.uses for entry in self.used)


def usage_stats(
    library: PhraseLibrary,
    uses: Mapping[str, int],
    unfilled: Mapping[tuple[str, str], int],
    *,
    since: datetime | None = None,
    database: Path | None = None,
    has_database: bool = True,
) -> UsageStats:
    """Combine the store's counts with the current library."""
    used = tuple(
        PhraseUses(phrase_id, count, library.get(phrase_id))
        for phrase_id, count in sorted(uses.items(), key=lambda item: (-item[1], item[0]))
        if count > 0
    )
    never = tuple(phrase for phrase in library.phrases if uses.get(phrase.id, 0) <= 0)
    gaps = tuple(
        UnfilledPlaceholder(
            phrase_id,
            name,
            count,
            max(uses.get(phrase_id, 0), count),
            library.get(phrase_id),
        )
        for (phrase_id, name), count in sorted(
            unfilled.items(), key=lambda item: (-item[1], item[0][0], item[0][1])
        )
        if count > 0
    )
    per_category: dict[str, list[int]] = {}
    for phrase in library.phrases:
        entry = per_category.setdefault(phrase.category, [0, 0, 0])
        count = uses.get(phrase.id, 0)
        entry[0] += 1
        entry[1] += count > 0
        entry[2] += max(count, 0)
    coverage = tuple(
        CategoryCoverage(category, total, used_count, use_total)
        for category, (total, used_count, use_total) in per_category.items()
    )
    return UsageStats(
        used=used,
        never_used=never,
        unfilled=gaps,
        coverage=coverage,
        library_size=len(library.phrases),
        since=since,
        database=database,
        has_database=has_database,
    )


def load_usage_stats(
    library: PhraseLibrary, database: Path, clock: Clock, since: datetime | None = None
) -> UsageStats:
    """Read the counts from the call database, read-only (safe while calldesk runs).

    A database that does not exist yet gives every phrase as never used. Other problems
    raise `StoreError` with a message for the user.
    """
    from calldesk.core.db.connection import database_exists
    from calldesk.core.db.database import Database
    from calldesk.core.library import records as phrase_records

    if not database_exists(database):
        return usage_stats(library, {}, {}, since=since, database=database, has_database=False)
    with Database.open_readonly(database, clock) as store:
        uses = phrase_records.phrase_use_counts(store, since)
        unfilled = phrase_records.unfilled_placeholder_counts(store, since)
    return usage_stats(library, uses, unfilled, since=since, database=database)


def stats_to_json(stats: UsageStats, since_label: str | None = None) -> dict[str, Any]:
    """The stable JSON shape of `calldesk phrases stats --json` (see docs/notes/trainers.md)."""

    def where(phrase: Phrase | None) -> dict[str, Any]:
        if phrase is None:
            return {"in_library": False, "title": None, "category": None, "source": None}
        return {
            "in_library": True,
            "title": phrase.title,
            "category": phrase.category,
            "source": str(phrase.source),
        }

    return {
        "version": JSON_VERSION,
        "since": since_label
        if since_label is not None
        else (stats.since.isoformat() if stats.since else None),
        "database": str(stats.database) if stats.database is not None else None,
        "has_database": stats.has_database,
        "library_size": stats.library_size,
        "total_uses": stats.total_uses,
        "uses": [
            {"id": entry.phrase_id, "uses": entry.uses, **where(entry.phrase)}
            for entry in stats.used
        ],
        "never_used": [
            {"id": phrase.id, **where(phrase), "line": phrase.line} for phrase in stats.never_used
        ],
        "coverage": [
            {
                "category": entry.category,
                "phrases": entry.phrases,
                "used": entry.used,
                "uses": entry.uses,
                "thin": entry.thin,
            }
            for entry in stats.coverage
        ],
        "unfilled_placeholders": [
            {
                "id": gap.phrase_id,
                "placeholder": gap.placeholder,
                "unfilled": gap.unfilled,
                "uses": gap.uses,
                "never_filled": gap.never_filled,
                "in_library": gap.phrase is not None,
            }
            for gap in stats.unfilled
        ],
    }
