"""Phrases used, as stored: each insert or copy of a phrase, for usage counts and stats."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.clock import from_iso, to_iso

if TYPE_CHECKING:
    from calldesk.core.db.database import Database

PHRASE_ACTIONS = ("insert", "copy")


def record_phrase_use(
    db: Database,
    phrase_id: str,
    call_id: int | None,
    action: str,
    placeholders: Mapping[str, bool] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """Note that a phrase was inserted or copied, and which placeholders had a value."""
    if action not in PHRASE_ACTIONS:
        raise ValueError(f"action must be one of {PHRASE_ACTIONS}, not {action!r}")
    filled = {str(name): bool(value) for name, value in (placeholders or {}).items()}
    with db.write() as conn:
        conn.execute(
            "INSERT INTO phrase_uses (phrase_id, call_id, action, used_at, placeholders)"
            " VALUES (?, ?, ?, ?, ?)",
            (phrase_id, call_id, action, db.now(at), json.dumps(filled)),
        )


def phrase_use_counts(db: Database, since: datetime | None = None) -> dict[str, int]:
    """How often each phrase was used (since `since`), most used first."""
    where, params = _since("used_at", since)
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT phrase_id, count(*) FROM phrase_uses {where}"
            " GROUP BY phrase_id ORDER BY count(*) DESC, phrase_id",
            params,
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def unfilled_placeholder_counts(
    db: Database, since: datetime | None = None
) -> dict[tuple[str, str], int]:
    """(phrase id, placeholder) -> how often the phrase was used with it left empty."""
    where, params = _since("u.used_at", since)
    where = f"{where} AND" if where else "WHERE"
    with db.read() as conn:
        rows = conn.execute(
            "SELECT u.phrase_id, p.key, count(*) FROM phrase_uses u,"
            f" json_each(u.placeholders) p {where} p.type = 'false'"
            " GROUP BY u.phrase_id, p.key ORDER BY count(*) DESC, u.phrase_id, p.key",
            params,
        ).fetchall()
    return {(row[0], row[1]): row[2] for row in rows}


def phrases_used(db: Database, call_id: int) -> list[str]:
    """Ids of the phrases used on a call, each once, in the order first used."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT phrase_id FROM phrase_uses WHERE call_id = ?"
            " GROUP BY phrase_id ORDER BY min(id)",
            (call_id,),
        ).fetchall()
    return [row[0] for row in rows]


def phrase_inserts(db: Database, call_id: int) -> list[tuple[str, datetime]]:
    """(phrase id, when) of each phrase inserted into a call's notes, oldest first."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT phrase_id, used_at FROM phrase_uses WHERE call_id = ? AND action = 'insert'"
            " ORDER BY used_at, id",
            (call_id,),
        ).fetchall()
    return [(str(row[0]), from_iso(str(row[1]))) for row in rows]


@dataclass(frozen=True, slots=True)
class PhraseUse:
    """How often a phrase was used in all, and when last (for the team statistics)."""

    uses: int
    last_used: datetime


def phrase_use_history(db: Database) -> dict[str, PhraseUse]:
    """Every phrase id ever inserted or copied: how often, and when last."""
    with db.read() as conn:
        rows = conn.execute(
            "SELECT phrase_id, COUNT(*), MAX(used_at) FROM phrase_uses GROUP BY phrase_id"
        ).fetchall()
    return {str(pid): PhraseUse(int(count), from_iso(str(last))) for pid, count, last in rows}


def _since(column: str, since: datetime | None) -> tuple[str, tuple[object, ...]]:
    if since is None:
        return "", ()
    return f"WHERE {column} >= ?", (to_iso(since),)
