"""Pilot tests of the after-call flow: outcome, cooldown (resumed after restart), checklist."""

from __future__ import annotations

import pytest
from tests.tui_helpers import build_app, stored, type_text, wait_for_screen, wait_until
from textual.widgets import Digits, Input, OptionList, RadioButton, RadioSet

from calldesk.config import Settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import Phase
from calldesk.core.calls import history as call_history
from calldesk.core.clock import FakeClock
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.screens.cooldown import CooldownScreen
from calldesk.tui.screens.desk import DeskScreen
from calldesk.tui.screens.fixes import FixesScreen
from calldesk.tui.screens.help import HelpScreen


def screen_names(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(screen).__name__ for screen in app.screen_stack]


async def end_call_as(pilot, app, outcome_key: str, reason: str = "") -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f2")
    await type_text(pilot, "shouting from the start")
    await pilot.press("enter", "f8")
    await wait_for_screen(pilot, OutcomeDialog)
    await pilot.press(outcome_key)
    await type_text(pilot, reason)
    await pilot.press("enter")
    await pilot.pause()


async def test_a_bad_call_brings_up_a_five_minute_break_that_survives_a_restart(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "b", "swore twice")
        await wait_for_screen(pilot, CooldownScreen)
        assert str(app.screen.query_one(Digits).value) == "05:00"
        await pilot.press("escape", "q", "space")  # stray keys do nothing
        assert isinstance(app.screen, CooldownScreen)
        await pilot.press("s")
        clock.advance(seconds=100)
        app.screen.tick()
        assert app.screen.query_one(Digits).value == "03:20"
        await pilot.pause()
    # Quit mid-break; start again 40 seconds later.
    clock.advance(seconds=40)
    again = build_app(settings, clock)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, CooldownScreen)
        assert again.screen.query_one(Digits).value == "02:40"
        clock.advance(seconds=161)
        again.screen.tick()
        await pilot.pause()
        assert again.screen.state.state is Phase.DONE
        await pilot.press("enter")
        await wait_for_screen(pilot, ChecklistScreen)
    store = stored(settings, clock)
    assert aftercall_records.active_cooldown(store) is None
    (state,) = aftercall_records.cooldowns_between(
        store, clock.now().replace(hour=0), clock.now().replace(hour=23)
    )
    assert state.state is Phase.DONE
    call = call_history.get_call(store, state.call_id)
    assert call.outcome.value == "bad" and call.outcome_reason == "swore twice"
    store.close()


async def test_a_snooze_hides_the_break_and_it_comes_back(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "a")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("z")
        await pilot.pause()
        await wait_for_screen(pilot, ChecklistScreen)  # the checklist while the break waits
        await pilot.press("escape")
        await pilot.pause()
        clock.advance(minutes=settings.cooldown.snooze_minutes, seconds=1)
        app._tick()
        await wait_for_screen(pilot, CooldownScreen)
        assert app.screen.state.snoozes_used == 1


async def test_skipping_a_break_needs_a_yes_and_is_recorded(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "b")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")
        await wait_for_screen(pilot, CooldownScreen)
        assert screen_names(app).count("CooldownScreen") == 1
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_for_screen(pilot, ChecklistScreen)
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    (state,) = aftercall_records.cooldowns_between(
        store, clock.now().replace(hour=0), clock.now().replace(hour=23)
    )
    assert state.state is Phase.SKIPPED
    store.close()


@pytest.mark.parametrize(("key", "over_the_break"), [("x", ConfirmDialog), ("f1", HelpScreen)])
async def test_the_break_stays_one_screen_while_something_covers_it(
    settings: Settings, clock: FakeClock, key: str, over_the_break: type
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "b")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press(key)
        await wait_for_screen(pilot, over_the_break)
        clock.advance(seconds=5)
        app._tick()  # the once-a-second tick, while the agent reads the question or the help
        await pilot.pause()
        assert isinstance(app.screen, over_the_break)
        assert screen_names(app).count("CooldownScreen") == 1


async def test_the_checklist_records_the_blame_and_the_permanent_fix(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(100, 40)) as pilot:
        await end_call_as(pilot, app, "f")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        call_id = screen.call.id
        await pilot.press("ctrl+s")  # required items missing: stays
        await wait_for_screen(pilot, ChecklistScreen)
        screen.query_one("#item-blame", RadioSet).query(RadioButton).last().value = True
        screen.query_one("#item-quick-fix", Input).value = "cleared the print queue"
        screen.query_one(
            "#item-permanent-fix-what", Input
        ).value = "driver update pushed to all PCs"
        screen.query_one("#item-permanent-fix-where", Input).value = "IT-482"
        screen.query_one("#item-permanent-fix-owner", Input).value = "Sam"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await wait_until(pilot, lambda: not isinstance(app.screen, ChecklistScreen))
        assert not isinstance(app.screen, ChecklistScreen)
        assert app.desk.writes.writer.flush()
        await pilot.press("f7")
        fixes = await wait_for_screen(pilot, FixesScreen)
        listed = fixes.query_one(OptionList)
        await wait_until(pilot, lambda: listed.option_count == 1)
        assert "driver update" in str(listed.get_option_at_index(0).prompt)
        await pilot.press("d")
        await wait_until(pilot, lambda: listed.option_count == 0)  # only open fixes are listed
    store = stored(settings, clock)
    answers = aftercall_records.checklist_answers(store, call_id)
    assert answers["blame"].value == "Not yet."
    assert answers["permanent-fix"].value == {
        "what": "driver update pushed to all PCs",
        "where": "IT-482",
        "owner": "Sam",
    }
    assert [fix.status.value for fix in aftercall_records.list_fixes(store, status=None)] == [
        "done"
    ]
    store.close()


async def test_the_checklist_can_be_filled_with_the_keyboard_alone(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "f")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        call_id = screen.call.id
        await pilot.press("space", "tab")
        await type_text(pilot, "reset the client")
        await pilot.press("tab")
        await type_text(pilot, "push 5.2")
        await pilot.press("tab")
        await type_text(pilot, "IT-982")
        await pilot.press("tab")
        await type_text(pilot, "Sam")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChecklistScreen))
        assert not isinstance(app.screen, ChecklistScreen)
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    answers = aftercall_records.checklist_answers(store, call_id)
    assert answers["blame"].value == "It was on us, and I said so."
    assert answers["quick-fix"].value == "reset the client"
    assert answers["permanent-fix"].value == {"what": "push 5.2", "where": "IT-982", "owner": "Sam"}
    store.close()


@pytest.mark.slow
async def test_the_third_bad_call_in_a_row_offers_the_longer_break(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        for round_number in range(3):
            await end_call_as(pilot, app, "b")
            screen = await wait_for_screen(pilot, CooldownScreen)
            if round_number < 2:
                assert not screen.state.long_break
                assert screen.query_one(Digits).value == "05:00"
                await pilot.press("x")
                await wait_for_screen(pilot, ConfirmDialog)
                await pilot.press("y")
                await wait_for_screen(pilot, ChecklistScreen)
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, DeskScreen))
                clock.advance(minutes=10)
        assert screen.state.long_break
        assert screen.query_one(Digits).value == "15:00"


async def test_a_stored_break_of_1e12_minutes_is_repaired_not_a_crash_at_every_start(
    settings: Settings, clock: FakeClock
) -> None:
    import sqlite3

    from calldesk.core.aftercall import records as aftercall_records
    from calldesk.core.aftercall.cooldown import BreakRules, offer
    from calldesk.core.calls.model import Outcome
    from calldesk.core.storage import Database

    with Database.open(settings.database_path, clock) as store:
        state = offer(None, BreakRules(), [Outcome.BAD], clock.now())
        aftercall_records.save_cooldown(store, state.start(clock.now()))
    with sqlite3.connect(settings.database_path) as db:  # what minutes = 1e12 used to store
        db.execute("UPDATE cooldowns SET duration_s = 6e13")
    db.close()
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await wait_for_screen(pilot, CooldownScreen)
        assert screen.query_one(Digits).value == "480:00"
        assert any("Break repaired" in n.title for n in app._notifications)
        clock.advance(hours=8, seconds=1)
        screen.tick()
        await pilot.pause()
        assert screen.state.state is Phase.DONE


async def test_f2_during_a_break_ends_it_and_the_day_count_says_so_at_once(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "b")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("s")
        clock.advance(seconds=30)
        await pilot.press("f2")  # the phone rings mid-break
        await wait_for_screen(pilot, DeskScreen)
        assert screen_names(app) == ["Screen", "DeskScreen"]
        assert app.desk.call is not None
        # Counted with the break just ended, even before its own write has landed.
        await wait_until(pilot, lambda: app.breaks_today == "breaks: 1 taken")
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    (state,) = aftercall_records.cooldowns_between(
        store, clock.now().replace(hour=0), clock.now().replace(hour=23)
    )
    assert state.state is Phase.DONE
    store.close()


@pytest.mark.parametrize("outcome_key", ["b", "a"])
async def test_stray_keys_after_skipping_a_break_land_nowhere(
    settings: Settings, clock: FakeClock, outcome_key: str
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, outcome_key)
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("x")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        await pilot.press("y", "y", "y", "n")  # the agent kept pressing y and then n
        for field in screen.query(Input):
            assert "y" not in field.value and "n" not in field.value
        assert app.breaks_today == "breaks: 0 taken, 1 skipped"
        assert isinstance(app.screen, ChecklistScreen)


async def test_after_an_abusive_call_the_checklist_is_about_the_incident(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "a", "threatened to find me")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("z")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        call_id = screen.call.id
        assert [item.id for item in screen.checklist.items] == [
            "warning-given",
            "what-was-said",
            "who-was-told",
        ]
        assert not screen.query("#item-blame")  # nothing to blame ourselves for here
        await pilot.press("down", "space", "tab")  # "No: it was a threat."
        await type_text(pilot, "said he knows where I park")
        await pilot.press("tab")
        await type_text(pilot, "Dana, and security")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChecklistScreen))
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    answers = aftercall_records.checklist_answers(store, call_id)
    assert answers["warning-given"].value == "No: it was a threat."
    assert answers["what-was-said"].value == "said he knows where I park"
    assert answers["who-was-told"].value == "Dana, and security"
    assert "blame" not in answers
    store.close()


async def test_a_snoozed_break_coming_back_never_drops_the_next_calls_outcome(
    settings: Settings, clock: FakeClock
) -> None:
    # Seen by a tester: the snoozed break came back over the next call's outcome question,
    # its checklist then cancelled that call's after-call steps, and the outcome was lost.
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "b")
        await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("z")
        await wait_for_screen(pilot, ChecklistScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, DeskScreen)
        await pilot.press("f2")
        await type_text(pilot, "second caller")
        await pilot.press("enter", "f8")
        await wait_for_screen(pilot, OutcomeDialog)
        second = app.desk.last_call
        clock.advance(minutes=settings.cooldown.snooze_minutes, seconds=1)
        app._tick()  # the snooze is over while the agent answers the outcome question
        await pilot.pause()
        assert isinstance(app.screen, OutcomeDialog), screen_names(app)
        await pilot.press("f", "enter")
        await wait_for_screen(pilot, ChecklistScreen)  # the second call's own steps first
        await pilot.press("escape")
        await wait_until(pilot, lambda: not app.after_calls.busy())
        # Then the snoozed break comes back at the next tick: on a busy machine the app's own
        # tick can come first, so the desk may never be seen in between.
        if not isinstance(app.screen, CooldownScreen):
            app._tick()
        await wait_for_screen(pilot, CooldownScreen)
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    assert second is not None
    assert call_history.get_call(store, second.id).outcome.value == "fine"
    store.close()


async def test_a_running_break_is_not_skipped_and_ends_early_only_on_a_yes(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "b")
        screen = await wait_for_screen(pilot, CooldownScreen)
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state.state is Phase.RUNNING)
        await pilot.press("x")  # skipping is for a break not yet started
        await pilot.pause()
        assert app.screen is screen and screen.state.state is Phase.RUNNING
        await pilot.press("q", "w", "e", "r", "t")  # stray typing
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("n")
        await wait_for_screen(pilot, CooldownScreen)
        assert screen.state.state is Phase.RUNNING
        await pilot.press("e")
        await wait_for_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.state.state is Phase.DONE)


async def test_after_a_restart_f6_opens_the_last_calls_checklist(
    settings: Settings, clock: FakeClock
) -> None:
    # Seen by a tester: killed during the checklist and restarted, F6 did nothing.
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await end_call_as(pilot, app, "f")
        await wait_for_screen(pilot, ChecklistScreen)
        await pilot.press("escape")
        await wait_for_screen(pilot, DeskScreen)
        ended = app.desk.last_call
    again = build_app(settings, clock)
    async with again.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: again.desk.last_call is not None)
        assert ended is not None and again.desk.last_call.id == ended.id
        await pilot.press("f6")
        screen = await wait_for_screen(pilot, ChecklistScreen)
        assert screen.call.id == ended.id
