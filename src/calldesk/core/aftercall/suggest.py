"""Checklist answers suggested from what happened on the call, each with where it came from."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from calldesk.core.aftercall.checklist import Checklist, ChecklistItem, ItemKind, SuggestRule

if TYPE_CHECKING:
    from calldesk.core.calls.model import Call, NoteEntry
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.promises.model import Promise

QUOTE_LIMIT = 60
"""A note or title quoted in a source line is cut to this many characters."""


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An answer the checklist offers for one item; the agent accepts or changes it."""

    item_id: str
    value: object
    """What the answer would be: True for a check, an option, a text, or a fix's three fields."""
    source: str
    """Where it came from, in words: "phrase 'That one's on us' at 10:42"."""
    at: datetime | None = None
    """When that happened on the call (the note, the phrase, the promise)."""


@dataclass(frozen=True, slots=True)
class CallEvidence:
    """What happened on one call, as the suggestions need it."""

    call: Call
    inserts: Sequence[tuple[str, datetime]] = ()
    """(phrase id, when) of each phrase inserted into the notes, oldest first."""
    promises: Sequence[Promise] = ()


def suggest_answers(
    checklist: Checklist,
    evidence: CallEvidence,
    phrase: Callable[[str], Phrase | None],
) -> list[Suggestion]:
    """One suggestion per item that has a `suggest` rule and something on the call to go on.

    The agent's own words come first (a `#tag` note), then a phrase they inserted, then the
    promises made. Nothing is suggested for an item with no rule: the trainer decides.
    """
    found: list[Suggestion] = []
    for item in checklist.items:
        rule = item.suggest
        if rule is None:
            continue
        suggestion = (
            _from_notes(item, rule, evidence)
            or _from_phrases(item, rule, evidence, phrase)
            or _from_promises(item, rule, evidence)
        )
        if suggestion is not None:
            found.append(suggestion)
    return found


def hhmm(when: datetime) -> str:
    """The local time of day, as the call's notes show it."""
    return f"{when.astimezone():%H:%M}"


def quote(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` on one line, cut to `limit` characters, in quotes."""
    line = " ".join(text.split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return f"'{line}'"


def _tag_pattern(tag: str) -> re.Pattern[str]:
    # As `#tags` are read off notes (calls/notes.py): `#fix` but not `#fixed` or `a#fix`.
    return re.compile(rf"(?<![\w#])#{re.escape(tag)}(?![\w-])", re.IGNORECASE)


def _from_notes(
    item: ChecklistItem, rule: SuggestRule, evidence: CallEvidence
) -> Suggestion | None:
    if not rule.note_tag:
        return None
    pattern = _tag_pattern(rule.note_tag)
    notes: list[NoteEntry] = [note for note in evidence.call.notes if pattern.search(note.text)]
    if not notes:
        return None
    words = [" ".join(pattern.sub(" ", note.text).split()) for note in notes]
    text = "; ".join(word for word in words if word)
    first = notes[0]
    source = f"note at {hhmm(first.created_at)}: {quote(first.text)}"
    if len(notes) > 1:
        source += f" and {len(notes) - 1} more"
    value = _value(item, rule, text, evidence.call.ticket)
    return None if value is None else Suggestion(item.id, value, source, first.created_at)


def _from_phrases(
    item: ChecklistItem,
    rule: SuggestRule,
    evidence: CallEvidence,
    phrase: Callable[[str], Phrase | None],
) -> Suggestion | None:
    if not rule.phrase_tag:
        return None
    wanted = rule.phrase_tag.casefold()
    for phrase_id, used_at in evidence.inserts:
        found = phrase(phrase_id)
        if found is None or wanted not in {tag.casefold() for tag in found.tags}:
            continue
        text = rule.answer
        if not text and item.kind is ItemKind.FIX:
            text = _note_holding(evidence.call, used_at)
        value = _value(item, rule, text or found.title, evidence.call.ticket)
        if value is None:
            return None
        source = f"phrase {quote(found.title)} at {hhmm(used_at)}"
        return Suggestion(item.id, value, source, used_at)
    return None


def _note_holding(call: Call, used_at: datetime) -> str:
    """The note a phrase went into: the first one entered at or after it was inserted."""
    note = next((note for note in call.notes if note.created_at >= used_at), None)
    return " ".join(note.text.split()) if note is not None else ""


def _from_promises(
    item: ChecklistItem, rule: SuggestRule, evidence: CallEvidence
) -> Suggestion | None:
    if not rule.promises or not evidence.promises:
        return None
    made = sorted(evidence.promises, key=lambda promise: (promise.made_at, promise.id))
    text = "; ".join(f"{' '.join(p.what.split())}, due {_due(p)}" for p in made)
    value = _value(item, rule, text, evidence.call.ticket)
    if value is None:
        return None
    first = made[0]
    source = f"promise made at {hhmm(first.made_at)}"
    if len(made) > 1:
        source = f"{len(made)} promises made, the first at {hhmm(first.made_at)}"
    return Suggestion(item.id, value, source, first.made_at)


def _due(promise: Promise) -> str:
    due, made = promise.due_at.astimezone(), promise.made_at.astimezone()
    return f"{due:%H:%M}" if due.date() == made.date() else f"{due:%a %d %b %H:%M}"


def _value(item: ChecklistItem, rule: SuggestRule, text: str, ticket: str) -> object | None:
    """`text` as an answer to `item`; None when it cannot answer it."""
    if item.kind is ItemKind.CHECK:
        return True
    if item.kind is ItemKind.CHOICE:
        return rule.answer if rule.answer in item.options else None
    if not text:
        return None
    if item.kind is ItemKind.FIX:
        # The ticket is where most fixes are filed; the agent corrects it if not.
        return {"what": text, "where": ticket, "owner": ""}
    return text
