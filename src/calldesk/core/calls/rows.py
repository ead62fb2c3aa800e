"""How calls and notes sit in SQL: the columns read, rows turned into objects, search terms."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from calldesk.core.calls.model import Call, CallSummary, NoteEntry, Outcome
from calldesk.core.clock import from_iso
from calldesk.core.db.errors import call_not_found

MAX_SEARCH_TERMS = 8
PREVIEW_CHARS = 200

CALL_COLUMNS = (
    "id, started_at, ended_at, caller_name, caller_number, ticket, outcome, outcome_reason, "
    "draft, tags, answered_at, missed, fan_at"
)

if TYPE_CHECKING:
    import sqlite3
NOTE_COLUMNS = "id, call_id, created_at, edited_at, text"
SUMMARY_SELECT = f"""
SELECT c.id, c.started_at, c.ended_at, c.caller_name, c.caller_number, c.ticket, c.outcome,
    c.tags, c.answered_at, c.missed, c.fan_at,
    (SELECT count(*) FROM notes n WHERE n.call_id = c.id) AS note_count,
    coalesce((SELECT substr(n.text, 1, {PREVIEW_CHARS}) FROM notes n WHERE n.call_id = c.id
              ORDER BY n.id LIMIT 1), '') AS first_note
FROM calls c
"""


def when(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


def _outcome(text: str | None) -> Outcome | None:
    return None if text is None else Outcome(text)


def note_from_row(row: sqlite3.Row) -> NoteEntry:
    return NoteEntry(
        id=row["id"],
        call_id=row["call_id"],
        created_at=from_iso(row["created_at"]),
        text=row["text"],
        edited_at=when(row["edited_at"]),
    )


def _facts(row: sqlite3.Row) -> dict[str, Any]:
    """The `CallFacts` fields of a calls row, shared by full calls and summaries."""
    return {
        "id": row["id"],
        "started_at": from_iso(row["started_at"]),
        "ended_at": when(row["ended_at"]),
        "caller_name": row["caller_name"],
        "caller_number": row["caller_number"],
        "ticket": row["ticket"],
        "outcome": _outcome(row["outcome"]),
        "tags": list(json.loads(row["tags"])),
        "answered_at": when(row["answered_at"]),
        "missed": bool(row["missed"]),
        "fan_at": when(row["fan_at"]),
    }


def call_from_row(row: sqlite3.Row, notes: list[NoteEntry]) -> Call:
    return Call(
        **_facts(row), outcome_reason=row["outcome_reason"], draft=row["draft"], notes=notes
    )


def summary_from_row(row: sqlite3.Row) -> CallSummary:
    return CallSummary(**_facts(row), note_count=row["note_count"], first_note=row["first_note"])


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed, non-empty, each tag once (ignoring case), in the order given."""
    seen: set[str] = set()
    cleaned: list[str] = []
    for tag in tags:
        text = tag.strip()
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            cleaned.append(text)
    return cleaned


_SEARCH_TERM = re.compile(r"[^\W_]+")


def search_terms(query: str) -> list[str]:
    """The words of a search box query, split as the FTS tokenizer splits text.

    Everything else (quotes, `*`, `-`, `:`, brackets) is a separator, so no user input can be
    read as FTS5 query syntax; words such as AND or NOT are quoted before use.
    """
    return _SEARCH_TERM.findall(query)[:MAX_SEARCH_TERMS]


def fts_term(term: str) -> str:
    return '"' + term.replace('"', '""') + '"*'


def like_term(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def read_call(conn: sqlite3.Connection, call_id: int) -> Call:
    """The call `call_id` with all its notes, oldest note first, read on `conn`."""
    row = conn.execute(f"SELECT {CALL_COLUMNS} FROM calls WHERE id = ?", (call_id,)).fetchone()
    if row is None:
        raise call_not_found(call_id)
    notes = conn.execute(
        f"SELECT {NOTE_COLUMNS} FROM notes WHERE call_id = ? ORDER BY id",
        (call_id,),
    ).fetchall()
    return call_from_row(row, [note_from_row(note) for note in notes])
