"""The order new practice cards come in: the trainer's, never the alphabet's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.core.library.phrases import Phrase

ESSENTIALS = "essentials"
"""The drill set every new agent learns first."""
_NO_PRIORITY = 1 << 30  # after every priority a trainer can write


def teaching_key(phrase: Phrase) -> tuple[int, int, str, int]:
    """Sort key of a new card: essentials, then other drill sets, then the rest; within each,
    by `priority:` (phrases without one after those with one), then in file order.

    File order is the order the trainer wrote the phrases in: file by file (by path), then line
    by line. The library's own order (by category and title) is alphabetical, which would open a
    new starter's first round with "Ending an abusive call".
    """
    group = 0 if ESSENTIALS in phrase.sets else 1 if phrase.sets else 2
    priority = phrase.priority if phrase.priority is not None else _NO_PRIORITY
    return (group, priority, str(phrase.source), phrase.line)


def teaching_order(phrases: Iterable[Phrase]) -> list[Phrase]:
    """`phrases` in the order a trainer teaches them (see `teaching_key`)."""
    return sorted(phrases, key=teaching_key)
