"""Searches that found nothing, in the call database: their table and the reads and writes on it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.clock import from_iso, to_iso

if TYPE_CHECKING:
    from calldesk.core.db.store import Store

MIN_QUERY = 3
"""Shorter searches are a start of typing, not a phrase the agent looked for."""
MAX_QUERY = 80

SCHEMA = """
CREATE TABLE search_misses (
    id INTEGER PRIMARY KEY,
    query TEXT NOT NULL,
    searched_at TEXT NOT NULL
);
CREATE INDEX search_misses_time ON search_misses (searched_at);
"""


def migrate(db: sqlite3.Connection) -> None:
    """The migration step that adds the search_misses table (appended to the store's list)."""
    for statement in SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


def clean_query(query: str) -> str:
    """The query as it is counted: lower case, single spaces; "" if too short to count."""
    words = " ".join(query.lower().split())[:MAX_QUERY]
    return words if len(words) >= MIN_QUERY else ""


def record_search_miss(store: Store, query: str, *, at: datetime) -> bool:
    """Note a phrase search the agent gave up on with no result; False if too short to count."""
    cleaned = clean_query(query)
    if not cleaned:
        return False
    with store._write() as db:
        db.execute(
            "INSERT INTO search_misses (query, searched_at) VALUES (?, ?)", (cleaned, to_iso(at))
        )
    return True


def search_misses(store: Store, since: datetime | None = None) -> dict[str, int]:
    """How often each query found nothing (since a time), most often first."""
    where, params = ("WHERE searched_at >= ?", (to_iso(since),)) if since else ("", ())
    with store._read() as db:
        rows = db.execute(
            f"SELECT query, COUNT(*) FROM search_misses {where} GROUP BY query"
            " ORDER BY COUNT(*) DESC, query",
            params,
        ).fetchall()
    return {str(query): int(count) for query, count in rows}


@dataclass(frozen=True, slots=True)
class PhraseUse:
    uses: int
    last_used: datetime


def phrase_use_history(store: Store) -> dict[str, PhraseUse]:
    """Every phrase id ever inserted or copied: how often, and when last."""
    with store._read() as db:
        rows = db.execute(
            "SELECT phrase_id, COUNT(*), MAX(used_at) FROM phrase_uses GROUP BY phrase_id"
        ).fetchall()
    return {str(pid): PhraseUse(int(count), from_iso(str(last))) for pid, count, last in rows}


def caller_names(store: Store) -> set[str]:
    """Every caller name stored (lower case), so a search for one is never published."""
    with store._read() as db:
        rows = db.execute("SELECT DISTINCT caller_name FROM calls WHERE caller_name != ''")
        return {str(name).lower().strip() for (name,) in rows if len(str(name).strip()) >= 3}
