"""Pilot tests of the desk: start a call, type notes, edit, end, restore after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.tui_helpers import (
    build_app,
    started_up,
    stored,
    type_text,
    wait_for_screen,
    wait_until,
)

from calldesk.config import Settings
from calldesk.core.calls import history as call_history
from calldesk.core.clock import FakeClock
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteItem, NoteList
from calldesk.tui.widgets.status_bar import StatusBar


async def test_a_call_starts_with_f2_and_notes_are_saved_as_typed(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        assert app.desk.call is not None
        assert isinstance(app.focused, NoteInput)
        await type_text(pilot, "printer offline again")
        await pilot.press("enter")
        clock.advance(5)
        await type_text(pilot, "half typed")
        await pilot.pause()
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        call = call_history.open_call(store)
        assert call is not None
        assert [note.text for note in call.notes] == ["printer offline again"]
        assert call.draft == "half typed"
        store.close()


async def test_enter_files_an_entry_and_ctrl_j_breaks_a_line(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "first")
        await pilot.press("ctrl+j")
        await type_text(pilot, "second")
        await pilot.press("enter")
        await pilot.pause()
        assert [note.text for note in app.desk.call.notes] == ["first\nsecond"]
        assert app.screen.query_one(NoteInput).text == ""


async def test_user_text_is_shown_literally(settings: Settings, clock: FakeClock) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "[bold]not bold[/bold]")
        await pilot.press("enter")
        await pilot.pause()
        item = app.screen.query_one(NoteItem)
        rendered = item.query_one("Label").render()
        assert "[bold]not bold[/bold]" in str(rendered)


async def test_caller_fields_are_saved_and_shown_in_the_status_bar(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f4")
        await type_text(pilot, "Ann")
        await pilot.press("tab")
        await type_text(pilot, "0161 555")
        await pilot.pause()
        status = str(app.screen.query_one(StatusBar).query_one("#status-call").render())
        assert "Ann · 0161 555" in status
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        call = call_history.open_call(store)
        assert (call.caller_name, call.caller_number) == ("Ann", "0161 555")
        store.close()


async def test_a_note_can_be_edited_from_the_list(settings: Settings, clock: FakeClock) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "wrong")
        await pilot.press("enter")
        app.screen.query_one(NoteList).focus()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+a", "backspace")  # clear the edit box
        area = app.screen.query_one("#edit-text")
        area.load_text("right")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.desk.call.notes[0].text == "right"
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        note = call_history.open_call(store).notes[0]
        assert note.text == "right" and note.edited_at is not None
        store.close()


async def test_an_open_call_comes_back_after_a_restart_exactly_as_it_was(
    settings: Settings, clock: FakeClock
) -> None:
    first = build_app(settings, clock)
    async with first.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f4")
        await type_text(pilot, "Dana")
        await pilot.press("escape")  # back to the note field
        assert isinstance(first.focused, NoteInput)
        await type_text(pilot, "entry one")
        await pilot.press("enter")
        await type_text(pilot, "still typing")
        await pilot.pause()
    # The app exits without ending the call, as a closed terminal would leave it.
    second = build_app(settings, clock)
    async with second.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        call = second.desk.call
        assert call is not None
        assert call.caller_name == "Dana"
        assert [note.text for note in call.notes] == ["entry one"]
        assert second.screen.query_one(NoteInput).text == "still typing"
        assert len(second.screen.query(NoteItem)) == 1


async def test_f8_ends_the_call_and_asks_how_it_went(settings: Settings, clock: FakeClock) -> None:
    from calldesk.tui.dialogs.outcome import OutcomeDialog

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "done")
        clock.advance(minutes=3)
        await pilot.press("f8")
        await pilot.pause()
        assert app.desk.call is None
        assert isinstance(app.screen, OutcomeDialog)
        await pilot.press("f")
        await pilot.press("enter")
        await pilot.pause()
        assert app.desk.last_call.outcome.value == "fine"
        assert app.desk.last_call.notes[-1].text == "done"  # the unfinished draft became a note


async def test_the_keymap_from_config_rebinds_a_key(clock: FakeClock) -> None:
    from calldesk.config import load_settings

    settings = load_settings(overrides={"keymap": {"start-call": "f12"}})
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        assert app.desk.call is None
        await pilot.press("f12")
        assert app.desk.call is not None


async def test_f10_exports_the_call_to_a_private_markdown_file(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "# not a heading")
        await pilot.press("enter", "f10")
        await wait_until(
            pilot, lambda: settings.export_dir.is_dir() and any(settings.export_dir.iterdir())
        )
    (exported,) = settings.export_dir.iterdir()
    assert exported.suffix == ".md"
    assert exported.stat().st_mode & 0o777 == 0o600
    text = exported.read_text()
    assert "\\# not a heading" in text


async def test_f10_never_writes_through_a_link_planted_at_the_export_name(
    settings: Settings, clock: FakeClock, tmp_path: Path
) -> None:
    from calldesk.core.export.files import export_filename

    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n", encoding="utf-8")
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "card on file")
        await pilot.press("enter")
        settings.export_dir.mkdir(parents=True)
        planted = settings.export_dir / export_filename(app.desk.call)
        planted.symlink_to(victim)
        await pilot.press("f10")
        await wait_until(pilot, lambda: any(n.title == "Export failed" for n in app._notifications))
        [failed] = [n for n in app._notifications if n.title == "Export failed"]
        assert failed.message.startswith(f"{planted} is a symbolic link;")
    assert victim.read_text(encoding="utf-8") == "not yours\n"
    assert [path.name for path in settings.export_dir.iterdir()] == [planted.name]


async def test_f9_practice_only_between_calls_and_the_palette_offers_what_fits(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.tui.commands import CallCommands, PhraseCommands
    from calldesk.tui.dialogs.outcome import OutcomeDialog
    from calldesk.tui.screens.checklist import ChecklistScreen
    from calldesk.tui.screens.practice import PracticeScreen

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.library is not None, timeout=3)
        names = lambda provider: [name for name, *_ in provider(app.screen).commands()]  # noqa: E731
        assert "call: start" in names(CallCommands) and "call: end" not in names(CallCommands)
        assert "practice: drill phrases" in names(PhraseCommands)
        await pilot.press("f2")
        assert "call: end" in names(CallCommands) and "call: start" not in names(CallCommands)
        assert "practice: drill phrases" not in names(PhraseCommands)
        await pilot.press("f9")
        assert not isinstance(app.screen, PracticeScreen)
        await pilot.press("f8")
        await wait_for_screen(pilot, OutcomeDialog)
        await pilot.press("escape")  # outcome: later
        await wait_for_screen(pilot, ChecklistScreen)  # its answers read behind the writes
        await pilot.press("escape")  # checklist: later
        await pilot.pause()
        await pilot.press("f9")
        await pilot.pause()
        assert isinstance(app.screen, PracticeScreen)


async def test_practice_is_not_offered_in_the_status_line_during_a_call(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        extra = app.screen.query_one(StatusBar).query_one("#status-extra")
        await wait_until(pilot, lambda: "to practise" in str(extra.render()))
        assert "5 to practise (F9)" in str(extra.render())
        await pilot.press("f2")
        await pilot.pause()
        assert "practise" not in str(extra.render())


async def test_the_daily_goal_shows_on_the_status_line_and_moves_after_practice(
    settings: Settings, clock: FakeClock
) -> None:
    from dataclasses import replace

    settings = replace(settings, practice=replace(settings.practice, daily_goal=2))
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        extra = app.screen.query_one(StatusBar).query_one("#status-extra")
        await wait_until(pilot, lambda: "practice 0/2" in str(extra.render()))
        assert "practice 0/2 · 5 to practise (F9)" in str(extra.render())
        from calldesk.tui.screens.practice import PracticeScreen

        await pilot.press("f9")
        practice = await wait_for_screen(pilot, PracticeScreen)
        for _ in range(2):  # each card comes from a read behind the last grade
            await wait_until(pilot, lambda: practice.item is not None and not practice.revealed)
            await pilot.press("enter", "3")
        await wait_until(pilot, lambda: practice.summary.reviewed == 2)
        await pilot.press("escape")
        await wait_until(pilot, lambda: "practice 2/2 ✓" in str(extra.render()))


async def test_the_clock_tick_is_harmless_while_the_app_shuts_down(
    settings: Settings, clock: FakeClock
) -> None:
    # The once-a-second tick runs in a task of its own, so it can fire while Textual takes the
    # screens down (it raised NoMatches). Here it fires at every step of the shutdown.
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "still typing")
        close_all = app._close_all

        async def close_all_ticking() -> None:
            closing = asyncio.ensure_future(close_all())
            while not closing.done():
                app._tick()
                await asyncio.sleep(0)
            await closing
            app._tick()

        app._close_all = close_all_ticking  # type: ignore[method-assign]
    assert app.return_code in (None, 0)


async def test_state_and_answers_arriving_while_the_app_shuts_down_are_harmless(
    settings: Settings, clock: FakeClock
) -> None:
    # Watchers redraw the status line, and answers from the writer thread fill the desk: both
    # can arrive at any step of the shutdown, when the desk's widgets are half gone.
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await type_text(pilot, "still typing")
        close_all = app._close_all
        changes = iter(range(10_000))

        def everything_changes() -> None:
            step = next(changes)
            app._tick()
            app.save_state = "NOT SAVED" if step % 2 else "saved"
            app.phone_link = f"☎ baresip {step}"
            app.due_text = f"{step} to practise"
            app.show_call()
            app.lookup_caller("555 0100")
            app.after_calls.show_breaks()

        async def close_all_changing() -> None:
            closing = asyncio.ensure_future(close_all())
            while not closing.done():
                everything_changes()
                await asyncio.sleep(0)
            await closing
            everything_changes()

        app._close_all = close_all_changing  # type: ignore[method-assign]
    assert app.return_code in (None, 0)


def test_the_right_side_of_the_status_line_gives_way_and_always_says_whether_notes_save() -> None:
    from rich.text import Text

    from calldesk.tui.widgets.status_bar import extra_status

    promise = Text("⏰ 15:30 Ann Lee: call back about the RMA label")
    parts = {"due": "4 to practise (F9)", "promise": promise, "breaks": "breaks: 2 taken"}
    full = extra_status("saved", **parts).plain  # type: ignore[arg-type]
    assert "4 to practise" in full and "breaks: 2 taken" in full and "RMA label" in full
    fitted = extra_status("NOT SAVED", room=52, **parts).plain  # type: ignore[arg-type]
    assert len(fitted) <= 52 and fitted.endswith(" NOT SAVED ")
    assert "practise" not in fitted and "15:30" in fitted
    tight = extra_status("NOT SAVED", room=30, **parts).plain  # type: ignore[arg-type]
    assert len(tight) <= 30 and tight.endswith(" NOT SAVED ") and "⏰" in tight


async def test_at_80x24_a_busy_status_line_still_shows_the_call_state(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: started_up(app))
        app.due_text = "12 to practise (F9)"
        app.breaks_today = "breaks: 3 taken, 1 skipped"
        from rich.text import Text

        app.promise_status = Text("⏰ 05:05! Ann Lee: call back about the RMA label and invoice")
        await pilot.pause()
        bar = app.screen.query_one(StatusBar)
        left = bar.query_one("#status-call")
        assert "NO CALL" in str(left.render())
        assert left.size.width >= len(" ○ NO CALL   F2 starts one")  # on screen, not squeezed out
        assert str(bar.query_one("#status-extra").render()).rstrip().endswith("saved")


async def test_toasts_never_pile_up_over_what_the_agent_is_reading(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        for number in range(6):
            app.notify(f"notice {number}", timeout=60)
        await wait_until(pilot, lambda: "notice 5" in [n.message for n in app._notifications])
        assert [n.message for n in app._notifications] == ["notice 3", "notice 4", "notice 5"]
