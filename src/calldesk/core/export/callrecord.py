"""What an export holds for one call: the call, its checklist, fixes, break, promises; redacted."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import CooldownState
from calldesk.core.aftercall.records import PermanentFix
from calldesk.core.calls import history as call_history
from calldesk.core.calls.model import Call
from calldesk.core.export.redact import PHONE as REDACTED_NUMBER
from calldesk.core.export.redact import redact as redact_text
from calldesk.core.library import records as phrase_records
from calldesk.core.promises.model import Promise
from calldesk.core.promises.records import promises_for_calls

if TYPE_CHECKING:
    from calldesk.core.aftercall.checklist import Checklist
    from calldesk.core.db.database import Database


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


# -- what is exported -----------------------------------------------------------------------


class AnswerLike(Protocol):
    """A stored checklist answer, as `aftercall.records.checklist_answers` returns it."""

    @property
    def value(self) -> object: ...
    @property
    def skipped(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class ChecklistEntry:
    """One checklist item with the call's answer (`value` None when it was not answered)."""

    item_id: str
    label: str
    kind: str
    """"check", "text", "choice" or "fix"."""
    value: object = None
    skipped: bool = False
    in_checklist: bool = True
    """False for an answer to an item the trainer has since removed; it is labelled by its id."""

    @property
    def done(self) -> bool:
        if self.skipped:
            return False
        if self.kind == "check":
            return self.value is True
        if self.kind == "fix":
            return isinstance(self.value, Mapping) and bool(str(self.value.get("what", "")).strip())
        return isinstance(self.value, str) and bool(self.value.strip())


@dataclass(frozen=True, slots=True)
class CallRecord:
    """Everything exported about one call, gathered before rendering."""

    call: Call
    phrases_used: tuple[str, ...] = ()
    checklist: tuple[ChecklistEntry, ...] = ()
    """Empty when the checklist was never filled in for this call."""
    fixes: tuple[PermanentFix, ...] = ()
    """Permanent fixes filed from this call's checklist (one per fix item, usually one)."""
    cooldowns: tuple[CooldownState, ...] = ()
    """Breaks offered after this call."""
    promises: tuple[Promise, ...] = ()
    """Promises made to the caller on this call."""


def _kind_of(value: object) -> str:
    """Guess an answer's item kind when its item is no longer in the checklist."""
    if isinstance(value, bool):
        return "check"
    if isinstance(value, Mapping):
        return "fix"
    return "text"


def build_record(
    call: Call,
    *,
    phrases_used: Iterable[str] = (),
    answers: Mapping[str, AnswerLike] | None = None,
    checklist: Checklist | None = None,
    fixes: Iterable[PermanentFix] = (),
    cooldowns: Iterable[CooldownState] = (),
    promises: Iterable[Promise] = (),
) -> CallRecord:
    """Bundle a call with its extras; answers are labelled and ordered by `checklist`.

    Once any answer exists every checklist item is listed (unanswered ones unticked), then
    answers to items no longer in the checklist, under their ids.
    """
    entries: list[ChecklistEntry] = []
    if answers:
        seen: set[str] = set()
        outcome = call.outcome.value if call.outcome else None
        for item in checklist.items if checklist is not None else ():
            answer = answers.get(item.id)
            if answer is None and not item.applies_to(outcome):
                continue  # not asked after this call (the blame after an abusive one)
            seen.add(item.id)
            entries.append(
                ChecklistEntry(
                    item_id=item.id,
                    label=item.label,
                    kind=str(item.kind),
                    value=None if answer is None else answer.value,
                    skipped=False if answer is None else answer.skipped,
                )
            )
        for item_id, answer in answers.items():
            if item_id not in seen:
                entries.append(
                    ChecklistEntry(
                        item_id=item_id,
                        label=item_id,
                        kind=_kind_of(answer.value),
                        value=answer.value,
                        skipped=answer.skipped,
                        in_checklist=False,
                    )
                )
    return CallRecord(
        call=call,
        phrases_used=tuple(phrases_used),
        checklist=tuple(entries),
        fixes=tuple(fixes),
        cooldowns=tuple(cooldowns),
        promises=tuple(promises),
    )


def load_records(
    store: Database, calls: Iterable[Call], checklist: Checklist | None = None
) -> Iterator[CallRecord]:
    """Records for `calls` (as `iter_calls` or `get_call` returned them), in the same order.

    Fixes and breaks are read once for all the calls; phrases and answers once per call.
    `calls` may be `iter_calls` itself (oldest first): then one call at a time is held.
    """
    if isinstance(calls, Sequence):
        if not calls:
            return
        earliest = min(call.started_at for call in calls)
        calls = iter(calls)
    else:
        calls = iter(calls)
        first = next(calls, None)
        if first is None:
            return
        earliest = first.started_at  # iter_calls gives the oldest first
        calls = itertools.chain([first], calls)
    fixes: dict[int, list[PermanentFix]] = defaultdict(list)
    for fix in aftercall_records.list_fixes(store, status=None):
        fixes[fix.call_id].append(fix)
    breaks: dict[int, list[CooldownState]] = defaultdict(list)
    for state in aftercall_records.cooldowns_between(store, earliest, _FAR_FUTURE):
        if state.call_id is not None:
            breaks[state.call_id].append(state)
    for call in calls:  # a stream: read each call's promises with it, never the list first
        yield build_record(
            call,
            phrases_used=phrase_records.phrases_used(store, call.id),
            answers=aftercall_records.checklist_answers(store, call.id),
            checklist=checklist,
            fixes=sorted(fixes.get(call.id, ()), key=lambda fix: fix.id),
            cooldowns=breaks.get(call.id, ()),
            promises=promises_for_calls(store, [call.id]).get(call.id, ()),
        )


def load_record(store: Database, call_id: int, checklist: Checklist | None = None) -> CallRecord:
    """The record for one stored call; raises the store's `NotFound` for an unknown id."""
    return next(load_records(store, [call_history.get_call(store, call_id)], checklist))


# -- redaction ------------------------------------------------------------------------------


def _redact_value(value: object, numbers: tuple[str, ...]) -> object:
    if isinstance(value, str):
        return redact_text(value, numbers)
    if isinstance(value, Mapping):
        return {key: _redact_value(item, numbers) for key, item in value.items()}
    return value


def redact_caller(call: Call) -> tuple[str, str]:
    """The caller's name and number as a redacted export shows them.

    The number field is masked whole, whatever it holds (an extension, a SIP address), and
    wherever the name repeats it.
    """
    number = call.caller_number.strip()
    if not number:
        return redact_text(call.caller_name), ""
    if call.caller_name.strip() == number:
        return REDACTED_NUMBER, REDACTED_NUMBER  # a phone that names the caller by number
    return redact_text(call.caller_name, (number,)), REDACTED_NUMBER


def redact_record(record: CallRecord) -> CallRecord:
    """A copy with emails, phone, card and IBAN numbers masked in every piece of user text.

    The caller's number field is masked whole, and so is that number wherever it is typed
    (see `redact_text`). Checklist labels and phrase ids are the trainer's words and stay.
    """
    call = record.call
    numbers = (call.caller_number,)

    def redact(text: str) -> str:
        return redact_text(text, numbers)

    name, number = redact_caller(call)
    redacted_call = replace(
        call,
        caller_name=name,
        caller_number=number,
        ticket=redact(call.ticket),
        outcome_reason=redact(call.outcome_reason),
        draft=redact(call.draft),
        tags=[redact(tag) for tag in call.tags],
        notes=[replace(note, text=redact(note.text)) for note in call.notes],
    )
    return replace(
        record,
        call=redacted_call,
        checklist=tuple(
            replace(entry, value=_redact_value(entry.value, numbers)) for entry in record.checklist
        ),
        fixes=tuple(
            replace(
                fix,
                caller=redact(fix.caller),
                what=redact(fix.what),
                where=redact(fix.where),
                owner=redact(fix.owner),
            )
            for fix in record.fixes
        ),
        promises=tuple(
            replace(
                promise,
                what=redact(promise.what),
                reason=redact(promise.reason),
                caller_name=name,
                caller_number=number,
            )
            for promise in record.promises
        ),
    )
