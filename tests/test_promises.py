"""Promises: due times as agents write them, the records, and the `calldesk promises` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calldesk.config import Settings
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.caller import lookup_caller
from calldesk.core.clock import FakeClock, SystemClock
from calldesk.core.promises import records
from calldesk.core.promises.model import Promise, PromiseState, next_due, when_text
from calldesk.core.promises.when import DueError, parse_due, promise_what, split_promise
from calldesk.core.storage import Database

# A Tuesday, 09:00 UTC (the suite runs with TZ=UTC).
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "due"),
    [
        ("15:30", datetime(2026, 11, 24, 15, 30, tzinfo=UTC)),
        ("8:15", datetime(2026, 11, 25, 8, 15, tzinfo=UTC)),  # past today: tomorrow
        ("3pm", datetime(2026, 11, 24, 15, 0, tzinfo=UTC)),
        ("12am", datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),
        ("in 2h", NOW + timedelta(hours=2)),
        ("in 2 minutes", NOW + timedelta(minutes=2)),
        ("in 1h30", NOW + timedelta(minutes=90)),
        ("in 1 hour 15 min", NOW + timedelta(minutes=75)),
        ("in half an hour", NOW + timedelta(minutes=30)),
        ("2h", NOW + timedelta(hours=2)),
        ("tomorrow", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
        ("tomorrow 10am", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),
        ("Tomorrow at 10:30", datetime(2026, 11, 25, 10, 30, tzinfo=UTC)),
        ("10am tomorrow", datetime(2026, 11, 25, 10, 0, tzinfo=UTC)),
        ("Friday", datetime(2026, 11, 27, 9, 0, tzinfo=UTC)),
        ("fri 3pm", datetime(2026, 11, 27, 15, 0, tzinfo=UTC)),
        ("tuesday", datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),  # today's weekday: next week
        ("next monday", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    ],
)
def test_due_times_as_agents_write_them(text: str, due: datetime) -> None:
    assert parse_due(text, NOW) == due


@pytest.mark.parametrize(
    "text",
    [
        "",
        "soon",
        "in 99999999999999999999999 days",
        "25:00",
        "13pm",
        "in 0 minutes",
        "in 3000 days",
        "7",
    ],
)
def test_what_is_not_a_due_time_is_refused_with_examples(text: str) -> None:
    with pytest.raises(DueError, match="15:30"):
        parse_due(text, NOW)


@given(
    minutes=st.integers(min_value=1, max_value=60 * 24 * 30),
    unit=st.sampled_from(["m", "min", "minutes"]),
    spaced=st.booleans(),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_in_n_minutes_is_exactly_that_far_ahead(
    minutes: int, unit: str, spaced: bool, now: datetime
) -> None:
    text = f"in {minutes}{' ' if spaced else ''}{unit}"
    assert parse_due(text, now) == now + timedelta(minutes=minutes)


@given(
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    now=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_a_clock_time_is_the_next_time_it_shows_within_a_day(
    hour: int, minute: int, now: datetime
) -> None:
    due = parse_due(f"{hour}:{minute:02d}", now)
    assert (due.hour, due.minute) == (hour, minute)
    assert now < due <= now + timedelta(days=1)


@given(text=st.text(max_size=40), now=st.datetimes(timezones=st.just(UTC)))
def test_any_text_is_a_due_time_or_a_clear_refusal(text: str, now: datetime) -> None:
    try:
        due = parse_due(text, now)
    except DueError as error:
        assert "15:30" in str(error)
    else:
        assert now <= due <= now + timedelta(days=367)


def test_a_promise_note_splits_into_when_and_what() -> None:
    parsed = split_promise("/promise 15:30 call back about the RMA", NOW)
    assert (parsed.due.hour, parsed.what, parsed.when_text) == (
        15,
        "call back about the RMA",
        "15:30",
    )
    parsed = split_promise("/promise in 2 minutes call back", NOW)
    assert (parsed.due, parsed.what) == (NOW + timedelta(minutes=2), "call back")
    parsed = split_promise("/Promise call back with the RMA number tomorrow at 10am", NOW)
    assert parsed.what == "call back with the RMA number"
    assert parsed.due == datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with pytest.raises(DueError, match="start with when"):
        split_promise("/promise call back soon", NOW)
    with pytest.raises(DueError):
        split_promise("/promise", NOW)


@pytest.mark.parametrize(
    ("note", "what"),
    [
        ("/promise yesterday x", "x"),
        ("/promise 25:99 call back", "call back"),
        ("/Promise in 3000 days send the RMA", "send the RMA"),
        ("/promise call back soon", "call back soon"),
        ("/promise call back yesterday", "call back"),
        ("/promise tomorrow", "tomorrow"),  # nothing but the time: kept, not emptied
        ("will email the driver link", "will email the driver link"),
        ("reboot in 5", "reboot in 5"),  # not a /promise note: promised as written
    ],
)
def test_what_a_note_promises_leaves_out_the_command_and_an_unread_time(
    note: str, what: str
) -> None:
    assert promise_what(note) == what


def test_when_text_is_short_and_says_overdue() -> None:
    assert when_text(NOW + timedelta(hours=1), NOW) == "10:00"
    assert when_text(NOW + timedelta(days=1), NOW) == "tomorrow 09:00"
    assert when_text(NOW + timedelta(days=3), NOW) == "Fri 09:00"
    assert when_text(NOW - timedelta(minutes=1), NOW) == "08:59 (overdue)"


def _promise(what: str, due: datetime, number: str = "+44 20 7946 0000") -> Promise:
    return Promise(0, what, due, NOW, caller_name="Ann", caller_number=number)


def test_promises_are_stored_listed_moved_and_closed(tmp_path) -> None:
    clock = FakeClock(NOW)
    with Database.open(tmp_path / "calls.db", clock) as store:
        call = call_records.start_call(store, "Ann", "+44 20 7946 0000")
        first = records.add_promise(store, _promise("call back", NOW + timedelta(hours=2)))
        second = records.add_promise(
            store,
            Promise(0, "email the RMA", NOW + timedelta(hours=1), NOW, call_id=call.id),
        )
        assert [p.what for p in records.list_promises(store, open_only=True)] == [
            "email the RMA",
            "call back",
        ]
        assert next_due(records.list_promises(store)) == second
        assert records.promises_for_calls(store, [call.id]) == {call.id: [second]}
        moved = records.move_promise(store, first.id, NOW + timedelta(days=1), "caller asked")
        assert moved.state is PromiseState.MOVED and moved.is_open
        assert moved.first_due_at == NOW + timedelta(hours=2)
        kept = records.close_promise(store, second.id, PromiseState.KEPT, at=NOW)
        assert kept.kept_on_time and not kept.is_open
        dropped = records.close_promise(store, first.id, PromiseState.DROPPED, "gone", at=NOW)
        assert (dropped.state, dropped.reason) == (PromiseState.DROPPED, "gone")
        assert records.list_promises(store, open_only=True) == []
        with pytest.raises(records.PromiseNotFound):
            records.close_promise(store, 99, PromiseState.KEPT, at=NOW)


def test_migrations_keep_their_numbers_across_branches(tmp_path) -> None:
    """v5 is practice's seconds_to_speak, v6 the promises, v7 the searches that found nothing."""
    import sqlite3

    from calldesk.core.db.schema import MIGRATIONS

    def tables_and_columns(conn: sqlite3.Connection) -> set[str]:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        columns = {row[1] for row in conn.execute("PRAGMA table_info(practice_reviews)")}
        return names | columns

    conn = sqlite3.connect(tmp_path / "steps.db", isolation_level=None)
    for step in MIGRATIONS[:4]:
        step(conn)
    seen = [tables_and_columns(conn)]
    for step in MIGRATIONS[4:]:
        step(conn)
        seen.append(tables_and_columns(conn))
    conn.close()
    assert len(MIGRATIONS) == 8
    assert seen[1] - seen[0] == {"seconds_to_speak"}
    assert {"promises", "promises_open"} <= seen[2] - seen[1]
    assert seen[3] - seen[2] == {"search_misses", "search_misses_time"}
    assert seen[4] - seen[3] == {"calls_fan"}


def test_a_database_from_before_promises_is_brought_up_to_date(tmp_path) -> None:
    import sqlite3

    from calldesk.core.team.records import record_search_miss, search_misses

    path = tmp_path / "calls.db"
    with Database.open(path, FakeClock(NOW)) as store:
        call = call_records.start_call(store, "Ann", "020 7946 0000")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TABLE promises")
    conn.execute("DROP TABLE search_misses")
    conn.execute("ALTER TABLE practice_reviews DROP COLUMN seconds_to_speak")
    conn.execute("DROP INDEX calls_fan")  # v8: the fan moment and accepted suggestions
    conn.execute("ALTER TABLE calls DROP COLUMN fan_at")
    conn.execute("ALTER TABLE checklist_answers DROP COLUMN suggested")
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    with Database.open(path, FakeClock(NOW)) as store:
        promise = records.add_promise(
            store, Promise(0, "call back", NOW + timedelta(hours=1), NOW, call_id=call.id)
        )
        assert records.promises_for_calls(store, [call.id]) == {call.id: [promise]}
        assert record_search_miss(store, "printer drivr", at=NOW)
        assert search_misses(store) == {"printer drivr": 1}
        assert call_history.get_call(store, call.id).caller_name == "Ann"  # kept its data


def test_the_caller_card_shows_the_open_promise_first(tmp_path) -> None:
    clock = FakeClock(NOW)
    with Database.open(tmp_path / "calls.db", clock) as store:
        call = call_records.start_call(store, "Ann", "020 7946 0000")
        call_records.add_note(store, call.id, "printer jam")
        call_records.end_call(store, call.id)
        records.add_promise(
            store, _promise("call back about the RMA", NOW + timedelta(hours=6), "020 7946 0000")
        )
        card = lookup_caller(store, "0207946 0000", NOW)
        assert card is not None
        assert card.lines()[0] == "Promised for Tue 24 Nov 15:00: call back about the RMA"
        assert lookup_caller(store, "0111 111 111", NOW).promises == []


# -- the command line ------------------------------------------------------------------------


def calldesk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", "--no-bundled-phrases", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ),
        timeout=60,
        check=False,
    )


def test_cli_lists_marks_and_refuses_clearly(settings: Settings) -> None:
    now = SystemClock().now()
    with Database.open(settings.database_path, SystemClock()) as store:
        late = records.add_promise(store, _promise("ring back [red]late[/]", now - timedelta(1)))
        later = records.add_promise(store, _promise("send the form", now + timedelta(days=3)))
    listed = calldesk("promises")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[0].startswith(f"#{late.id}  ")
    assert "(overdue)" in listed.stdout and "[red]late[/]" in listed.stdout
    overdue = json.loads(calldesk("promises", "--overdue", "--json").stdout)
    assert [p["id"] for p in overdue] == [late.id]
    assert overdue[0]["overdue"] is True and overdue[0]["what"] == "ring back [red]late[/]"
    assert [
        p["id"] for p in json.loads(calldesk("promises", "--due", "today", "--json").stdout)
    ] == [late.id]

    assert calldesk("promises", "kept", str(late.id)).returncode == 0
    moved = calldesk("promises", "move", str(later.id), "in 2h", "--reason", "caller asked")
    assert moved.returncode == 0 and "[moved: caller asked]" in moved.stdout
    every = json.loads(calldesk("promises", "--all", "--json").stdout)
    assert [(p["id"], p["state"]) for p in every] == [(late.id, "kept"), (later.id, "moved")]
    assert [p["id"] for p in json.loads(calldesk("promises", "--json").stdout)] == [later.id]

    refused = calldesk("promises", "drop", str(later.id))
    assert refused.returncode == 2 and "--reason" in refused.stderr
    unknown = calldesk("promises", "kept", "999")
    assert unknown.returncode == 1 and "no promise 999" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bad_time = calldesk("promises", "move", str(later.id), "whenever")
    assert bad_time.returncode == 2 and "cannot read 'whenever'" in bad_time.stderr
    dropped = calldesk("promises", "drop", str(later.id), "--reason", "cancelled")
    assert dropped.returncode == 0 and "[dropped: cancelled]" in dropped.stdout


def test_cli_marks_a_promise_while_calldesk_is_running(settings: Settings) -> None:
    clock = SystemClock()
    with Database.open(settings.database_path, clock) as store:  # holds the lock, as the app does
        promise = records.add_promise(store, _promise("call back", clock.now()))
        result = calldesk("promises", "kept", str(promise.id))
        assert result.returncode == 0, result.stderr
        assert records.get_promise(store, promise.id).state is PromiseState.KEPT


def test_export_carries_each_promise_verbatim_in_its_call_and_in_its_own_section(
    tmp_path,
) -> None:
    from calldesk.core.export.callrecord import load_records
    from calldesk.core.export.markdown import render_call, render_many

    clock = FakeClock(NOW)
    with Database.open(tmp_path / "calls.db", clock) as store:
        call = call_records.start_call(store, "Ann", "020 7946 0958")
        call_records.add_note(store, call.id, "/promise 15:30 call back about the *RMA*")
        call_records.end_call(store, call.id)
        other = call_records.start_call(store, "Bob", "")
        call_records.end_call(store, other.id)
        promise = Promise(
            0,
            "call back about the *RMA* on 020 7946 0958",
            NOW + timedelta(hours=6, minutes=30),
            NOW,
            call_id=call.id,
            caller_name="Ann",
            caller_number="020 7946 0958",
        )
        records.add_promise(store, promise)
        calls = [call_history.get_call(store, call.id), call_history.get_call(store, other.id)]
        one = render_call(next(load_records(store, calls[:1])))
        many = render_many(load_records(store, calls), exported_at=NOW)
        redacted = render_many(load_records(store, calls), redact=True, exported_at=NOW)
    line = "**due 2026-11-24 15:30** call back about the \\*RMA\\* on 020 7946 0958"
    assert "## Promises\n\n- " + line + " — open" in one
    assert one.index("## Notes") < one.index("## Promises") < one.index("## Checklist")
    assert many.count(line) == 2  # in the call, and in the document's own section
    own = many[many.index("# Promises\n") :]
    assert f"(call {call.id}, Ann · 020 7946 0958) — open" in own
    assert "7946 0958" not in redacted


# -- a phrase's promise field ----------------------------------------------------------------

PHRASE = """\
category: Callbacks
phrases:
  - id: callback
    title: I will call you back
    say: I will call you back.
    promise: {promise}
"""


@pytest.mark.parametrize(
    ("field", "promised", "problem"),
    [
        ("{what: call back, due: 2h}", ("call back", "2h"), None),
        ("{what: call back}", ("call back", ""), None),
        ("call back in 2h", ("call back in 2h", ""), None),
        ("{due: 2h}", None, "'promise' has no 'what'"),
        ("{what: call back, due: whenever}", None, "not 'whenever'"),
        ("{what: call back, when: 2h}", None, "unknown key 'when' in 'promise'"),
        ("[call, back]", None, "'promise' must be text or a mapping"),
    ],
)
def test_a_phrase_promise_field_is_read_or_refused_with_its_line(
    tmp_path, field: str, promised: tuple[str, str] | None, problem: str | None
) -> None:
    from calldesk.core.library.loader import load_phrase_file
    from calldesk.core.library.phrases import Promise as PhrasePromise

    path = tmp_path / "callbacks.yaml"
    path.write_text(PHRASE.format(promise=field))
    result = load_phrase_file(path)
    if promised is not None:
        assert result.problems == ()
        [phrase] = result.phrases
        assert phrase.promise == PhrasePromise(*promised)
    else:
        assert result.phrases == ()
        assert [(p.line, problem in p.message) for p in result.problems][:1] == [(6, True)]


def test_a_promise_from_a_call_that_never_reached_the_disk_still_stands(tmp_path) -> None:
    with Database.open(tmp_path / "calls.db", FakeClock(NOW)) as store:
        for call_id in (-3, 999):
            promise = records.add_promise(
                store, Promise(0, "call back", NOW + timedelta(hours=1), NOW, call_id=call_id)
            )
            assert promise.call_id is None and promise.what == "call back"
