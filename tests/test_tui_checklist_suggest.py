"""Pilot tests: the checklist opens with answers suggested from the call; one key accepts."""

from __future__ import annotations

from tests.tui_helpers import build_app, stored, type_text, wait_for_screen, wait_until
from textual.widgets import Label, RadioButton, RadioSet

from calldesk.config import Settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.clock import FakeClock
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.checklist import ChecklistItemView, ChecklistScreen
from calldesk.tui.text import LiteralInput

BLAME = "It was on us, and I said so."


async def call_with_blame_and_fix(pilot, app) -> ChecklistScreen:  # type: ignore[no-untyped-def]
    """A call where the agent inserted "That one's on us" and noted `#fix`, ended as fine."""
    await wait_until(pilot, lambda: app.index is not None)
    await pilot.press("f2", "f3")
    await type_text(pilot, "that one's on us")
    await wait_until(pilot, lambda: app.desk.call is not None)
    await pilot.press("enter")  # the phrase goes into the note field
    await pilot.press("enter")  # and is filed as a note
    await type_text(pilot, "#fix push driver 4.2 to every [bold]printer[/]")
    await pilot.press("enter", "f8")
    await wait_for_screen(pilot, OutcomeDialog)
    await pilot.press("f", "enter")
    screen = await wait_for_screen(pilot, ChecklistScreen)
    await wait_until(pilot, lambda: bool(screen.query(ChecklistItemView)))
    return screen


def view(screen: ChecklistScreen, item_id: str) -> ChecklistItemView:
    return next(v for v in screen.query(ChecklistItemView) if v.item.id == item_id)


def source_line(screen: ChecklistScreen, item_id: str) -> str:
    return str(view(screen, item_id).query_one(".checklist-source", Label).render())


async def test_the_checklist_opens_with_suggestions_and_their_sources(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await call_with_blame_and_fix(pilot, app)
        blame = view(screen, "blame")
        assert blame.pending and blame.has_class("suggested")
        assert blame.query_one(RadioSet).pressed_button is not None
        assert str(blame.query_one(RadioSet).pressed_button.label) == BLAME
        assert source_line(screen, "blame").startswith(
            "suggested from phrase 'That one's on us' at"
        )
        what = screen.query_one("#item-permanent-fix-what", LiteralInput)
        assert what.true_value == "push driver 4.2 to every [bold]printer[/]"  # as written
        assert "note at" in source_line(screen, "permanent-fix")
        assert "'#fix push driver 4.2 to every [bold]printer[/]'" in source_line(
            screen, "permanent-fix"
        )
        assert not view(screen, "quick-fix").pending  # nothing on the call for it
        assert app.desk.writes.writer.flush()
        call_id = screen.call.id
        store = stored(settings, clock)
        assert aftercall_records.checklist_answers(store, call_id) == {}  # nothing filled silently
        assert aftercall_records.list_fixes(store) == []
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert not blame.pending and not blame.has_class("suggested")
        assert source_line(screen, "blame").startswith("from phrase 'That one's on us'")
        assert app.desk.writes.writer.flush()
        answers = aftercall_records.checklist_answers(store, call_id)
        assert (answers["blame"].value, answers["blame"].suggested) == (BLAME, True)
        assert answers["permanent-fix"].suggested
        [fix] = aftercall_records.list_fixes(store)
        assert fix.what == "push driver 4.2 to every [bold]printer[/]"
        store.close()


async def test_changing_a_suggestion_makes_it_the_agents_own_answer(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await call_with_blame_and_fix(pilot, app)
        blame = view(screen, "blame")
        blame.query_one(RadioSet).focus()
        await pilot.press("down", "enter")  # "Nothing on our side."
        await pilot.pause()
        assert not blame.pending and blame.changed
        assert source_line(screen, "blame").startswith("you changed the suggestion")
        # Enter in the fix field accepts that suggestion alone.
        screen.query_one("#item-permanent-fix-what", LiteralInput).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert not view(screen, "permanent-fix").pending
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        answers = aftercall_records.checklist_answers(store, screen.call.id)
        assert (answers["blame"].value, answers["blame"].suggested) == (
            "Nothing on our side.",
            False,
        )
        assert answers["permanent-fix"].suggested
        store.close()
        assert not screen.check_action("accept", ())  # nothing left to accept: off the footer


async def test_done_does_not_take_a_suggestion_the_agent_has_not_accepted(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await call_with_blame_and_fix(pilot, app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistScreen)  # blame still only suggested
        assert any(isinstance(b, RadioButton) for b in screen.query(RadioButton))


async def test_the_fan_key_marks_the_call_and_my_record_counts_it(
    settings: Settings, clock: FakeClock
) -> None:
    from datetime import timedelta

    from calldesk.core.calls import history as call_history
    from calldesk.core.record.summary import build_agent_record

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.store is not None)
        await pilot.press("ctrl+l")  # no call yet: says how, marks nothing
        await pilot.pause()
        assert app.desk.last_call is None
        await pilot.press("f2")
        await type_text(pilot, "thanked us twice")
        await pilot.press("enter", "ctrl+l", "ctrl+l", "ctrl+l")  # marked, taken back, marked
        await pilot.pause()
        call = app.desk.call
        assert call is not None and call.fan_at == clock.now()
        assert app.desk.writes.writer.flush()
    store = stored(settings, clock)
    assert call_history.get_call(store, call.id).fan_at == clock.now()
    today = clock.now().date()
    record = build_agent_record(store, today, clock.now() + timedelta(minutes=1))
    assert record.total("fans") == 1 and record.fan_calls == [(call.id, clock.now())]
    store.close()


async def test_the_palette_offers_to_accept_while_answers_wait(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.tui.commands import CallCommands

    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await call_with_blame_and_fix(pilot, app)
        provider = CallCommands(screen)
        names = [name for name, _, _ in provider.commands()]
        assert names[0] == "checklist: accept the suggested answers"
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert "checklist: accept the suggested answers" not in [
            name for name, _, _ in provider.commands()
        ]


async def test_space_on_the_suggested_choice_accepts_it(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await call_with_blame_and_fix(pilot, app)
        blame = view(screen, "blame")
        assert app.focused is blame.query_one(RadioSet)  # the checklist opens on it
        await pilot.press("space")
        await wait_until(pilot, lambda: not blame.pending)
        assert blame.accepted and not view(screen, "permanent-fix").accepted
        assert app.desk.writes.writer.flush()
        store = stored(settings, clock)
        answers = aftercall_records.checklist_answers(store, screen.call.id)
        assert (answers["blame"].value, answers["blame"].suggested) == (BLAME, True)
        store.close()
