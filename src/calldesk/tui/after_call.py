"""After the call: outcome, the break after a bad call, the checklist and the fixes view."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from textual import work
from textual.screen import Screen

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.aftercall.fixes import RecurringProblem
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Call, Outcome, format_duration

if TYPE_CHECKING:
    from calldesk.core.aftercall.checklist import Checklist


class AfterCallMixin:
    """Runs the steps that follow a call; part of `CalldeskApp`."""

    @work(exclusive=True, group="after-call", exit_on_error=False)
    async def after_call(self, call: Call) -> None:
        """Outcome, then the break if it was a bad call, then the checklist."""
        from dataclasses import asdict

        from calldesk.core.aftercall.cooldown import BreakRules, offer
        from calldesk.tui.dialogs.outcome import OutcomeDialog

        self.notify(
            f"Call with {call.display_caller()} ended after "
            f"{format_duration(call.duration(self.clock.now()))}.",
            timeout=4,
        )
        answer = await self.push_screen_wait(OutcomeDialog(call))
        if answer is not None:
            self.desk.set_outcome(call, answer.outcome, answer.reason)
            if answer.outcome.wants_cooldown:
                recent = self._recent_outcomes(call)
                rules = BreakRules(**asdict(self.settings.cooldown))
                state = offer(call.id, rules, recent, self.clock.now())
                self.desk.save_cooldown(state)
                self.cooldown = state
                await self.push_screen_wait(self._cooldown_screen(state))
        if self.desk.call is None:  # a new call may have started during the break
            await self.run_checklist(call)

    def _recent_outcomes(self, call: Call) -> list[Outcome]:
        """Outcomes of the latest calls, newest first, this one included (for the bad streak)."""
        own = [call.outcome] if call.outcome is not None else []
        if self.store is None:
            return own
        limit = self.settings.cooldown.bad_streak + 1
        if self.desk.writer.flush(timeout=1.0) and not self.desk.writer.failing:
            return call_records.recent_outcomes(self.store, limit)  # this call's outcome has landed
        return own + call_records.recent_outcomes(self.store, limit)

    def _cooldown_screen(self, state: CooldownState) -> Screen[None]:
        from calldesk.tui.screens.cooldown import CooldownScreen

        def save(new_state: CooldownState) -> None:
            self.cooldown = new_state
            self.desk.save_cooldown(new_state)
            self._show_breaks()

        return CooldownScreen(state, now=self.clock.now, save=save)

    async def run_checklist(self, call: Call) -> bool:
        """Show the checklist for `call`; True when it was completed."""
        from calldesk.tui.screens.checklist import ChecklistScreen

        checklist = self._checklist()
        answers: dict[str, tuple[object, bool]] = {}
        if self.store is not None and self.desk.is_stored(call):
            self.desk.writer.flush(timeout=1.0)
            stored = aftercall_records.checklist_answers(self.store, call.id)
            answers = {
                item_id: (answer.value, answer.skipped) for item_id, answer in stored.items()
            }

        def save(item_id: str, value: object, skipped: bool) -> None:
            self.desk.save_checklist_answer(call, item_id, value, skipped)

        done = await self.push_screen_wait(ChecklistScreen(call, checklist, answers, save))
        if done:
            self.notify("Checklist saved.", timeout=3)
            self.show_recurring()
        else:
            self.notify("Checklist kept for later: history (F5), then F6.", timeout=5)
        return bool(done)

    def recurring(self) -> list[RecurringProblem]:
        from calldesk.core.aftercall.fixes import recurring_problems

        if self.store is None:
            return []
        self.desk.writer.flush(timeout=1.0)
        now = self.clock.now()
        return recurring_problems(
            aftercall_records.recent_calls_for_recurrence(self.store, now - timedelta(days=7)), now
        )

    def show_recurring(self) -> None:
        for problem in self.recurring()[:2]:
            self.notify(
                problem.label,
                title="This keeps happening: fix it for good",
                severity="warning",
                timeout=15,
            )

    def _show_breaks(self) -> None:
        from calldesk.core.aftercall.cooldown import day_summary

        if self.store is None:
            return
        now = self.clock.now().astimezone()
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        summary = day_summary(
            aftercall_records.cooldowns_between(self.store, start, start + timedelta(days=1)),
            now.date(),
            now.tzinfo,
        )  # type: ignore[arg-type]
        self.breaks_today = (
            f"breaks {summary.taken} taken · {summary.skipped} skipped"
            if summary.taken + summary.skipped
            else ""
        )
        self._set_save_state(self.save_state)

    def _check_cooldown(self) -> None:
        """Bring a snoozed break back when its snooze is over."""
        from calldesk.tui.screens.cooldown import CooldownScreen

        state = self.cooldown
        if state is None or self.desk.call is not None:
            return
        if any(isinstance(screen, CooldownScreen) for screen in self.screen_stack):
            return  # still there, under its skip question or the help
        if state.state.is_active and (
            state.is_due(self.clock.now()) or state.state is Phase.RUNNING
        ):
            self.push_screen(
                self._cooldown_screen(state), lambda _: self._after_resumed_break(state.call_id)
            )

    def _after_resumed_break(self, call_id: int | None) -> None:
        """A break that came back (snoozed, or after a restart) leads on to its checklist."""
        if self.desk.call is not None or call_id is None or self.store is None:
            return
        from calldesk.core.aftercall.checklist import unfinished_items

        self.desk.writer.flush(timeout=1.0)
        call = call_records.get_call(self.store, call_id)
        answers = {
            item_id: (a.value, a.skipped)
            for item_id, a in aftercall_records.checklist_answers(self.store, call_id).items()
        }
        if unfinished_items(self._checklist(), answers):
            self._checklist_worker(call)

    def _checklist(self) -> Checklist:
        from calldesk.core.aftercall.checklist import DEFAULT_CHECKLIST

        return self.library.checklist if self.library is not None else DEFAULT_CHECKLIST

    def action_checklist(self) -> None:
        """The checklist of the call highlighted in history, else of the call that just ended."""
        from calldesk.tui.screens.history import HistoryScreen

        call = (
            self.screen.selected_call
            if isinstance(self.screen, HistoryScreen)
            else self.desk.last_call
        )
        if call is None:
            self.notify(
                "No ended call yet. For older calls: history (F5), then F6.", severity="warning"
            )
            return
        if call.is_open:
            self.notify("That call is still open: end it (F8) first.", severity="warning")
            return
        self._checklist_worker(call)

    @work(exclusive=True, group="after-call", exit_on_error=False)
    async def _checklist_worker(self, call: Call) -> None:
        await self.run_checklist(call)

    def action_fixes(self) -> None:
        from calldesk.tui.screens.fixes import FixesScreen

        if self.store is None:
            self.notify(
                "Permanent fixes need the database, which could not be opened.", severity="warning"
            )
            return
        if not isinstance(self.screen, FixesScreen):
            self.push_screen(FixesScreen(self.store, self.recurring()))
