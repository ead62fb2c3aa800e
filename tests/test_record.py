"""The agent's record: counts per week and month, charts, Markdown, and `calldesk record`."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from calldesk.config import Settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import CooldownState, Phase
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Outcome
from calldesk.core.clock import FakeClock, SystemClock
from calldesk.core.promises import records
from calldesk.core.promises.model import Promise, PromiseState
from calldesk.core.record.render import bar, render_markdown, render_plain, sparkline
from calldesk.core.record.summary import AgentRecord, Period, build_agent_record
from calldesk.core.storage import Database
from calldesk.core.textsafe import counted

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # week 2026-W45


def seed(store: Database, clock: FakeClock, start: datetime) -> None:
    """Three weeks: 3 calls, then 1 bad call with a break, then 2 calls with a fix and promises."""
    for week, outcomes in enumerate(
        [[Outcome.FINE] * 3, [Outcome.BAD], [Outcome.FINE, Outcome.ABUSIVE]]
    ):
        for number, outcome in enumerate(outcomes):
            clock.set(start + timedelta(weeks=week, hours=number))
            call = call_records.start_call(store, "Ann Lee", "020 7946 0958")
            call_records.add_note(store, call.id, "printer jam")
            call_records.end_call(store, call.id)
            call_records.set_outcome(store, call.id, outcome)
            if outcome is Outcome.BAD:
                aftercall_records.save_cooldown(
                    store, CooldownState(None, call.id, 300, Phase.DONE, clock.now(), clock.now())
                )
            if week == 0 and number == 1:
                call_records.set_fan(store, call.id, clock.now())
            if week == 2 and number == 0:
                save_answer(
                    store,
                    call.id,
                    "permanent",
                    {"what": "Driver 4.2 on 020 7946 0958", "where": "KB"},
                )
                [fix] = aftercall_records.list_fixes(store)
                clock.advance(hours=1)
                aftercall_records.set_fix_status(store, fix.id, "done")
                kept = records.add_promise(
                    store, Promise(0, "call back", clock.now() + timedelta(hours=1), clock.now())
                )
                records.close_promise(store, kept.id, PromiseState.KEPT, at=clock.now())
                late = records.add_promise(
                    store, Promise(0, "send label", clock.now() - timedelta(hours=1), clock.now())
                )
                records.close_promise(store, late.id, PromiseState.KEPT, at=clock.now())


def test_the_record_counts_each_week_and_month(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY)
    with Database.open(tmp_path / "calls.db", clock) as store:
        seed(store, clock, MONDAY)
        record = build_agent_record(store, date(2026, 11, 2), MONDAY + timedelta(weeks=3), tz=UTC)
    assert [w.label for w in record.weeks] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert [w.calls for w in record.weeks] == [3, 1, 2, 0]
    assert [w.bad_calls for w in record.weeks] == [0, 1, 1, 0]
    assert [w.breaks_taken for w in record.weeks] == [0, 1, 0, 0]
    assert [w.fixes_filed for w in record.weeks] == [0, 0, 1, 0]
    assert [w.fans for w in record.weeks] == [1, 0, 0, 0]
    assert record.total("fixes_closed") == 1
    assert (record.total("promises_kept_on_time"), record.total("promises_kept_late")) == (1, 1)
    assert [(m.label, m.calls) for m in record.months] == [("2026-11", 6)]
    assert [fix.what for fix in record.fixes] == ["Driver 4.2 on 020 7946 0958"]


def test_charts_scale_to_the_largest_value() -> None:
    assert sparkline([0, 1, 2, 4]) == "▁▃▅█"
    assert sparkline([0, 0]) == "▁▁"
    assert bar(10, 10, width=5) == "█████" and bar(1, 100, width=5) == "█" and bar(0, 5) == ""


def test_plain_and_markdown_show_facts_and_charts_without_callers(tmp_path: Path) -> None:
    clock = FakeClock(MONDAY)
    with Database.open(tmp_path / "calls.db", clock) as store:
        seed(store, clock, MONDAY)
        record = build_agent_record(store, date(2026, 11, 2), MONDAY + timedelta(weeks=3), tz=UTC)
    plain = render_plain(record)
    assert "Calls taken                  6  █▃▆▁" in plain
    assert "1 of 2 closed promises kept on time (50%)" in plain
    assert "Fans made                    1  █▁▁▁" in plain
    assert max(len(line) for line in plain.splitlines()) <= 80
    markdown = render_markdown(record)
    assert markdown.startswith("# My record: 02 Nov 2026 to 23 Nov 2026")
    assert "| 2026-W47 | 2 | 1 | 1 | 1 | 1 |" in markdown
    assert "- **Fans made:** 1" in markdown and "## Fan moments" in markdown
    assert "`calldesk export --call" in markdown and "Ann Lee" not in markdown + plain
    from calldesk.core.export.redact import redact

    assert "7946" not in render_markdown(record, redact)


def test_cli_record_prints_markdown_since_a_day(settings: Settings) -> None:
    now = SystemClock().now()
    with Database.open(settings.database_path, FakeClock(now)) as store:
        seed(store, FakeClock(now), now - timedelta(weeks=3))
    env = dict(os.environ)
    since = (now - timedelta(weeks=4)).date().isoformat()
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "record", "--since", since, "--markdown", "--redact"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# My record:") and "**Calls taken:** 6" in result.stdout
    assert "7946" not in result.stdout
    plain = subprocess.run(
        [sys.executable, "-m", "calldesk", "record"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert plain.returncode == 0 and "Per month (calls taken)" in plain.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "calldesk", "record", "--since", "last week"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr and "Traceback" not in bad.stderr


async def test_ctrl_r_shows_my_record_with_charts(settings: Settings) -> None:
    from tests.tui_helpers import build_app, wait_for_screen, wait_until

    from calldesk.tui.screens.record import RecordScreen

    clock = FakeClock(MONDAY + timedelta(weeks=3))
    with Database.open(settings.database_path, FakeClock(MONDAY)) as store:
        seed(store, FakeClock(MONDAY), MONDAY)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+r")
        screen = await wait_for_screen(pilot, RecordScreen)
        await wait_until(pilot, lambda: "Calls taken" in screen.text)
        assert "Calls taken                  6  " in screen.text
        assert "1 of 2 closed promises kept on time" in screen.text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, RecordScreen)


def test_one_of_a_thing_is_said_in_the_singular() -> None:
    """Found by a tester: "1 fixes", "1 reviews"."""
    month = Period(
        "2026-11",
        date(2026, 11, 1),
        calls=1,
        fixes_filed=1,
        bad_calls=1,
        reviews=1,
        phrases_started=1,
    )
    record = AgentRecord(date(2026, 11, 2), date(2026, 11, 23), weeks=[month], months=[month])
    plain, markdown = render_plain(record), render_markdown(record)
    assert "1 fix," in plain and "1 fixes" not in plain
    assert "1 review, 1 phrase started" in plain and "after 1 bad call." in plain
    assert "1 review, 1 phrase started" in markdown
    assert counted(1, "fix") == "1 fix" and counted(2, "fix") == "2 fixes"
    assert counted(0, "call") == "0 calls" and counted(3, "reply") == "3 replies"
