"""Practice cards and reviews as stored; the scheduling is in `practice/cards.py`.

Rows are never deleted, so a removed or reworded phrase keeps its history.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.clock import from_iso, to_iso
from calldesk.core.practice.model import CardRecord, CardState, ReviewRecord


def _when(text: str | None) -> datetime | None:
    return None if text is None else from_iso(text)


_PRACTICE_CARD_COLUMNS = (
    "phrase_id, say_hash, card_id, state, step, stability, difficulty, due, last_review,"
    " introduced_at"
)

_PRACTICE_REVIEW_COLUMNS = (
    "phrase_id, say_hash, card_id, rating, reviewed_at, elapsed_days, state_before,"
    " state_after, stability, difficulty, due, typed"
)

if TYPE_CHECKING:
    import sqlite3

    from calldesk.core.db.database import Database


def practice_cards(db: Database) -> dict[str, CardRecord]:
    """Every stored practice card by phrase id, including those of removed phrases."""
    with db.read() as conn:
        rows = conn.execute(f"SELECT {_PRACTICE_CARD_COLUMNS} FROM practice_cards")
        return {row[0]: _practice_card(row) for row in rows}


def practice_due_index(db: Database, now: datetime) -> dict[str, tuple[str, bool]]:
    """phrase id -> (say hash, due by `now`): what the due count needs, without full cards."""
    with db.read() as conn:
        # Stored times are all UTC ISO text from `to_iso`, so they compare as strings.
        rows = conn.execute(
            "SELECT phrase_id, say_hash, due <= ? FROM practice_cards", (to_iso(now),)
        )
        return {row[0]: (row[1], bool(row[2])) for row in rows}


def practice_card(db: Database, phrase_id: str) -> CardRecord | None:
    with db.read() as conn:
        row = conn.execute(
            f"SELECT {_PRACTICE_CARD_COLUMNS} FROM practice_cards WHERE phrase_id = ?",
            (phrase_id,),
        ).fetchone()
    return None if row is None else _practice_card(row)


def save_practice_review(
    db: Database, card: CardRecord, review: ReviewRecord
) -> tuple[CardRecord, ReviewRecord]:
    """Store a graded card and log its review in one transaction; returns both with ids.

    A card with `card_id` 0 is a new one and gets the next id. Rows are never deleted, so
    the highest id in the table is the highest ever given.
    """
    with db.write() as conn:
        if card.card_id == 0:
            row = conn.execute("SELECT coalesce(max(card_id), 0) + 1 FROM practice_cards")
            card_id = int(row.fetchone()[0])
            card = replace(card, card_id=card_id)
            review = replace(review, card_id=card_id)
        conn.execute(
            f"INSERT OR REPLACE INTO practice_cards ({_PRACTICE_CARD_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                card.phrase_id,
                card.say_hash,
                card.card_id,
                int(card.state),
                card.step,
                card.stability,
                card.difficulty,
                to_iso(card.due),
                None if card.last_review is None else to_iso(card.last_review),
                to_iso(card.introduced_at),
            ),
        )
        cursor = conn.execute(
            f"INSERT INTO practice_reviews ({_PRACTICE_REVIEW_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                review.phrase_id,
                review.say_hash,
                review.card_id,
                review.rating,
                to_iso(review.reviewed_at),
                review.elapsed_days,
                int(review.state_before),
                int(review.state_after),
                review.stability,
                review.difficulty,
                to_iso(review.due),
                int(review.typed),
            ),
        )
    return card, replace(review, id=cursor.lastrowid)


def practice_reviews(db: Database, phrase_id: str | None = None) -> list[ReviewRecord]:
    """The review log (of one phrase id, or all), oldest first."""

    where, params = ("WHERE phrase_id = ?", (phrase_id,)) if phrase_id else ("", ())
    with db.read() as conn:
        rows = conn.execute(
            f"SELECT {_PRACTICE_REVIEW_COLUMNS}, id FROM practice_reviews {where} ORDER BY id",
            params,
        ).fetchall()
    return [
        ReviewRecord(
            phrase_id=row[0],
            say_hash=row[1],
            card_id=row[2],
            rating=row[3],
            reviewed_at=from_iso(row[4]),
            elapsed_days=row[5],
            state_before=CardState(row[6]),
            state_after=CardState(row[7]),
            stability=row[8],
            difficulty=row[9],
            due=from_iso(row[10]),
            typed=bool(row[11]),
            id=row[12],
        )
        for row in rows
    ]


def practice_review_counts(db: Database) -> dict[str, tuple[int, int]]:
    """phrase id -> (reviews, lapses); a lapse is a 1 (again) given to a card in review."""

    with db.read() as conn:
        rows = conn.execute(
            "SELECT phrase_id, count(*), sum(rating = 1 AND state_before = ?)"
            " FROM practice_reviews GROUP BY phrase_id",
            (int(CardState.REVIEW),),
        ).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def practice_introduced(db: Database, since: datetime, until: datetime) -> int:
    """How many new cards were first graded in [since, until)."""
    with db.read() as conn:
        row = conn.execute(
            "SELECT count(*) FROM practice_reviews"
            " WHERE state_before = 0 AND reviewed_at >= ? AND reviewed_at < ?",
            (to_iso(since), to_iso(until)),
        ).fetchone()
    return int(row[0])


def _practice_card(row: sqlite3.Row) -> CardRecord:

    return CardRecord(
        phrase_id=row[0],
        say_hash=row[1],
        card_id=row[2],
        state=CardState(row[3]),
        step=row[4],
        stability=row[5],
        difficulty=row[6],
        due=from_iso(row[7]),
        last_review=_when(row[8]),
        introduced_at=from_iso(row[9]),
    )
