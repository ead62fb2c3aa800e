"""Phrases that follow the call: suggestions from the notes, the caller card and the moment."""

from __future__ import annotations

from pathlib import Path

import pytest

from calldesk.core.library.loader import load_library
from calldesk.core.library.search import PhraseIndex
from calldesk.core.library.suggest import (
    CLOSING_SECONDS,
    MAX_SUGGESTIONS,
    CallSuggestions,
    suggest,
)

BUNDLED = Path(__file__).resolve().parents[1] / "phrases"


@pytest.fixture(scope="module")
def index() -> PhraseIndex:
    library = load_library([BUNDLED], optional=[])
    return PhraseIndex(library.phrases, synonyms=library.synonyms)


def ids_and_reasons(found: object) -> list[tuple[str, str]]:
    return [(s.phrase.id, s.reason) for s in found]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("note", "phrase_id", "reason"),
    [
        ("he's threatening to sue", "threat-legal-action", "threatening to sue"),
        ("customer furious about invoice", "furious-say-it-back", "furious"),
        ("already restarted twice", "basics-already-tried-it", "already restarted"),
        ("called me an idiot", "abuse-one-warning", "idiot"),
    ],
)
def test_what_the_agent_writes_brings_its_phrase_up(
    index: PhraseIndex, note: str, phrase_id: str, reason: str
) -> None:
    found = ids_and_reasons(suggest(index, note, elapsed=120))
    assert (phrase_id, f"because you wrote '{reason}'") in found


def test_a_threat_to_sue_is_not_a_threat_of_harm(index: PhraseIndex) -> None:
    found = [s.phrase.id for s in suggest(index, "he's threatening to sue", elapsed=120)]
    assert found == ["threat-legal-action"]


def test_the_caller_card_and_the_moment(index: PhraseIndex) -> None:
    assert ids_and_reasons(suggest(index, "", "abusive", elapsed=5)) == [
        ("abuse-one-warning", "because the last call with this number was marked abusive"),
        ("open-greeting", "because the call just began"),
    ]
    assert suggest(index, "", "fine", elapsed=60) == []
    late = ids_and_reasons(suggest(index, "all working now", elapsed=CLOSING_SECONDS + 60))
    assert ("close-anything-else", "because the call has run 9 minutes") in late


def test_at_most_three_newest_first_and_each_trigger_once(index: PhraseIndex) -> None:
    call = CallSuggestions(index)
    call.update("he's threatening to sue", elapsed=60)
    call.update("he's threatening to sue\ncharged twice on the invoice", elapsed=90)
    notes = "he's threatening to sue\ncharged twice on the invoice\nrouter lights off, idiot"
    shown = call.update(notes, elapsed=120)
    assert len(shown) == MAX_SUGGESTIONS
    assert shown[-1].phrase.id != "threat-legal-action" or len(shown) < MAX_SUGGESTIONS
    # The same words again suggest nothing new: each trigger suggests once per call.
    again = call.update(notes + "\nstill threatening to sue", elapsed=150)
    assert [s.trigger for s in again] == [s.trigger for s in shown]


def test_a_dismissed_phrase_stays_away_for_the_call(index: PhraseIndex) -> None:
    call = CallSuggestions(index)
    (first,) = call.update("he's threatening to sue", elapsed=60)
    call.dismiss(first.phrase.id)
    assert call.current == []
    later = call.update("he's threatening to sue\nhis lawyer is calling", elapsed=90)
    assert first.phrase.id not in [s.phrase.id for s in later]
    # A new call starts afresh.
    assert [s.phrase.id for s in CallSuggestions(index).update("lawyer", elapsed=60)] == [
        first.phrase.id
    ]


def test_an_edited_note_is_read_again(index: PhraseIndex) -> None:
    call = CallSuggestions(index)
    assert call.update("caller in a good mood", elapsed=60) == []
    found = call.update("he wants his money back", elapsed=90)  # not a continuation
    assert found and found[0].reason == "because you wrote 'money back'"


def test_a_reloaded_library_keeps_what_fired_and_drops_a_removed_phrase(
    index: PhraseIndex,
) -> None:
    call = CallSuggestions(index)
    (first,) = call.update("he's threatening to sue", elapsed=60)
    assert index.get(first.phrase.id) is first.phrase
    assert index.get("no-such-phrase") is None
    same = PhraseIndex(index.phrases)
    call.follow(same)
    assert [s.phrase for s in call.current] == [same.get(first.phrase.id)]
    again = call.update("he's threatening to sue\nsue again", elapsed=90)
    assert [s.trigger for s in again] == [first.trigger]  # fired before the reload
    fewer = PhraseIndex([p for p in index.phrases if p.id != first.phrase.id])
    call.follow(fewer)
    assert call.current == []


def test_the_app_leaves_the_opening_to_the_starters_and_asks_for_the_closing_once(
    index: PhraseIndex,
) -> None:
    """Without an opening moment (the starters list the openings), a call that opens with an
    abusive caller's card brings the one warning alone; the closing moment is due once, from
    CLOSING_SECONDS on, whether or not a note comes."""
    call = CallSuggestions(index, moments=("closing",))
    assert ids_and_reasons(call.update("", "abusive", elapsed=2)) == [
        ("abuse-one-warning", "because the last call with this number was marked abusive"),
    ]
    assert call.update("", "abusive", elapsed=3) == call.current  # the card fired once
    assert not call.due(CLOSING_SECONDS - 1)
    assert call.due(CLOSING_SECONDS)
    shown = call.update("", "abusive", elapsed=CLOSING_SECONDS)
    assert [s.phrase.id for s in shown] == ["close-anything-else", "abuse-one-warning"]
    assert shown[0].reason == "because the call has run 8 minutes"
    assert not call.due(CLOSING_SECONDS + 60)  # looked at once a call
    call.dismiss("close-anything-else")
    assert not call.due(CLOSING_SECONDS + 120)
    assert [s.phrase.id for s in call.current] == ["abuse-one-warning"]


def test_a_caller_card_that_was_fine_or_bad_suggests_nothing(index: PhraseIndex) -> None:
    call = CallSuggestions(index, moments=())
    assert call.update("", "fine", elapsed=2) == []
    assert call.update("", "bad", elapsed=3) == []
    assert not call.due(CLOSING_SECONDS * 2)
