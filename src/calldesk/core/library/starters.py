"""What the phrase pane lists before the first keystroke: what a call starts with, not A to Z."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from calldesk.core.library.phrases import Phrase

OPENING_TAG = "opening"
"""Phrases tagged this (the bundled "Opening the call" file tags all of its own) come first."""
MOST_USED = 8
"""How many of the agent's most used phrases follow the openings."""


def call_start_phrases(
    phrases: Sequence[Phrase], usage: Mapping[str, int], most_used: int = MOST_USED
) -> list[Phrase]:
    """The opening phrases in library order, then the agent's most used, then everything else.

    With an empty search the agent is about to pick up or has just picked up: the hello and
    the phrases they reach for every day matter, "Abusive callers" (first A to Z) does not.
    """
    openings = [phrase for phrase in phrases if OPENING_TAG in phrase.tags]
    chosen = {phrase.id for phrase in openings}
    used = sorted(
        (phrase for phrase in phrases if usage.get(phrase.id, 0) > 0 and phrase.id not in chosen),
        key=lambda phrase: -usage[phrase.id],  # stable: ties keep library order
    )[:most_used]
    chosen.update(phrase.id for phrase in used)
    rest = [phrase for phrase in phrases if phrase.id not in chosen]
    return [*openings, *used, *rest]
