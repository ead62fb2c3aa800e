"""Live reload in the running app: a trainer saves, breaks and fixes a phrase file."""

from __future__ import annotations

from pathlib import Path

from tests.tui_helpers import build_app, type_text, wait_until

from calldesk.config import load_settings
from calldesk.core.clock import FakeClock
from calldesk.tui.widgets.phrase_pane import PhrasePane

GOOD = """\
category: Team
phrases:
  - id: team-new-printer
    title: The new printer policy
    say: Our new printers release jobs when you tap your badge.
"""
BROKEN = GOOD.replace("    say:", "    sya:")
FIXED = GOOD.replace("new printers", "new office printers")


async def test_a_saved_change_shows_in_search_and_a_broken_file_keeps_its_last_good_version(
    tmp_path: Path, clock: FakeClock
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    settings = load_settings(overrides={"phrase_dirs": (team,)})
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.library is not None and app.watcher is not None)
        assert app.watcher.wait_ready(timeout=5)
        pane = app.screen.query_one(PhrasePane)
        await pilot.press("f3")
        await type_text(pilot, "badge")
        await pilot.pause()
        assert pane.selected is None

        (team / "printers.yaml").write_text(GOOD)
        await wait_until(pilot, lambda: pane.selected is not None)
        assert pane.selected.id == "team-new-printer"
        assert pane.query_text == "badge"  # the agent's search survives the reload

        (team / "printers.yaml").write_text(BROKEN)
        problems = pane.query_one("#phrase-problems")
        await wait_until(pilot, lambda: problems.display)
        shown = " ".join(str(problems.render()).split())  # wrapped to the pane
        assert "printers.yaml:5:5: unknown key 'sya' in a phrase (did you mean 'say'?)" in shown
        assert pane.selected is not None and pane.selected.id == "team-new-printer"

        (team / "printers.yaml").write_text(FIXED)
        await wait_until(pilot, lambda: not problems.display)
        assert "new office printers" in pane.selected.say


async def test_a_new_broken_file_is_said_to_be_skipped_not_kept(
    tmp_path: Path, clock: FakeClock
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    settings = load_settings(overrides={"phrase_dirs": (team,)})
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.library is not None and app.watcher is not None)
        assert app.watcher.wait_ready(timeout=5)
        (team / "printers.yaml").write_text(BROKEN)
        pane = app.screen.query_one(PhrasePane)
        problems = pane.query_one("#phrase-problems")
        await wait_until(pilot, lambda: problems.display)
        await wait_until(pilot, lambda: any(app._notifications))
        said = [notice.message for notice in app._notifications]
        assert any("1 new file has errors (printers.yaml)" in text for text in said), said
        assert not any("last good version" in text for text in said), said
        # The list sits under the search box, clear of the toasts in the bottom corner.
        assert problems.region.bottom <= pane.query_one("#phrase-results").region.y
