"""Markdown export of calls: YAML front matter, then notes, checklist, permanent fix and break."""

from __future__ import annotations

import errno
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import yaml

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.aftercall.records import PermanentFix
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Call, NoteEntry, display_caller, format_duration
from calldesk.core.export.redact import PHONE as REDACTED_NUMBER
from calldesk.core.export.redact import redact as redact_text
from calldesk.core.files import FileRefused, make_output_dir, write_private
from calldesk.core.library import records as phrase_records
from calldesk.core.textsafe import has_hidden, visible

if TYPE_CHECKING:
    from calldesk.core.aftercall.checklist import Checklist
    from calldesk.core.db.database import Database

# libyaml's emitter is several times faster than the pure-Python one, which matters at 10,000
# calls; both are the safe dumper (plain data only) and write the same YAML.
_YAML_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


class ExportError(Exception):
    """An export could not be written; the message says which file and what to do."""


class ExportExists(ExportError):
    """The file an export would write is already there and overwriting was not asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} already exists; use --force to overwrite it.")
        self.path = path


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
) -> CallRecord:
    """Bundle a call with its extras; answers are labelled and ordered by `checklist`.

    Once any answer exists every checklist item is listed (unanswered ones unticked), then
    answers to items no longer in the checklist, under their ids.
    """
    entries: list[ChecklistEntry] = []
    if answers:
        seen: set[str] = set()
        for item in checklist.items if checklist is not None else ():
            answer = answers.get(item.id)
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
    )


def load_records(
    store: Database, calls: Sequence[Call], checklist: Checklist | None = None
) -> Iterator[CallRecord]:
    """Records for `calls` (as `iter_calls` or `get_call` returned them), in the same order.

    Fixes and breaks are read once for all the calls; phrases and answers once per call.
    """
    if not calls:
        return
    fixes: dict[int, list[PermanentFix]] = defaultdict(list)
    for fix in aftercall_records.list_fixes(store, status=None):
        fixes[fix.call_id].append(fix)
    breaks: dict[int, list[CooldownState]] = defaultdict(list)
    earliest = min(call.started_at for call in calls)
    for state in aftercall_records.cooldowns_between(store, earliest, _FAR_FUTURE):
        if state.call_id is not None:
            breaks[state.call_id].append(state)
    for call in calls:
        yield build_record(
            call,
            phrases_used=phrase_records.phrases_used(store, call.id),
            answers=aftercall_records.checklist_answers(store, call.id),
            checklist=checklist,
            fixes=sorted(fixes.get(call.id, ()), key=lambda fix: fix.id),
            cooldowns=breaks.get(call.id, ()),
        )


def load_record(store: Database, call_id: int, checklist: Checklist | None = None) -> CallRecord:
    """The record for one stored call; raises the store's `NotFound` for an unknown id."""
    return next(load_records(store, [call_records.get_call(store, call_id)], checklist))


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
    )


# -- Markdown escaping ----------------------------------------------------------------------

# Characters that start inline structure anywhere in a line: escapes, code spans, emphasis,
# links and images, raw HTML and autolinks, entities, headings, table cells and strikethrough
# (the last two for GitHub-flavoured renderers).
_ALWAYS = str.maketrans({char: "\\" + char for char in "\\`*_[]<>&#|~"})
# Characters that start block structure only at the beginning of a line: list items, setext
# underlines and thematic breaks, ordered list items.
_LINE_START = re.compile(r"[-+=]|\d+[.)]")


def _entity(char: str) -> str:
    return f"&#{ord(char)};"


def _escape_line(line: str, line_start: bool = True) -> str:
    """One line of user text as inline Markdown that renders exactly as the line reads.

    `line_start` False: the line follows other inline text, where `-`, `+`, `=` and `1.`
    cannot start a block and are left unescaped.
    """
    core = line.strip()
    if not core:
        if not line:
            return ""
        # Whitespace at either end of a line is dropped by Markdown; as an entity it is kept.
        if len(line) == 1:
            return _entity(line)
        return _entity(line[0]) + line[1:-1] + _entity(line[-1])
    body = core.translate(_ALWAYS)
    lead = line[: len(line) - len(line.lstrip())]
    trail = line[len(line.rstrip()) :]
    if line_start and not lead:
        start = _LINE_START.match(body)
        if start:
            cut = start.end() - 1
            body = f"{body[:cut]}\\{body[cut:]}"
    head = _entity(lead[0]) + lead[1:] if lead else ""
    tail = trail[:-1] + _entity(trail[-1]) if trail else ""
    return head + body + tail


# Text that needs no escaping at all: most notes. Checked first, as escaping is per line.
_PLAIN = re.compile(
    r"[^\s\\`*_\[\]<>&#|~+=\-\d\x00-\x1f\x7f-\x9f]"
    r"[^\n\r\\`*_\[\]<>&#|~\x00-\x08\x0b-\x1f\x7f-\x9f]*(?<!\s)"
)


def escape_inline(text: str, indent: str = "", *, line_start: bool = True) -> str:
    """User text as inline Markdown (a paragraph's content) that renders exactly as typed.

    Lines are joined by hard line breaks (a backslash at the end of the line), each continuation
    line starting with `indent` so it stays inside its list item. Line breaks at the very start
    or end, where a hard break cannot go, are written as `&#10;`. Control characters become
    visible escapes (see `visible`) and CRLF line ends become plain newlines. `line_start`
    False: the text follows other inline text on its first line (see `_escape_line`).
    """
    if _PLAIN.fullmatch(text) and not has_hidden(text):
        return text
    lines = visible(text.replace("\r\n", "\n")).split("\n")
    trailing = 0
    while len(lines) > 1 and lines[-1] == "":
        lines.pop()
        trailing += 1
    leading = 0
    while len(lines) > 1 and lines[0] == "":
        lines.pop(0)
        leading += 1
    first = _escape_line(lines[0], line_start and not leading)
    rest = (_escape_line(line) for line in lines[1:])
    joined = f"\\\n{indent}".join([first, *rest])
    return "&#10;" * leading + joined + "&#10;" * trailing


def escape_line(text: str, *, line_start: bool = True) -> str:
    """User text for a single-line place such as a heading: line breaks become spaces."""
    flat = " ".join(visible(text.replace("\r\n", "\n")).split("\n"))
    return _escape_line(flat, line_start)


# -- rendering ------------------------------------------------------------------------------


def _local(when: datetime) -> datetime:
    return when.astimezone()


def _iso(when: datetime | None) -> str | None:
    return None if when is None else _local(when).isoformat(timespec="seconds")


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
    started = _local(call.started_at)
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
        ended = _local(call.ended_at)
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
    return f"- **{_local(note.created_at):%H:%M:%S}** {_value(note.text)}"


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


def _body(record: CallRecord) -> str:
    call = record.call
    title = escape_line(call.display_caller(), line_start=False)
    when = f"{_local(call.started_at):%Y-%m-%d %H:%M}"
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
    bodies = [_body(redact_record(record) if redact else record) for record in records]
    data: dict[str, object] = {
        "exported_at": _iso(exported_at or datetime.now(UTC)),
        "count": len(bodies),
        "filters": dict(filters or {}),
    }
    if redact:
        data["redacted"] = True
    return _yaml_block(data) + "".join(f"\n{body}" for body in bodies)


# -- files ----------------------------------------------------------------------------------

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")
SLUG_LENGTH = 40


def slug(text: str) -> str:
    """A short lower-case ASCII name for `text` ("Zoë O'Brien" -> "zoe-o-brien")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    cleaned = _SLUG_JUNK.sub("-", ascii_text.lower()).strip("-")
    return cleaned[:SLUG_LENGTH].rstrip("-") or "caller"


def export_filename(call: Call, redact: bool = False) -> str:
    """`YYYY-MM-DD_HHMM_<caller-slug>_<id>.md`: sorts by time, readable, unique by call id.

    With `redact`, the slug is made from the redacted caller, so the caller's number is never
    in the file name: a caller known only by number gets `phone`.
    """
    caller = display_caller(*redact_caller(call)) if redact else call.display_caller()
    return f"{_local(call.started_at):%Y-%m-%d_%H%M}_{slug(caller)}_{call.id}.md"


def default_export_dir() -> Path:
    """Where the app exports calls unless `export_dir` says otherwise: ~/Documents/calldesk."""
    from calldesk.paths import default_export_dir as platform_export_dir

    return platform_export_dir()


def prepare_dir(directory: Path) -> None:
    """Create the export folder (private) if it is missing; an existing one is left as it is."""
    try:
        make_output_dir(directory)
    except FileRefused as error:
        if error.errno == errno.ENOTDIR:
            raise ExportError(f"{directory} is a file, not a folder; choose a folder.") from None
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"cannot create the folder {directory}: {error.strerror}") from None


def write_export(path: Path, text: str, *, overwrite: bool = True) -> None:
    """Write one export file atomically, readable by the user alone (see `write_private`).

    Raises `ExportExists` for an existing file without `overwrite`, `ExportError` for a file
    that cannot or must not be written (a symbolic link or another user's file at its name).
    """
    try:
        write_private(path, text, overwrite=overwrite)
    except FileRefused as error:
        if error.errno == errno.EEXIST:
            raise ExportExists(path) from None
        raise ExportError(str(error)) from None
    except OSError as error:
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None


def export_call_to_dir(
    record: CallRecord, directory: Path, force: bool = False, redact: bool = False
) -> Path:
    """Write one call to `directory` under `export_filename`; returns the file written.

    Raises `ExportExists` when the file is there and `force` is not set, `ExportError` when
    the folder or file cannot be written.
    """
    prepare_dir(directory)
    path = directory / export_filename(record.call, redact=redact)
    write_export(path, render_call(record, redact=redact), overwrite=force)
    return path
