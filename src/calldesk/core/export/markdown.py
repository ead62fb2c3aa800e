"""Markdown export of calls: YAML front matter, then notes, checklist, permanent fix and break."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime

import yaml

from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.calls.model import Call, NoteEntry, format_duration
from calldesk.core.export.callrecord import CallRecord, ChecklistEntry, redact_record
from calldesk.core.export.escape import escape_inline, escape_line
from calldesk.core.promises.model import Promise
from calldesk.core.textsafe import has_hidden, visible

# libyaml's emitter is several times faster than the pure-Python one, which matters at 10,000
# calls; both are the safe dumper (plain data only) and write the same YAML.
_YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


# -- rendering ------------------------------------------------------------------------------


def local_time(when: datetime) -> datetime:
    """`when` in the agent's time zone, as every export shows times."""
    return when.astimezone()


def _iso(when: datetime | None) -> str | None:
    return None if when is None else local_time(when).isoformat(timespec="seconds")


def front_matter(record: CallRecord) -> dict[str, object]:
    """The call's fields for the YAML front matter; `duration` is whole seconds (None if open)."""
    call = record.call
    duration = (
        None
        if call.ended_at is None
        else max(0, int((call.ended_at - call.started_at).total_seconds()))
    )
    return {
        "id": call.id,
        "started": _iso(call.started_at),
        "ended": _iso(call.ended_at),
        "duration": duration,
        "caller": call.caller_name,
        "number": call.caller_number,
        "ticket": call.ticket,
        "outcome": None if call.outcome is None else str(call.outcome),
        "outcome_reason": call.outcome_reason,
        "missed": call.missed,
        "tags": list(call.tags),
        "phrases_used": list(record.phrases_used),
    }


class _FrontMatterDumper(_YAML_DUMPER):  # type: ignore[misc,valid-type]
    """The safe dumper, with hidden characters in strings written as YAML escapes."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    # Only a double-quoted scalar can hold escapes; the emitter escapes controls and line
    # separators there but leaves bidi and other format characters raw (see `_yaml_block`).
    style = '"' if has_hidden(text) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_FrontMatterDumper.add_representer(str, _represent_str)


def _yaml_block(data: Mapping[str, object]) -> str:
    """Front matter that loads back to `data` exactly, with no hidden character in the file."""
    dumped = yaml.dump(
        dict(data),
        Dumper=_FrontMatterDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=1 << 30,
    )
    # Every string with a hidden character is double-quoted, where `\u202e` (as `visible`
    # writes it) is a YAML escape for the same character.
    return f"---\n{visible(dumped)}---\n"


def _field(name: str, value: str) -> str:
    return f"- **{name}:** {value}"


def _value(text: str) -> str:
    """User text as the value of a `- **Name:** value` line."""
    return escape_inline(text, "  ", line_start=False)


def _metadata(record: CallRecord) -> list[str]:
    call = record.call
    started = local_time(call.started_at)
    lines = [_field("Call", str(call.id))]
    if call.caller_name:
        lines.append(_field("Caller", _value(call.caller_name)))
    if call.caller_number:
        lines.append(_field("Number", _value(call.caller_number)))
    if call.ticket:
        lines.append(_field("Ticket", _value(call.ticket)))
    lines.append(_field("Started", f"{started:%Y-%m-%d %H:%M:%S}"))
    if call.ended_at is None:
        lines.append(_field("Ended", "still open"))
    else:
        ended = local_time(call.ended_at)
        span = format_duration(call.ended_at - call.started_at)
        lines.append(_field("Ended", f"{ended:%Y-%m-%d %H:%M:%S} ({span})"))
    if call.missed:
        lines.append(_field("Outcome", "missed: the caller hung up while it rang"))
    elif call.outcome is None:
        lines.append(_field("Outcome", "not recorded"))
    else:
        outcome = str(call.outcome)
        if call.outcome_reason:
            outcome += " — " + _value(call.outcome_reason)
        lines.append(_field("Outcome", outcome))
    if call.tags:
        tags = ", ".join(escape_line(tag, line_start=False) for tag in call.tags)
        lines.append(_field("Tags", tags))
    if record.phrases_used:
        lines.append(
            _field(
                "Phrases used",
                ", ".join(escape_line(pid, line_start=False) for pid in record.phrases_used),
            )
        )
    return lines


def _note_line(note: NoteEntry) -> str:
    return f"- **{local_time(note.created_at):%H:%M:%S}** {_value(note.text)}"


def _notes(call: Call) -> list[str]:
    lines = [_note_line(note) for note in call.notes]
    if call.draft.strip():
        lines.append(f"- *(draft, not entered)* {_value(call.draft)}")
    return lines or ["No notes."]


def _answer_lines(entry: ChecklistEntry) -> list[str]:
    """The answer under a checklist item, as a nested list item."""
    value = entry.value
    if entry.kind == "fix" and isinstance(value, Mapping):
        what = str(value.get("what") or "")
        return [f"  - {escape_inline(what, '    ')}"] if what.strip() else []
    if entry.kind in ("text", "choice") and isinstance(value, str) and value.strip():
        return [f"  - {escape_inline(value, '    ')}"]
    return []


def _checklist(record: CallRecord) -> list[str]:
    if not record.checklist:
        return ["Not filled in."]
    lines: list[str] = []
    for entry in record.checklist:
        box = "x" if entry.done else " "
        label = escape_line(entry.label, line_start=False)
        suffix = " *(skipped)*" if entry.skipped else ""
        if not entry.in_checklist:
            suffix += " *(no longer in the checklist)*"
        lines.append(f"- [{box}] {label}{suffix}")
        if not entry.skipped:
            lines.extend(_answer_lines(entry))
    return lines


def _fix_fields(what: str, where: str, owner: str, status: str) -> list[str]:
    return [
        _field("What", _value(what)),
        _field("Where", _value(where) if where else "*not given*"),
        _field("Owner", _value(owner) if owner else "*not given*"),
        _field("Status", status),
    ]


def _fixes(record: CallRecord) -> list[str]:
    found: list[list[str]] = [
        _fix_fields(fix.what, fix.where, fix.owner, str(fix.status)) for fix in record.fixes
    ]
    if not found:
        # A call exported from memory (the database unavailable) has the answer but no filed fix.
        for entry in record.checklist:
            if entry.kind == "fix" and entry.done and isinstance(entry.value, Mapping):
                value = entry.value
                found.append(
                    _fix_fields(
                        str(value.get("what") or ""),
                        str(value.get("where") or ""),
                        str(value.get("owner") or ""),
                        "not filed",
                    )
                )
    if not found:
        return ["None noted."]
    if len(found) == 1:
        return found[0]
    lines: list[str] = []
    for number, fields in enumerate(found, 1):
        if lines:
            lines.append("")
        lines.extend([f"### Fix {number}", "", *fields])
    return lines


def _cooldown_line(state: CooldownState) -> str:
    planned = format_duration(state.duration)
    kind = "long break" if state.long_break else "break"
    snoozed = ""
    if state.snoozes_used:
        times = "once" if state.snoozes_used == 1 else f"{state.snoozes_used} times"
        snoozed = f", snoozed {times}"
    if state.state is Phase.DONE and state.started_at and state.ended_at:
        rested = format_duration(state.ended_at - state.started_at)
        return f"- Taken: rested {rested} of a {planned} {kind}{snoozed}"
    if state.state is Phase.SKIPPED:
        return f"- Skipped: a {planned} {kind} was offered{snoozed}"
    if state.state is Phase.RUNNING:
        return f"- Running: a {planned} {kind}{snoozed}"
    return f"- Offered, not taken yet: a {planned} {kind}{snoozed}"


def _cooldown(record: CallRecord) -> list[str]:
    return [_cooldown_line(state) for state in record.cooldowns] or ["No break offered."]


def _promise_line(promise: Promise, with_caller: bool = False) -> str:
    """`- **due 2026-11-24 15:30** call back about the RMA (open)`: the words as typed."""
    due = f"{local_time(promise.due_at):%Y-%m-%d %H:%M}"
    state = str(promise.state)
    if promise.state.value == "kept" and promise.closed_at is not None:
        state += f" {local_time(promise.closed_at):%Y-%m-%d %H:%M}"
        state += ", on time" if promise.kept_on_time else ", late"
    if promise.reason:
        state += " — " + _value(promise.reason)
    who = ""
    if with_caller:
        call = f"call {promise.call_id}, " if promise.call_id else ""
        who = f" ({call}{_value(promise.who())})"
    return f"- **due {due}** {_value(promise.what)}{who} — {state}"


def _body(record: CallRecord) -> str:
    call = record.call
    title = escape_line(call.display_caller(), line_start=False)
    when = f"{local_time(call.started_at):%Y-%m-%d %H:%M}"
    parts = [
        f"# Call with {title} — {when}",
        "\n".join(_metadata(record)),
        "## Notes",
        "\n".join(_notes(call)),
        "## Checklist",
        "\n".join(_checklist(record)),
        "## Permanent fix",
        "\n".join(_fixes(record)),
        "## Cooldown",
        "\n".join(_cooldown(record)),
    ]
    if record.promises:
        parts[4:4] = ["## Promises", "\n".join(_promise_line(p) for p in record.promises)]
    return "\n\n".join(parts) + "\n"


def render_call(record: CallRecord, redact: bool = False) -> str:
    """One call as a Markdown document with its own YAML front matter."""
    if redact:
        record = redact_record(record)
    data = front_matter(record)
    if redact:
        data["redacted"] = True
    return f"{_yaml_block(data)}\n{_body(record)}"


def render_many(
    records: Iterable[CallRecord],
    redact: bool = False,
    *,
    exported_at: datetime | None = None,
    filters: Mapping[str, object] | None = None,
) -> str:
    """Many calls in one document: one front matter for the document, then a `#` per call.

    Front matter may only open a document, so each call's fields appear as a list under
    its heading instead.
    """
    records = list(records)
    return "".join(
        iter_many(records, len(records), redact=redact, exported_at=exported_at, filters=filters)
    )


def iter_many(
    records: Iterable[CallRecord],
    count: int,
    redact: bool = False,
    *,
    exported_at: datetime | None = None,
    filters: Mapping[str, object] | None = None,
) -> Iterator[str]:
    """`render_many` piece by piece: the front matter, then one call at a time.

    `count` goes in the front matter before the calls are read, so the caller counts them
    first (a `count(*)`); memory then stays flat however many calls there are.
    """
    data: dict[str, object] = {
        "exported_at": _iso(exported_at or datetime.now(UTC)),
        "count": count,
        "filters": dict(filters or {}),
    }
    if redact:
        data["redacted"] = True
    yield _yaml_block(data)
    promises: list[Promise] = []  # a few per call at most: kept to list them all at the end
    for record in records:
        shown = redact_record(record) if redact else record
        promises.extend(shown.promises)
        yield f"\n{_body(shown)}"
    if promises:  # every promise of these calls in one place, soonest due first
        promises.sort(key=lambda promise: (promise.due_at, promise.id))
        lines = [_promise_line(promise, with_caller=True) for promise in promises]
        yield "\n# Promises\n\n" + "\n".join(lines) + "\n"
