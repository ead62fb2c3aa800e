"""Fix everything twice: permanent fixes noted after calls, and problems that keep coming back."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from calldesk.core.aftercall import records
from calldesk.core.aftercall.records import RecentCall
from calldesk.core.textsafe import counted

if TYPE_CHECKING:
    from calldesk.core.db.database import Database


@dataclass(frozen=True, slots=True)
class RecurringProblem:
    """Several recent calls about the same thing: a hint that it needs fixing at the source."""

    kind: str
    """"tag" (the calls share a tag) or "fix" (their permanent-fix notes say much the same)."""
    label: str
    """What they share: the tag, or the words the fix notes have in common."""
    call_ids: tuple[int, ...]
    first_seen: datetime
    last_seen: datetime

    def describe(self) -> str:
        what = (
            f"tagged {self.label!r}" if self.kind == "tag" else f"with fixes about {self.label!r}"
        )
        return f"{counted(len(self.call_ids), 'call')} {what} since {self.first_seen:%a %d %b}"


def save_answer(
    db: Database,
    call_id: int,
    item_id: str,
    value: object,
    skipped: bool = False,
    suggested: bool = False,
) -> None:
    """Store a checklist answer, filing or withdrawing the permanent fix it holds, if any.

    A fix answer (a mapping with "what", "where", "owner") with a non-empty "what" files a
    permanent fix for the call; clearing or skipping it withdraws the fix while it is still
    open (a fix already marked done or won't-fix is kept). Answer and fix are one transaction.
    `suggested`: the agent accepted calldesk's suggestion as it was.
    """
    with db.batch():
        records.save_checklist_answer(db, call_id, item_id, value, skipped, suggested)
        if not isinstance(value, Mapping) or "what" not in value:
            return
        what = str(value.get("what") or "").strip()
        if skipped or not what:
            records.withdraw_open_fix(db, call_id, item_id)
            return
        where = str(value.get("where") or "").strip()
        owner = str(value.get("owner") or "").strip()
        records.file_fix(db, call_id, item_id, what, where, owner)


# Words that carry no meaning about the problem itself; without them two short fix notes
# would look alike just for sharing "the" and "to".
_STOPWORD_TEXT = """
    a about after again all also an and any are as at be been before being but by can could
    did do does doing done for from get gets got had has have he her his how i if in into is
    it its just me more must my need needs no not now of off on once only or other our out
    over please same she should so some still such than that the their them then there these
    they this those to too under until up us very was we were what when where which while
    who why will with would you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"[^\W_]+")


def content_words(text: str) -> frozenset[str]:
    """The lower-cased words of `text` that say something (no stopwords, no single letters)."""
    return frozenset(
        word
        for word in (match.group().casefold() for match in _WORD.finditer(text))
        if len(word) > 1 and word not in STOPWORDS
    )


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)


def recurring_problems(
    calls: Iterable[RecentCall],
    now: datetime,
    window_days: int = 7,
    threshold: int = 3,
    similarity: float = 0.5,
) -> list[RecurringProblem]:
    """Problems seen on at least `threshold` calls in the last `window_days`, biggest first."""
    since = now - timedelta(days=window_days)
    recent = [call for call in calls if since <= call.started_at <= now]
    problems = _by_tag(recent, threshold) + _by_fix_text(recent, threshold, similarity)
    problems.sort(key=lambda problem: (-len(problem.call_ids), -problem.last_seen.timestamp()))
    return problems


def _problem(kind: str, label: str, calls: Sequence[RecentCall]) -> RecurringProblem:
    ordered = sorted(calls, key=lambda call: (call.started_at, call.call_id))
    return RecurringProblem(
        kind=kind,
        label=label,
        call_ids=tuple(call.call_id for call in ordered),
        first_seen=ordered[0].started_at,
        last_seen=ordered[-1].started_at,
    )


def _by_tag(calls: Sequence[RecentCall], threshold: int) -> list[RecurringProblem]:
    groups: dict[str, dict[int, RecentCall]] = defaultdict(dict)
    spelling: dict[str, str] = {}
    for call in calls:
        for tag in call.tags:
            key = tag.strip().casefold()
            if key:
                groups[key][call.call_id] = call
                spelling.setdefault(key, tag.strip())
    return [
        _problem("tag", spelling[key], list(members.values()))
        for key, members in groups.items()
        if len(members) >= threshold
    ]


def _by_fix_text(
    calls: Sequence[RecentCall], threshold: int, similarity: float
) -> list[RecurringProblem]:
    texts = [
        (call, words)
        for call in calls
        for words in (content_words(text) for text in call.fix_texts)
        if words
    ]
    # Group similar notes with a union-find over pairs; a week of fixes is a few dozen texts,
    # so comparing every pair costs nothing.
    parent = list(range(len(texts)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if jaccard(texts[i][1], texts[j][1]) >= similarity:
                parent[root(j)] = root(i)

    clusters: dict[int, list[int]] = defaultdict(list)
    for index in range(len(texts)):
        clusters[root(index)].append(index)

    problems: list[RecurringProblem] = []
    for members in clusters.values():
        member_calls = {texts[i][0].call_id: texts[i][0] for i in members}
        if len(member_calls) < threshold:
            continue
        counts = Counter(word for i in members for word in texts[i][1])
        # Words most of the notes use name the problem better than any single note does.
        shared = [word for word, n in counts.most_common() if n * 2 >= len(members)]
        shared = shared or [word for word, _ in counts.most_common(3)]
        label = " ".join(sorted(shared[:6], key=lambda word: (-counts[word], word)))
        problems.append(_problem("fix", label, list(member_calls.values())))
    return problems
