"""Phrase searches that found nothing, as stored (the search_misses table, v7 in schema.py)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.clock import to_iso

if TYPE_CHECKING:
    from calldesk.core.db.database import Database

MIN_QUERY = 3
"""Shorter searches are a start of typing, not a phrase the agent looked for."""
MAX_QUERY = 80


def clean_query(query: str) -> str:
    """The query as it is counted: lower case, single spaces; "" if too short to count."""
    words = " ".join(query.lower().split())[:MAX_QUERY]
    return words if len(words) >= MIN_QUERY else ""


def record_search_miss(db: Database, query: str, *, at: datetime) -> bool:
    """Note a phrase search the agent gave up on with no result; False if too short to count."""
    cleaned = clean_query(query)
    if not cleaned:
        return False
    with db.write() as conn:
        conn.execute(
            "INSERT INTO search_misses (query, searched_at) VALUES (?, ?)", (cleaned, to_iso(at))
        )
    return True


def search_misses(db: Database, since: datetime | None = None) -> dict[str, int]:
    """How often each query found nothing (since a time), most often first."""
    where, params = ("WHERE searched_at >= ?", (to_iso(since),)) if since else ("", ())
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT query, COUNT(*) FROM search_misses {where} GROUP BY query"
            " ORDER BY COUNT(*) DESC, query",
            params,
        ).fetchall()
    return {str(query): int(count) for query, count in rows}
