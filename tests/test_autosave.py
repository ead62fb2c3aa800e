"""The write-behind queue: order, coalescing of drafts, and retry without loss."""

from __future__ import annotations

import threading

from calldesk.core.calls.autosave import WriteBehind


def test_jobs_run_in_order_and_report_results() -> None:
    done: list[int] = []
    writer = WriteBehind()
    for number in range(50):
        writer.submit(lambda n=number: n * 2, on_done=done.append)
    assert writer.flush()
    assert done == [n * 2 for n in range(50)]
    writer.close()


def test_a_queued_draft_is_replaced_by_a_newer_one_but_never_jumps_other_writes() -> None:
    gate = threading.Event()
    ran: list[str] = []
    writer = WriteBehind()
    writer.submit(lambda: gate.wait(5) and ran.append("blocker"))
    writer.submit(lambda: ran.append("draft 1"), key="draft")
    writer.submit(lambda: ran.append("draft 2"), key="draft")  # replaces draft 1
    writer.submit(lambda: ran.append("note"))
    writer.submit(lambda: ran.append("draft 3"), key="draft")  # after the note: must not replace
    gate.set()
    assert writer.flush()
    assert ran == ["blocker", "draft 2", "note", "draft 3"]
    writer.close()


def test_a_failing_write_is_retried_until_it_lands_and_nothing_after_it_is_lost() -> None:
    attempts = {"count": 0}
    errors: list[BaseException] = []
    recovered = threading.Event()
    ran: list[str] = []

    def flaky() -> None:
        attempts["count"] += 1
        if attempts["count"] < 3:
            raise OSError("disk full")
        ran.append("flaky")

    writer = WriteBehind(on_error=errors.append, on_recovered=recovered.set, retry_seconds=0.01)
    writer.submit(flaky)
    writer.submit(lambda: ran.append("next"))
    assert writer.flush()
    assert ran == ["flaky", "next"]
    assert attempts["count"] == 3
    assert len(errors) == 1 and "disk full" in str(errors[0])
    assert recovered.is_set()
    writer.close()


def test_close_reports_writes_that_could_not_land() -> None:
    def always_fails() -> None:
        raise OSError("read-only file system")

    writer = WriteBehind(retry_seconds=0.01)
    writer.submit(always_fails)
    assert writer.close(timeout=0.2) is False
    assert writer.failing


def test_a_write_that_can_never_succeed_is_dropped_so_later_writes_still_land() -> None:
    class Gone(LookupError):
        pass

    dropped: list[BaseException] = []
    ran: list[str] = []

    def missing_row() -> None:
        raise Gone("note 7 is gone")

    writer = WriteBehind(give_up_on=(Gone,), on_given_up=dropped.append, retry_seconds=10)
    writer.submit(missing_row)
    writer.submit(lambda: ran.append("next"))
    assert writer.flush(timeout=2)
    assert ran == ["next"]
    assert [str(error) for error in dropped] == ["note 7 is gone"]
    assert not writer.failing
    writer.close()


def test_a_read_runs_behind_the_writes_queued_before_it_on_the_writer_thread() -> None:
    gate = threading.Event()
    ran: list[str] = []
    answers: list[tuple[list[str], str]] = []
    answered = threading.Event()
    writer = WriteBehind()
    writer.submit(lambda: gate.wait(5) and ran.append("note"))
    writer.submit(lambda: ran.append("draft"), key="draft")

    def answer(value: list[str]) -> None:
        answers.append((value, threading.current_thread().name))
        answered.set()

    writer.submit_read(lambda: list(ran), answer)
    writer.submit(lambda: ran.append("draft again"), key="draft")  # never replaces the read
    assert not answered.is_set()  # the read waits for the note
    gate.set()
    assert answered.wait(5)
    assert answers == [(["note", "draft"], "calldesk-writer")]
    assert writer.flush()
    assert ran == ["note", "draft", "draft again"]
    writer.close()


def test_reads_do_not_wait_on_a_failing_write_and_their_errors_are_handed_back() -> None:
    answers: list[object] = []
    failures: list[BaseException] = []
    both = threading.Event()

    def always_fails() -> None:
        raise OSError("disk full")

    def bad_read() -> None:
        raise ValueError("no such table")

    def record(into: list, item: object) -> None:  # type: ignore[type-arg]
        into.append(item)
        if answers and failures:
            both.set()

    writer = WriteBehind(retry_seconds=0.05)
    writer.submit(always_fails)
    writer.submit_read(lambda: "what is stored", lambda value: record(answers, value))
    writer.submit_read(
        bad_read, lambda value: record(answers, value), lambda e: record(failures, e)
    )
    assert both.wait(5)  # answered while the write ahead of them still fails
    assert writer.failing and writer.pending == 1
    assert answers == ["what is stored"]
    assert [str(error) for error in failures] == ["no such table"]
    assert writer.close(timeout=0.2) is False
