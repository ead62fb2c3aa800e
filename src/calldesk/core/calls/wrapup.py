"""What the agent records about a call once it is over (wrap-up): its outcome, a fan moment,
the checklist's answers and the break taken; queued behind the screen like every write."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import records as call_records

if TYPE_CHECKING:
    from calldesk.core.aftercall.cooldown import CooldownState
    from calldesk.core.calls.model import Call, Outcome
    from calldesk.core.calls.writes import Writes
    from calldesk.core.clock import Clock


class WrapUp:
    """The after-call records of a call, written through the desk's queue."""

    def __init__(self, writes: Writes, clock: Clock) -> None:
        self._writes = writes
        self._clock = clock
        self._cooldown_ids: dict[tuple[int | None, datetime], int] = {}

    def set_outcome(self, call: Call, outcome: Outcome, reason: str = "") -> None:
        call.outcome = outcome
        call.outcome_reason = reason
        store = self._writes.store
        self._writes.submit(lambda: call_records.set_outcome(store, call.id, outcome, reason))

    def toggle_fan(self, call: Call) -> bool:
        """Mark `call` a fan moment, or take the mark back; True when it is marked now."""
        call.fan_at = None if call.fan_at is not None else self._clock.now()
        at, store = call.fan_at, self._writes.store
        self._writes.submit(lambda: call_records.set_fan(store, call.id, at), key=("fan", id(call)))
        return at is not None

    def save_checklist_answer(
        self, call: Call, item_id: str, value: Any, skipped: bool, suggested: bool = False
    ) -> None:
        store = self._writes.store
        self._writes.submit(
            lambda: save_answer(
                store, call.id, item_id, value, skipped=skipped, suggested=suggested
            ),
            key=("checklist", id(call), item_id),
        )

    def save_cooldown(self, state: CooldownState) -> None:
        """Persist a break step; the first save of a break gives it the id later saves reuse."""
        store = self._writes.store
        key = (state.call_id, state.offered_at)

        def run() -> CooldownState:
            assert store is not None
            return aftercall_records.save_cooldown(
                store, replace(state, id=self._cooldown_ids.get(key, state.id))
            )

        def done(saved: CooldownState) -> None:
            if saved.id is not None:
                self._cooldown_ids[key] = saved.id

        self._writes.submit(run, done=done)
