"""Phrases that follow the call: at most three suggestions, each saying why, from the notes.

What sets a suggestion off (a trigger): words in the notes that the thesaurus knows ("he's
threatening to sue" -> the legal-threat phrase), the caller card (flagged abusive last time ->
the one warning), and the moment in the call (opening phrases at the start, closing ones after
a while). Each trigger suggests once per call; a dismissed phrase stays away for the rest of
the call. Plain Python: the app decides when to show them and never moves the agent's focus.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from calldesk.core.library.phrases import Phrase
from calldesk.core.library.search import PhraseIndex
from calldesk.core.library.words import words

MAX_SUGGESTIONS = 3
OPENING_SECONDS = 45.0
"""Until this far into a call with no notes yet, the opening phrases are suggested."""
CLOSING_SECONDS = 8 * 60.0
"""From this far into a call, the closing phrases are suggested: a little past a typical
support call's length, so a call that is running long gets its wrap-up words, and a short
one is never nudged to end."""
OVERLAP_WORDS = 6
"""Words of earlier notes read again with a new one, so an entry split across them counts."""

# The moments in a call and what stands for them in the thesaurus's words.
MOMENTS: dict[str, str] = {"opening": "greeting", "closing": "anything else"}
# A caller card's last outcome, what stands for it, and why it is suggested.
CALLER_FLAGS: dict[str, tuple[str, str]] = {
    "abusive": ("abusive", "because the last call with this number was marked abusive"),
}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A phrase worth a look now, and why ("because you wrote 'sue'")."""

    phrase: Phrase
    reason: str
    trigger: str  # what set it off; each trigger suggests once per call


class CallSuggestions:
    """The suggestions for one call; make a new one for the next call."""

    def __init__(
        self, index: PhraseIndex, moments: Collection[str] = ("opening", "closing")
    ) -> None:
        """`moments`: which moments in the call suggest (the app leaves the opening to the
        starters, which already list every opening phrase first)."""
        self._index = index
        self._moments = frozenset(moments)
        self._fired: set[str] = set()
        self._dismissed: set[str] = set()
        self._current: list[Suggestion] = []
        self._read: list[str] = []  # the note words already read
        self._closing_looked = False  # the closing moment has been looked at (fired or not)

    @property
    def current(self) -> list[Suggestion]:
        """The suggestions on show, newest first (at most three)."""
        return list(self._current)

    def follow(self, index: PhraseIndex) -> None:
        """Go on with a reloaded library: what fired stays fired, and the suggestions on show
        become the new library's phrases (a phrase a trainer removed goes)."""
        if index is self._index:
            return
        self._index = index
        kept = [(index.get(s.phrase.id), s) for s in self._current]
        self._current = [
            Suggestion(phrase, s.reason, s.trigger) for phrase, s in kept if phrase is not None
        ]

    def due(self, elapsed: float) -> bool:
        """Whether the moment in the call calls for a look now, with no new note: the app asks
        once a second, and updates only when this is true (the closing moment, once a call)."""
        return (
            "closing" in self._moments and elapsed >= CLOSING_SECONDS and not self._closing_looked
        )

    def dismiss(self, phrase_id: str) -> None:
        """Hide this phrase from the suggestions for the rest of the call."""
        self._dismissed.add(phrase_id)
        self._current = [s for s in self._current if s.phrase.id != phrase_id]

    def update(
        self, notes: str, last_outcome: str | None = None, elapsed: float = 0.0
    ) -> list[Suggestion]:
        """The suggestions after a note is filed: the notes so far, the caller card's last
        outcome and the seconds since the call began. New triggers come first."""
        fresh: list[Suggestion] = []
        fresh += self._from_notes(notes)
        if last_outcome in CALLER_FLAGS:
            query, reason = CALLER_FLAGS[last_outcome]
            fresh += self._fire(f"caller:{last_outcome}", query, reason)
        if elapsed < OPENING_SECONDS and not notes.strip():
            if "opening" in self._moments:
                fresh += self._fire(
                    "moment:opening", MOMENTS["opening"], "because the call just began"
                )
        elif elapsed >= CLOSING_SECONDS and "closing" in self._moments:
            self._closing_looked = True
            minutes = int(elapsed // 60)
            fresh += self._fire(
                "moment:closing", MOMENTS["closing"], f"because the call has run {minutes} minutes"
            )
        shown = {s.phrase.id for s in fresh}
        keep = [s for s in self._current if s.phrase.id not in shown]
        self._current = (fresh + keep)[:MAX_SUGGESTIONS]
        return self.current

    def _from_notes(self, notes: str) -> list[Suggestion]:
        typed = words(notes)
        read = self._read
        # Only what is new since the last note; all of it again if a note was edited.
        start = max(0, len(read) - OVERLAP_WORDS) if typed[: len(read)] == read else 0
        self._read = typed
        found: list[Suggestion] = []
        for text, group in self._index.moments(typed[start:]):
            found += self._fire(
                f"group:{group}", text, f"because you wrote '{text}'", group_name=group
            )
        return found

    def _fire(
        self, trigger: str, query: str, reason: str, group_name: str | None = None
    ) -> list[Suggestion]:
        if trigger in self._fired:
            return []
        phrases = self._index.leads(query, group_name)
        picked = next((p for p in phrases if p.id not in self._dismissed), None)
        if picked is None:
            return []
        self._fired.add(trigger)
        return [Suggestion(picked, reason, trigger)]


def suggest(
    index: PhraseIndex,
    notes: str,
    last_outcome: str | None = None,
    elapsed: float = 0.0,
) -> Sequence[Suggestion]:
    """One-off suggestions for a call in this state (no memory of earlier ones)."""
    return CallSuggestions(index).update(notes, last_outcome, elapsed)
