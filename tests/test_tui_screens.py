"""Every screen tells the whole story at 80x24: F1 is complete and scrolls, nothing is cut."""

from __future__ import annotations

from tests.tui_helpers import build_app, started_up, type_text, wait_for_screen, wait_until
from textual.containers import VerticalScroll
from textual.widgets import Static

from calldesk.config import Settings
from calldesk.core.clock import FakeClock
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.keys import SCREEN_ORDER, binding_help
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.screens.help import HelpScreen
from calldesk.tui.widgets.notes_pane import NoteList, NotesPane


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the terminal shows now, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def test_help_has_a_heading_for_every_screen_with_keys() -> None:
    rows = binding_help()
    assert [where for where in SCREEN_ORDER if any(row.where == where for row in rows)] == list(
        SCREEN_ORDER
    )
    by_where = {where: {row.keys for row in rows if row.where == where} for where in SCREEN_ORDER}
    assert {"s", "z", "x", "e", "Enter"} <= by_where["the break"]
    assert {"f", "b", "a", "Escape"} <= by_where["how did it go?"]
    assert {"ctrl+s", "ctrl+n", "Escape"} <= by_where["checklist"]
    assert {"d", "w", "o", "a"} <= by_where["fixes"]
    assert {"y", "n / Escape"} <= by_where["a yes/no question"]


def test_help_shows_keys_as_remapped() -> None:
    rows = binding_help({"start-call": "f12,ctrl+n"})
    (start,) = [row for row in rows if row.action == "Start a call record"]
    assert start.keys == "F12 / ctrl+n"


async def test_help_scrolls_to_its_last_row_at_80x24(settings: Settings, clock: FakeClock) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        await pilot.press("f1")
        screen = await wait_for_screen(pilot, HelpScreen)
        scroll = screen.query_one("#help-keys", VerticalScroll)
        await wait_until(pilot, lambda: scroll.max_scroll_y > 0)
        assert "THE BREAK" not in screen_text(app)  # further down: it has to scroll
        await pilot.press("end")
        await wait_until(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y)
        await pilot.pause()
        shown = screen_text(app)
        assert "Scroll this list" in shown
        assert "Say-it-aloud" in shown  # the last practice row, above "this help"
        table = str(screen.query_one("#help-table", Static).render())
        assert table  # rendered without error


async def test_the_note_count_stays_true_after_deletes(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        await pilot.press("f2")
        for text in ("one", "two", "three"):
            await type_text(pilot, text)
            await pilot.press("enter")
        pane = app.screen.query_one(NotesPane)
        assert str(pane.border_subtitle) == "3 notes"
        for left in ("2 notes", "1 note", "0 notes"):
            notes = app.screen.query_one(NoteList)
            notes.focus()
            # After deleting the last note the one before it is highlighted: Delete goes on.
            await wait_until(
                pilot, lambda notes=notes: app.focused is notes and notes.highlighted_child
            )
            await pilot.press("delete")
            await wait_for_screen(pilot, ConfirmDialog)
            await pilot.press("y")
            await wait_for_screen(pilot, DeskScreen)
            await wait_until(pilot, lambda left=left: str(pane.border_subtitle) == left)
        assert app.screen.query_one("#notes-empty").display


def test_call_start_lists_openings_then_the_most_used_then_the_rest() -> None:
    from calldesk import paths
    from calldesk.core.library.loader import load_library
    from calldesk.core.library.starters import call_start_phrases

    phrases = load_library([paths.bundled_phrase_dir()]).phrases
    usage = {"blame-thats-on-us": 5, "time-let-me-look": 9, "open-greeting": 3}
    listed = call_start_phrases(phrases, usage)
    assert sorted(p.id for p in listed) == sorted(p.id for p in phrases)  # nothing lost
    openings = [p.id for p in phrases if "opening" in p.tags]
    assert [p.id for p in listed[: len(openings)]] == openings
    after = [p.id for p in listed[len(openings) : len(openings) + 2]]
    assert after == ["time-let-me-look", "blame-thats-on-us"]
    assert listed[0].category == "Opening the call"


async def test_an_empty_search_starts_with_the_hello_not_abusive_callers(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.tui.widgets.phrase_pane import PhrasePane

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        pane = app.screen.query_one(PhrasePane)
        await wait_until(pilot, lambda: pane.selected is not None)
        assert pane.query_text == ""
        assert pane.selected.category == "Opening the call"
        await pilot.press("f3")
        await type_text(pilot, "abuse")
        await wait_until(pilot, lambda: pane.selected.category == "Abusive callers")
        await pilot.press("ctrl+u")  # cleared again: back to the openings
        await wait_until(pilot, lambda: pane.selected.category == "Opening the call")


async def test_the_smile_cue_greets_each_call_and_one_line_turns_it_off(
    settings: Settings, clock: FakeClock, tmp_path
) -> None:
    from calldesk.config import load_settings

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        await pilot.press("f2")
        empty = app.screen.query_one("#notes-empty")
        assert "Smile: they can hear it." in str(empty.render())
        assert "Smile" in screen_text(app)
    config = tmp_path / "config.toml"
    config.write_text("smile_cue = false\n", encoding="utf-8")
    quiet = build_app(load_settings(config_file=config), clock)
    async with quiet.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(quiet))
        await pilot.press("f2")
        empty = quiet.screen.query_one("#notes-empty")
        assert "Type a note" in str(empty.render())
        assert "Smile" not in str(empty.render())


async def test_a_long_caller_name_wraps_in_the_outcome_question(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.tui.dialogs.outcome import OutcomeDialog

    name = "Annabel Leeson-Smithers of the Accounts Payable Department, Northern Region Office"
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        await pilot.press("f2", "f4")
        await type_text(pilot, name)
        await pilot.press("escape")
        await type_text(pilot, "printer")
        await pilot.press("enter", "f8")
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        await pilot.pause()
        title = dialog.query_one(".dialog-title")
        assert str(title.render()) == f"How did the call with {name} go?"
        assert title.size.height == 2  # wrapped inside the dialog, not cut at its edge
        assert title.region.right <= dialog.query_one(".dialog").region.right
