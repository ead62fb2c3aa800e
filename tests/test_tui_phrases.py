"""Pilot tests of the phrase pane: search as you type, insert, copy, usage counts, file problems."""

from __future__ import annotations

from pathlib import Path

from tests.tui_helpers import build_app, stored, type_text, wait_until
from textual.widgets import OptionList

from calldesk.config import Settings, load_settings
from calldesk.core.clock import FakeClock
from calldesk.core.library import records as phrase_records
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.phrase_pane import PhrasePane

TEAM_FILE = """\
category: Team phrases
phrases:
  - id: team-greeting
    title: Team greeting
    say: "Hello {customer}, this is {agent} from the help desk."
    when: Opening a call.
"""


def team_settings(tmp_path: Path, broken: str | None = None) -> Settings:
    team = tmp_path / "team"
    team.mkdir()
    (team / "greeting.yaml").write_text(TEAM_FILE)
    if broken is not None:
        (team / "broken.yaml").write_text(broken)
    return load_settings(overrides={"phrase_dirs": (team,), "agent_name": "Pat"})


async def wait_for_library(app, pilot) -> PhrasePane:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.index is not None)
    return app.screen.query_one(PhrasePane)


async def test_search_narrows_as_you_type_and_tolerates_typos(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        everything = pane.query_one(OptionList).option_count
        await pilot.press("f3")
        await type_text(pilot, "refnd")
        await pilot.pause()
        results = pane.query_one(OptionList)
        assert 0 < results.option_count < everything
        assert "refund" in pane.selected.title.lower() + " ".join(pane.selected.tags)


async def test_enter_puts_the_phrase_into_the_note_with_the_callers_name(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = team_settings(tmp_path)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_library(app, pilot)
        await pilot.press("f2", "f4")
        await type_text(pilot, "Ann")
        await pilot.press("f3")
        await type_text(pilot, "team greeting")
        await pilot.press("enter")
        await pilot.pause()
        note_input = app.screen.query_one(NoteInput)
        assert app.focused is note_input
        assert note_input.text == "Hello Ann, this is Pat from the help desk."
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    assert phrase_records.phrase_use_counts(store) == {"team-greeting": 1}
    assert phrase_records.unfilled_placeholder_counts(store) == {}
    store.close()


async def test_ctrl_y_copies_the_phrase_and_counts_the_use(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = team_settings(tmp_path)
    app = build_app(settings, clock)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_library(app, pilot)
        await pilot.press("f3")
        await type_text(pilot, "team greeting")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert copied == [
            "Hello {customer}, this is Pat from the help desk."
        ]  # no call: name unknown
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    assert phrase_records.phrase_use_counts(store) == {"team-greeting": 1}
    assert phrase_records.unfilled_placeholder_counts(store) == {("team-greeting", "customer"): 1}
    store.close()


async def test_a_broken_phrase_file_is_listed_in_the_app_and_the_rest_still_works(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = team_settings(
        tmp_path, broken="category: Broken\nphrases:\n  - id: x\n    titel: typo\n    say: hi\n"
    )
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        problems = str(pane.query_one("#phrase-problems").render())
        assert "broken.yaml:4:5: unknown key 'titel' in a phrase" in problems
        await pilot.press("f3")
        await type_text(pilot, "team greeting")
        await pilot.pause()
        assert pane.selected is not None and pane.selected.id == "team-greeting"


async def test_a_team_synonym_leads_to_the_phrase_and_the_preview_says_how(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = team_settings(tmp_path)
    (tmp_path / "team" / "synonyms.yaml").write_text(
        "groups:\n  - name: saying hello\n    leads_to: {phrases: [team-greeting]}\n"
        "    words: [howdy]\n"
    )
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        await pilot.press("f3")
        await type_text(pilot, "howdy")
        await wait_until(pilot, lambda: pane.selected is not None)
        assert pane.selected.id == "team-greeting"
        preview = str(pane.query_one("#phrase-preview-text").render())
        assert "matched: howdy → saying hello" in preview


async def test_a_note_about_a_lawyer_brings_the_legal_threat_phrase_up_without_a_search(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        await pilot.press("f2")
        assert pane.suggested == []
        await type_text(pilot, "caller says his lawyer will hear about this")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.suggested != [])
        assert pane.suggested == ["threat-legal-action"]
        # First in the list, its preview says why, and the agent is still in the notes.
        assert pane.selected is not None and pane.selected.id == "threat-legal-action"
        preview = str(pane.query_one("#phrase-preview-text").render())
        assert "suggested because you wrote 'lawyer'" in preview
        assert isinstance(app.focused, NoteInput)
        assert "1 suggested" in str(pane.border_subtitle)
        # A search shows only what it finds; an empty box brings the suggestion back.
        await pilot.press("f3")
        await type_text(pilot, "greeting")
        await pilot.pause()
        assert pane.selected is not None and pane.selected.id != "threat-legal-action"
        assert "suggested" not in str(pane.query_one("#phrase-preview-text").render())
        await pilot.press(*["backspace"] * len("greeting"))
        await pilot.pause()
        assert pane.selected is not None and pane.selected.id == "threat-legal-action"
        # Enter puts it into the note, as with any phrase.
        await pilot.press("enter")
        await pilot.pause()
        assert "I can't advise you on the legal side" in app.screen.query_one(NoteInput).text


async def test_suggestions_keep_the_agents_choice_can_be_dismissed_and_end_with_the_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        await pilot.press("f2")
        await type_text(pilot, "he is threatening to sue")
        await pilot.press("enter")
        await wait_until(pilot, lambda: pane.suggested != [])
        assert pane.suggested == ["threat-legal-action"]
        # While the agent reads in the pane, changed suggestions leave their choice alone.
        await pilot.press("f3", "down", "down")
        chosen = pane.selected.id if pane.selected else None
        pane.show_suggestions([])
        await pilot.pause()
        assert chosen is not None and pane.selected is not None and pane.selected.id == chosen
        await pilot.press("escape")
        await type_text(pilot, "called me an idiot")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(pane.suggested) == 2)
        assert pane.suggested == ["abuse-one-warning", "threat-legal-action"]
        # One key hides the highlighted suggestion for the rest of the call.
        await pilot.press("f3")
        assert pane.selected is not None and pane.selected.id == "abuse-one-warning"
        await pilot.press(app.key("phrase-dismiss").lower())
        await wait_until(pilot, lambda: pane.suggested == ["threat-legal-action"])
        await pilot.press("escape")
        await type_text(pilot, "now he is yelling")
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(pane.suggested) == 2)
        assert pane.suggested == ["abuse-let-me-speak", "threat-legal-action"]
        # The call ends: its suggestions go with it.
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.desk.call is None)
        assert pane.suggested == []


async def test_an_abusive_callers_card_and_a_long_call_bring_phrases_up_without_a_note(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.core.calls import records as call_records
    from calldesk.core.calls.model import Outcome
    from calldesk.core.library.suggest import CLOSING_SECONDS
    from calldesk.core.storage import Database

    store = Database.open(settings.database_path, clock)
    earlier = call_records.start_call(store, "Rick Dunn", "0161 496 0000", "T-77")
    call_records.end_call(store, earlier.id)
    call_records.set_outcome(store, earlier.id, Outcome.ABUSIVE, "swore")
    store.close()
    clock.advance(days=1)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        await pilot.press("f2")
        assert pane.suggested == []  # the openings lead as starters, not as suggestions
        await pilot.press("f4", "tab")
        await type_text(pilot, "0161 496 0000")
        await wait_until(pilot, lambda: pane.suggested != [])
        assert pane.suggested == ["abuse-one-warning"]
        preview = str(pane.query_one("#phrase-preview-text").render())
        assert "last call with this number was marked abusive" in preview
        focused = app.focused
        # The call runs long: the closing phrase comes up by itself, once, above the warning,
        # and the agent's focus stays where it was.
        clock.advance(seconds=CLOSING_SECONDS + 5)
        await wait_until(pilot, lambda: len(pane.suggested) == 2)
        assert pane.suggested == ["close-anything-else", "abuse-one-warning"]
        assert app.focused is focused
        # Dismissed, it stays away: the closing moment suggests once a call.
        await pilot.press("f3")
        assert pane.selected is not None and pane.selected.id == "close-anything-else"
        await pilot.press(app.key("phrase-dismiss").lower())
        await wait_until(pilot, lambda: pane.suggested == ["abuse-one-warning"])
        clock.advance(seconds=60)
        app.notes.tick()  # what the once-a-second timer does, run now rather than waited for
        await pilot.pause()
        assert pane.suggested == ["abuse-one-warning"]
