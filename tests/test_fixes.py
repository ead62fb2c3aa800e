"""Fix everything twice: spotting problems that keep coming back within a week."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.fixes import content_words, jaccard, recurring_problems, save_answer
from calldesk.core.aftercall.records import RecentCall
from calldesk.core.calls import records as call_records
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database


def call(
    call_id: int,
    now: datetime,
    days_ago: float,
    tags: Iterable[str] = (),
    fixes: Iterable[str] = (),
) -> RecentCall:
    return RecentCall(call_id, now - timedelta(days=days_ago), tuple(tags), tuple(fixes))


def test_content_words_drop_filler() -> None:
    assert content_words("Reset the router's firmware, and re-test it!") == {
        "reset",
        "router",
        "firmware",
        "re",
        "test",
    }
    assert content_words("it is to be") == frozenset()


def test_jaccard() -> None:
    assert jaccard(frozenset("ab"), frozenset("ab")) == 1.0
    assert jaccard(frozenset("ab"), frozenset("bc")) == 1 / 3
    assert jaccard(frozenset(), frozenset("a")) == 0.0


def test_three_calls_sharing_a_tag_within_the_window(clock: FakeClock) -> None:
    now = clock.now()
    calls = [
        call(1, now, 6, tags=["VPN"]),
        call(2, now, 3, tags=["vpn ", "printer"]),
        call(3, now, 0.5, tags=["Vpn"]),
        call(4, now, 1, tags=["printer"]),
        call(5, now, 9, tags=["printer"]),  # outside the week
    ]
    [problem] = recurring_problems(calls, now)
    assert (problem.kind, problem.label, problem.call_ids) == ("tag", "VPN", (1, 2, 3))
    assert problem.first_seen == now - timedelta(days=6)
    assert problem.last_seen == now - timedelta(days=0.5)
    assert "3 calls tagged 'VPN'" in problem.describe()
    assert recurring_problems(calls, now, threshold=2)[1].label == "printer"
    assert recurring_problems(calls, now, window_days=2) == []


def test_similar_fix_texts_are_one_problem(clock: FakeClock) -> None:
    now = clock.now()
    calls = [
        call(1, now, 5, fixes=["Roll back the VPN client update"]),
        call(2, now, 4, fixes=["VPN client update must be rolled back"]),
        call(3, now, 1, fixes=["roll back VPN client update on laptop"]),
        call(4, now, 1, fixes=["Replace the toner in the 3rd floor printer"]),
        call(5, now, 2, fixes=["Reset MFA token"]),
    ]
    [problem] = recurring_problems(calls, now)
    assert problem.kind == "fix"
    assert problem.call_ids == (1, 2, 3)
    assert set(problem.label.split()) >= {"vpn", "client", "update"}
    assert "toner" not in problem.label


def test_dissimilar_fix_texts_are_not_grouped(clock: FakeClock) -> None:
    now = clock.now()
    calls = [
        call(1, now, 1, fixes=["Reset router firmware"]),
        call(2, now, 1, fixes=["Change router password"]),
        call(3, now, 1, fixes=["Move router to the hallway"]),
    ]
    assert recurring_problems(calls, now) == []


def test_one_call_with_several_similar_fixes_counts_once(clock: FakeClock) -> None:
    now = clock.now()
    calls = [
        call(1, now, 1, fixes=["patch outlook add-in", "outlook add-in patch again"]),
        call(2, now, 1, fixes=["Patch the Outlook add-in"]),
    ]
    assert recurring_problems(calls, now) == []
    calls.append(call(3, now, 0, fixes=["outlook add-in needs a patch"]))
    [problem] = recurring_problems(calls, now)
    assert problem.call_ids == (1, 2, 3)


def test_biggest_problem_first(clock: FakeClock) -> None:
    now = clock.now()
    calls = [call(i, now, 1, tags=["wifi"]) for i in range(3)]
    calls += [call(10 + i, now, 2, tags=["email"]) for i in range(4)]
    assert [p.label for p in recurring_problems(calls, now)] == ["email", "wifi"]


def test_recurrence_from_what_the_store_keeps(tmp_path: Path, clock: FakeClock) -> None:
    with Database.open(tmp_path / "calldesk.db", clock) as store:
        ids = []
        for text in ("Unlock AD account", "AD account unlock", "unlock the AD account"):
            made = call_records.start_call(store)
            save_answer(store, made.id, "fix", {"what": text, "where": "", "owner": ""})
            ids.append(made.id)
            clock.advance(hours=20)
        recent = aftercall_records.recent_calls_for_recurrence(
            store, clock.now() - timedelta(days=7)
        )
    [problem] = recurring_problems(recent, clock.now())
    assert problem.kind == "fix" and problem.call_ids == tuple(ids)
    assert set(problem.label.split()) == {"ad", "account", "unlock"}
