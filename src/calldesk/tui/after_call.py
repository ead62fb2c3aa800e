"""After the call: outcome, the break after a bad call, the checklist; a snoozed break back."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import Call, Outcome, format_duration
from calldesk.tui.typeahead import keys_for_the_next_screen

if TYPE_CHECKING:
    from textual.screen import Screen

    from calldesk.core.aftercall.checklist import Checklist
    from calldesk.core.aftercall.suggest import Suggestion
    from calldesk.tui.host import Host
    from calldesk.tui.recurring import RecurringProblems


def break_count(taken: int, skipped: int) -> str:
    """The day's breaks for the status line, short enough to leave room for the caller."""
    if not taken + skipped:
        return ""
    text = f"breaks: {taken} taken"
    return text + f", {skipped} skipped" if skipped else text


class AfterCall:
    """Runs the steps that follow a call, and brings a snoozed break back. Owned by the app."""

    def __init__(self, host: Host, recurring: RecurringProblems) -> None:
        self.host = host
        self.recurring = recurring
        """Told once a checklist is done."""
        self._waiting: list[Call] = []
        """Calls whose after-call steps start once the steps on screen are done."""
        self._set_aside: list[int] = []
        """Calls whose checklist comes back once no call is open (a call came in first)."""

    def start(self, call: Call) -> None:
        """Outcome, then the break if it was a bad call, then the checklist (one at a time)."""
        if self.busy():  # a new run would cancel the steps on screen: this one waits its turn
            self._waiting.append(call)
            return
        self._run(partial(self._after_call, call), "after_call")

    def _steps_wait(self, call: Call) -> None:
        """A call came in before `call`'s steps were done: they come back when it ends."""
        host = self.host
        who = call.display_caller()
        state = host.cooldown
        if state is not None and state.call_id == call.id and state.state.is_active:
            # check_cooldown brings the break back, and the break leads on to the checklist.
            text = f"The break and checklist for the call with {who} come back when this call ends."
        else:
            if call.id not in self._set_aside:
                self._set_aside.append(call.id)
            text = f"The checklist for the call with {who} comes back when this call ends."
        host.notify(text, title="After-call steps kept", timeout=10)

    def resume(self) -> None:
        """Once a second: steps set aside for a call that came in come back when it is over."""
        from calldesk.tui.screens.desk import DeskScreen

        host = self.host
        if host.desk.call is not None or self.busy() or not isinstance(host.screen, DeskScreen):
            return
        if self._waiting:
            self.start(self._waiting.pop(0))
        elif self._set_aside:
            self._after_resumed_break(self._set_aside.pop(0))

    def _run(self, work: object, name: str) -> None:
        self.host.run_worker(
            work, exclusive=True, group="after-call", exit_on_error=False, name=name
        )

    def busy(self) -> bool:
        """A call's after-call steps are on screen (outcome, break or checklist).

        Nothing else starts its own steps meanwhile: a new one would cancel these (the group is
        exclusive), and the answer the agent is giving would be lost with them.
        """
        return any(
            worker.group == "after-call" and not worker.is_finished for worker in self.host.workers
        )

    async def _after_call(self, call: Call) -> None:
        from dataclasses import asdict

        from calldesk.core.aftercall.cooldown import BreakRules, offer
        from calldesk.tui.dialogs.outcome import OutcomeDialog

        host = self.host
        host.notify(
            f"Call with {call.display_caller()} ended after "
            f"{format_duration(call.duration(host.clock.now()))}.",
            timeout=4,
        )
        answer = await host.push_screen_wait(OutcomeDialog(call))
        if answer is not None:
            host.desk.wrapup.set_outcome(call, answer.outcome, answer.reason)
            if answer.outcome.wants_cooldown:
                recent = await self._recent_outcomes(call)
                rules = BreakRules(**asdict(host.settings.cooldown))
                state = offer(call.id, rules, recent, host.clock.now())
                host.desk.wrapup.save_cooldown(state)
                host.cooldown = state
                if host.desk.call is None:  # else it comes back when that call ends
                    await host.push_screen_wait(self._cooldown_screen(state))
        if host.desk.call is None:  # a new call may have started during the break
            await self.run_checklist(call)
        else:
            self._steps_wait(call)

    async def _recent_outcomes(self, call: Call) -> list[Outcome]:
        """Outcomes of the latest calls, newest first, this one included (for the bad streak)."""
        own = [call.outcome] if call.outcome is not None else []
        store, writer = self.host.store, self.host.desk.writes.writer
        if store is None:
            return own
        limit = self.host.settings.cooldown.bad_streak + 1

        def read() -> list[Outcome]:
            stored = call_history.recent_outcomes(store, limit)
            # Behind the queued writes this call's outcome has landed, unless the disk fails.
            return own + stored if writer.failing else stored

        return await self.host.data.fetch(read)

    def _cooldown_screen(self, state: CooldownState) -> Screen[None]:
        from calldesk.tui.screens.cooldown import CooldownScreen

        def save(new_state: CooldownState) -> None:
            self.host.cooldown = new_state
            self.host.desk.wrapup.save_cooldown(new_state)
            self.show_breaks()

        from calldesk.core.clock import steady

        # Timed on the monotonic clock: a wall clock stepped mid-break changes nothing.
        return CooldownScreen(state, now=steady(self.host.clock), save=save)

    async def run_checklist(self, call: Call) -> bool:
        """Show the checklist for `call`; True when it was completed."""
        from calldesk.tui.screens.checklist import ChecklistScreen

        host = self.host
        checklist = self.checklist()
        store = host.store

        def read() -> dict[str, tuple[object, bool]]:
            if store is None or call.id <= 0:  # the id is the stored one once its write landed
                return {}
            stored = aftercall_records.checklist_answers(store, call.id)
            return {item_id: (answer.value, answer.skipped) for item_id, answer in stored.items()}

        answers = await host.data.fetch(read)
        suggestions = await self.suggestions(call, checklist)

        def save(item_id: str, value: object, skipped: bool, suggested: bool) -> None:
            host.desk.wrapup.save_checklist_answer(call, item_id, value, skipped, suggested)

        done = await host.push_screen_wait(
            ChecklistScreen(call, checklist, answers, save, suggestions)
        )
        if done:
            host.notify("Checklist saved.", timeout=3)
            await self.recurring.tell()
        else:
            host.notify(
                f"Checklist kept for later: history ({host.key('history')}),"
                f" then {host.key('checklist')}.",
                timeout=5,
            )
        return bool(done)

    async def suggestions(self, call: Call, checklist: Checklist) -> list[Suggestion]:
        """Answers suggested from the call: its notes, the phrases inserted, its promises."""
        from calldesk.core.aftercall.suggest import CallEvidence, suggest_answers
        from calldesk.core.library import records as phrase_records
        from calldesk.core.promises import records as promise_records

        host = self.host
        store, library = host.store, host.library
        notes = host.desk.snapshot(call)  # the notes as the agent sees them, this thread's copy

        def read() -> list[Suggestion]:
            inserts: list[tuple[str, datetime]] = []
            promises = []
            if store is not None and call.id > 0:
                inserts = phrase_records.phrase_inserts(store, call.id)
                promises = promise_records.promises_for_calls(store, [call.id]).get(call.id, [])
            evidence = CallEvidence(notes, inserts, promises)
            lookup = library.get if library is not None else (lambda _: None)
            return suggest_answers(checklist, evidence, lookup)

        return await host.data.fetch(read)

    def toggle_fan(self) -> None:
        """The fan-moment key: mark the open or last call, or take the mark back."""
        from calldesk.core.calls.errors import DeskError

        host = self.host
        try:
            call = host.desk.fan_call()
        except DeskError as error:
            host.notify(host.name_keys(str(error)), severity="warning")
            return
        who = call.display_caller()
        if host.desk.wrapup.toggle_fan(call):
            host.notify(
                f"Fan moment: {who} left happier than they came. My record counts it"
                f" ({host.key('fan-moment')} again takes it back).",
                title="Fan made",
                timeout=5,
            )
        else:
            host.notify(f"Fan moment taken back for {who}.", timeout=3)

    def show_breaks(self) -> None:
        """Count today's breaks for the status line (read behind the break just saved)."""
        from calldesk.core.aftercall.cooldown import day_summary, with_latest

        store = self.host.store
        if store is None:
            return
        now = self.host.clock.now().astimezone()
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)

        latest = self.host.cooldown  # the step just taken counts even if its write failed

        def read() -> str:
            states = aftercall_records.cooldowns_between(store, start, start + timedelta(days=1))
            summary = day_summary(with_latest(states, latest), now.date(), now.tzinfo)  # type: ignore[arg-type]
            return break_count(summary.taken, summary.skipped)

        self.host.data.read(read, self._breaks_counted)

    def _breaks_counted(self, text: str) -> None:
        self.host.breaks_today = text

    def resume_break(self) -> None:
        """At start-up: the break that was open when calldesk stopped comes back."""
        store = self.host.store
        if store is not None:
            self.host.data.read(lambda: aftercall_records.active_cooldown(store), self._break_found)

    def _break_found(self, state: CooldownState | None) -> None:
        self.host.cooldown = state
        if state is not None and state.repaired:
            self.host.notify(
                f"The stored break could not be timed as it was ({state.repaired}).",
                title="Break repaired",
                severity="warning",
                timeout=15,
            )
        self.show_breaks()
        self.check_cooldown()

    def check_cooldown(self) -> None:
        """Bring a snoozed break back when its snooze is over."""
        from calldesk.tui.screens.cooldown import CooldownScreen

        host = self.host
        state = host.cooldown
        if state is None or host.desk.call is not None:
            return
        if any(isinstance(screen, CooldownScreen) for screen in host.screen_stack):
            return  # still there, under its skip question or the help
        if self.busy():
            return  # after the call's own steps: the tick brings it back then
        if state.state.is_active and (
            state.is_due(host.clock.now()) or state.state is Phase.RUNNING
        ):
            host.push_screen(
                self._cooldown_screen(state), lambda _: self._after_resumed_break(state.call_id)
            )

    def _after_resumed_break(self, call_id: int | None) -> None:
        """A break that came back (snoozed, or after a restart) leads on to its checklist."""
        store = self.host.store
        if call_id is None or store is None:
            return
        if self.host.desk.call is not None:  # a call came in during the break
            if call_id not in self._set_aside:
                self._set_aside.append(call_id)
            return

        def read() -> tuple[Call, dict[str, tuple[object, bool]]]:
            answers = aftercall_records.checklist_answers(store, call_id)
            return call_history.get_call(store, call_id), {
                i: (a.value, a.skipped) for i, a in answers.items()
            }

        self.host.data.read(read, self._resumed_call_read)

    def _resumed_call_read(self, found: tuple[Call, dict[str, tuple[object, bool]]]) -> None:
        from calldesk.core.aftercall.checklist import unfinished_items

        call, answers = found
        outcome = call.outcome.value if call.outcome else None
        if not unfinished_items(self.checklist().for_outcome(outcome), answers):
            return
        if self.host.desk.call is None and not self.busy():
            self._run(partial(self.run_checklist, call), "checklist")
        elif call.id not in self._set_aside:  # another call or steps came first: later
            self._set_aside.append(call.id)

    def checklist(self) -> Checklist:
        from calldesk.core.aftercall.checklist import DEFAULT_CHECKLIST

        library = self.host.library
        return library.checklist if library is not None else DEFAULT_CHECKLIST

    def open_checklist(self) -> None:
        """The checklist of the call highlighted in history, else of the call that just ended."""
        from calldesk.tui.screens.history import HistoryScreen

        host = self.host
        screen = host.screen
        call = screen.selected_call if isinstance(screen, HistoryScreen) else host.desk.last_call
        if call is None:
            host.notify(
                f"No ended call yet. For older calls: history ({host.key('history')}),"
                f" then {host.key('checklist')}.",
                severity="warning",
            )
            return
        if call.is_open:
            host.notify(
                f"That call is still open: end it ({host.key('end-call')}) first.",
                severity="warning",
            )
            return
        keys_for_the_next_screen(host)  # F6 then space answers the first item
        self._run(partial(self.run_checklist, call), "checklist")
