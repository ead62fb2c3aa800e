"""One desk's anonymous phrase statistics as a file, and every desk's files merged for trainers.

A desk's file holds phrase ids with their use counts and last day of use, and the phrase
searches that found nothing. It never holds a note, a caller, a number or a call: searches
that look like one (a number, an email, a stored caller's name) are left out.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calldesk.core.clock import to_iso

if TYPE_CHECKING:
    from calldesk.core.db.database import Database

FORMAT = "calldesk-team-stats"
VERSION = 1
STATS_FOLDER = "team-stats"
"""Inside the team's phrase folder; the phrase loader only reads YAML, so it never trips on it."""
FILE_MODE = 0o644
"""Published files are readable by all: they are shared by design and hold only counts."""
DESK_ID_FILE = "team-desk-id"
"""In the data folder: the anonymous id this desk publishes under."""
NEVER_USED_DAYS = 30
_DESK_ID = re.compile(r"desk-[0-9a-f]{8}")
_PRIVATE = re.compile(r"\d{3}|@|\+\d")


class TeamStatsError(ValueError):
    """A desk file that cannot be read; the message names the file and what is wrong."""


def desk_id(id_file: Path) -> str:
    """This desk's anonymous id (`desk-1a2b3c4d`), made once and kept in `id_file` (0600).

    Kept beside the database rather than in it, so publishing works while calldesk runs.
    """
    from calldesk.core.files import write_private

    try:
        known = id_file.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        known = ""
    if _DESK_ID.fullmatch(known):
        return known
    new = f"desk-{secrets.token_hex(4)}"
    write_private(id_file, new + "\n")
    return new


def _publishable(query: str, callers: set[str]) -> bool:
    if _PRIVATE.search(query):
        return False
    return not any(name in query or query in name for name in callers)


def desk_stats(db: Database, now: datetime, desk: str) -> dict[str, Any]:
    """This desk's statistics, ready to be written as JSON."""
    from calldesk.core.calls.history import caller_names
    from calldesk.core.library.records import phrase_use_history
    from calldesk.core.team.records import search_misses

    history = phrase_use_history(db)
    callers = caller_names(db)
    misses = {
        query: count for query, count in search_misses(db).items() if _publishable(query, callers)
    }
    return {
        "format": FORMAT,
        "version": VERSION,
        "desk": desk,
        "published_at": to_iso(now.replace(microsecond=0)),
        "phrases": {
            phrase_id: {"uses": use.uses, "last_used": use.last_used.date().isoformat()}
            for phrase_id, use in sorted(history.items())
        },
        "searches_found_nothing": dict(sorted(misses.items())),
    }


def publish(db: Database, folder: Path, now: datetime, desk: str) -> Path:
    """Write this desk's file into `folder`/team-stats/, atomically, readable by the team."""
    from calldesk.core.files import write_private

    stats = desk_stats(db, now, desk)
    target_dir = folder / STATS_FOLDER
    target_dir.mkdir(mode=0o755, exist_ok=True)
    path = target_dir / f"{stats['desk']}.json"
    write_private(path, json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    path.chmod(FILE_MODE)  # see FILE_MODE: shared on purpose, unlike everything else we write
    return path


@dataclass(frozen=True, slots=True)
class PhraseTotal:
    phrase_id: str
    uses: int
    desks: int
    last_used: str
    """The latest day any desk used it (YYYY-MM-DD), "" if none did."""


@dataclass(frozen=True, slots=True)
class MissTotal:
    query: str
    count: int
    desks: int


@dataclass
class TeamStats:
    desks: list[str] = field(default_factory=list)
    phrases: dict[str, PhraseTotal] = field(default_factory=dict)
    misses: list[MissTotal] = field(default_factory=list)
    """Searches that found nothing, by how many desks then how often: the phrases to write."""
    problems: list[str] = field(default_factory=list)
    """Files that could not be read, one line each."""

    def most_used(self, count: int = 10) -> list[PhraseTotal]:
        used = [total for total in self.phrases.values() if total.uses]
        return sorted(used, key=lambda t: (-t.uses, t.phrase_id))[:count]

    def least_used(self, library_ids: Iterable[str], count: int = 10) -> list[PhraseTotal]:
        """The library's phrases used least (but at least once) across every desk."""
        used = [self.phrases[pid] for pid in library_ids if pid in self.phrases]
        return sorted(used, key=lambda t: (t.uses, t.phrase_id))[:count]

    def not_used_since(self, library_ids: Iterable[str], now: datetime, days: int) -> list[str]:
        """Library phrase ids no desk used in the last `days` days, in library order."""
        cutoff = (now - timedelta(days=days)).date().isoformat()
        return [
            pid
            for pid in library_ids
            if pid not in self.phrases or self.phrases[pid].last_used < cutoff
        ]


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise TeamStatsError(f"{path}: cannot be read as JSON ({error})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TeamStatsError(f"{path}: not a calldesk team statistics file")
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise TeamStatsError(f"{path}: written by a newer calldesk; update calldesk to read it")
    if not isinstance(data.get("phrases"), Mapping) or not isinstance(
        data.get("searches_found_nothing"), Mapping
    ):
        raise TeamStatsError(f"{path}: 'phrases' or 'searches_found_nothing' is missing")
    return data


def merge(folder: Path) -> TeamStats:
    """Every desk's file in `folder`/team-stats/ merged; unreadable files are listed, skipped."""
    stats = TeamStats()
    uses: dict[str, list[tuple[int, str]]] = {}
    misses: dict[str, list[int]] = {}
    for path in sorted((folder / STATS_FOLDER).glob("*.json")):
        try:
            data = _read(path)
            for phrase_id, entry in data["phrases"].items():
                count, last = int(entry["uses"]), str(entry.get("last_used") or "")
                uses.setdefault(str(phrase_id), []).append((count, last))
            for query, count in data["searches_found_nothing"].items():
                misses.setdefault(str(query), []).append(int(count))
        except (TeamStatsError, KeyError, TypeError, ValueError, AttributeError) as error:
            message = str(error) if isinstance(error, TeamStatsError) else f"{path}: {error!r}"
            stats.problems.append(message)
            continue
        stats.desks.append(str(data.get("desk") or path.stem))
    stats.phrases = {
        pid: PhraseTotal(pid, sum(c for c, _ in entries), len(entries), max(d for _, d in entries))
        for pid, entries in uses.items()
    }
    stats.misses = sorted(
        (MissTotal(query, sum(counts), len(counts)) for query, counts in misses.items()),
        key=lambda miss: (-miss.desks, -miss.count, miss.query),
    )
    return stats
