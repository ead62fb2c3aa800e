"""The SQLite store: schema and migrations, privacy, bad conditions, and every query it offers."""

from __future__ import annotations

import os
import re
import sqlite3
import stat
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from calldesk.config import Settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import BreakRules, offer
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.aftercall.records import FixStatus
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls import rows as call_rows
from calldesk.core.calls.model import Call, NoteEntry, Outcome, normalise_number
from calldesk.core.clock import FakeClock
from calldesk.core.db import connection as db_connection
from calldesk.core.db import opening as db_opening
from calldesk.core.db.schema import MIGRATIONS, SCHEMA_VERSION
from calldesk.core.library import records as phrase_records
from calldesk.core.phone import spool
from calldesk.core.storage import (
    Database,
    NotFound,
    StoreCorrupt,
    StoreError,
    StoreInUse,
    StoreLocked,
    StoreReadOnly,
    StoreTooNew,
    StoreUnavailable,
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "calldesk.db"


@pytest.fixture
def store(db_path: Path, clock: FakeClock) -> Iterator[Database]:
    opened = Database.open(db_path, clock)
    yield opened
    opened.close()


@pytest.fixture(params=["fts5", "like"])
def search_store(
    request: pytest.FixtureRequest,
    db_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Database]:
    """A store searching with FTS5, and one forced onto the LIKE fallback."""
    if request.param == "like":
        monkeypatch.setattr(db_opening, "fts5_available", lambda db: False)
    opened = Database.open(db_path, clock)
    assert opened.search_mode == request.param
    yield opened
    opened.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def side(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def run_child(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60
    )


# -- opening: files, permissions, pragmas ---------------------------------------------------


def test_open_at_settings_path_creates_private_dir_and_files(
    settings: Settings, clock: FakeClock
) -> None:
    old_umask = os.umask(0)  # the most permissive umask: modes must not depend on it
    try:
        with Database.open(settings.database_path, clock) as store:
            call_records.start_call(store, "Ann")
            data_dir = settings.database_path.parent
            assert mode(data_dir) == 0o700
            for path in (
                settings.database_path,
                side(settings.database_path, "-wal"),
                side(settings.database_path, "-shm"),
                data_dir / "calldesk.lock",
            ):
                assert path.exists(), path
                assert mode(path) == 0o600, path
    finally:
        os.umask(old_umask)


def test_open_tightens_a_loose_existing_database(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()
    db_path.chmod(0o644)
    db_path.parent.chmod(0o755)
    with Database.open(db_path, clock):
        assert mode(db_path) == 0o600
        assert mode(db_path.parent) == 0o700


def test_connection_settings(store: Database, db_path: Path) -> None:
    db = store._connection()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert 0 < db.execute("PRAGMA busy_timeout").fetchone()[0] <= 5000
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert store.recovered_from is None
    assert not store.readonly


# -- migrations -----------------------------------------------------------------------------


def make_v1_database(path: Path) -> None:
    """A database as the first schema left it, with a call in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](db)
    db.execute("PRAGMA user_version = 1")
    db.execute(
        "INSERT INTO calls (id, started_at, ended_at, caller_name, caller_number, ticket,"
        " outcome, outcome_reason, draft, tags) VALUES (7, '2026-11-20T10:00:00+00:00',"
        " '2026-11-20T10:05:00+00:00', 'Bea', '+44 (151) 234-5678', 'T-7', 'bad', 'shouted',"
        " '', '[\"vpn\"]')"
    )
    db.execute(
        "INSERT INTO notes (call_id, created_at, text) VALUES"
        " (7, '2026-11-20T10:01:00+00:00', 'printer jammed again'),"
        " (7, '2026-11-20T10:02:00+00:00', 'offered a refund')"
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('theme', 'dark')")
    db.close()


def test_v1_database_migrates_to_latest_and_keeps_its_data(db_path: Path, clock: FakeClock) -> None:
    make_v1_database(db_path)
    with Database.open(db_path, clock) as store:
        assert store._connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        call = call_history.get_call(store, 7)
        assert (call.caller_name, call.caller_number, call.ticket) == (
            "Bea",
            "+44 (151) 234-5678",
            "T-7",
        )
        assert call.outcome is Outcome.BAD and call.outcome_reason == "shouted"
        assert call.tags == ["vpn"]
        assert [note.text for note in call.notes] == ["printer jammed again", "offered a refund"]
        assert store.get_meta("theme") == "dark"
        # The new column was filled in for old calls, and the search index built over them.
        assert [c.id for c in call_history.calls_by_number(store, "0044 151 2345678")] == [7]
        assert [c.id for c in call_history.search_calls(store, "refu")] == [7]
        # New tables work on the migrated database.
        phrase_records.record_phrase_use(store, "sorry", 7, "copy")
        assert phrase_records.phrases_used(store, 7) == ["sorry"]


def test_v3_database_forgets_withheld_numbers_and_counts_old_calls_as_answered(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path, isolation_level=None)
    for step in MIGRATIONS[:3]:
        step(db)
    db.execute("PRAGMA user_version = 3")
    for call_id, number, norm in (
        (1, "anonymous", "anonymous"),  # what calldesk stored before
        (2, "Anonymous", "anonymous"),
        (3, "sip:anonymous@anonymous.invalid", "anonymous"),
        (4, "+", ""),
        (5, "0151 234 5678", "01512345678"),
    ):
        db.execute(
            "INSERT INTO calls (id, started_at, caller_number, number_norm) VALUES (?, ?, ?, ?)",
            (call_id, f"2026-11-20T10:0{call_id}:00+00:00", number, norm),
        )
    db.execute("INSERT INTO notes (call_id, created_at, text) VALUES (1, '2026-11-20', 'acct 9')")
    db.close()
    with Database.open(db_path, clock) as store:
        norms = dict(store._connection().execute("SELECT id, number_norm FROM calls"))
        assert norms == {1: "", 2: "", 3: "", 4: "", 5: "01512345678"}
        assert call_history.calls_by_number(store, "anonymous") == []
        call = call_history.get_call(store, 1)
        assert call.caller_number == "anonymous"  # shown as it was; only the lookup key goes
        assert call.answered_at == call.started_at and not call.missed
        assert [c.id for c in call_history.search_calls(store, "acct")] == [1]


def test_database_from_newer_calldesk_is_refused_untouched(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreTooNew, match="newer calldesk") as caught:
        Database.open(db_path, clock)
    assert "Update calldesk" in caught.value.next_step
    assert db_path.read_bytes() == before
    # The failed open must not leave the single-instance lock behind.
    db_path.unlink()
    Database.open(db_path, clock).close()


# -- calls and notes ------------------------------------------------------------------------


def test_start_call_and_get_call(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store, "Ann", "+44 151 234 5678", "T-1")
    assert call.id > 0
    assert call.started_at == clock.now()
    assert call.is_open
    assert call_history.get_call(store, call.id) == call
    assert call_records.start_call(store).id != call.id


def test_start_call_at_a_given_time(store: Database, clock: FakeClock) -> None:
    earlier = clock.now() - timedelta(seconds=3)
    call = call_records.start_call(store, at=earlier)
    assert call_history.get_call(store, call.id).started_at == earlier


def test_update_call_changes_only_the_fields_given(store: Database) -> None:
    call = call_records.start_call(store, "Ann", "0151 234", "T-1")
    updated = call_records.update_call(
        store, call.id, ticket="T-2", tags=[" vpn ", "VPN", "", "printer"]
    )
    assert (updated.caller_name, updated.caller_number, updated.ticket) == (
        "Ann",
        "0151 234",
        "T-2",
    )
    assert updated.tags == ["vpn", "printer"]
    updated = call_records.update_call(
        store, call.id, caller_name="Ann Lee", caller_number="+1 555 0100"
    )
    assert updated.caller_name == "Ann Lee"
    assert call_history.calls_by_number(store, "15550100")[0].id == call.id
    assert call_history.get_call(store, call.id) == updated
    with pytest.raises(NotFound):
        call_records.update_call(store, 999, ticket="x")
    with pytest.raises(TypeError):
        call_records.update_call(store, call.id, tags="vpn")


def test_records_for_a_missing_call_raise_not_found(store: Database, clock: FakeClock) -> None:
    with pytest.raises(NotFound):
        phrase_records.record_phrase_use(store, "apology", 404, "insert")
    with pytest.raises(NotFound):
        aftercall_records.save_cooldown(store, offer(404, BreakRules(), [Outcome.BAD], clock.now()))
    assert phrase_records.phrase_use_counts(store) == {}


def test_draft_and_notes(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store)
    call_records.save_draft(store, call.id, "half a thou")
    assert call_history.get_call(store, call.id).draft == "half a thou"
    first = call_records.add_note(store, call.id, "first line\nsecond line")
    assert first == NoteEntry(first.id, call.id, clock.now(), "first line\nsecond line")
    assert call_history.get_call(store, call.id).draft == ""  # entering the note used up the draft
    clock.advance(30)
    second = call_records.add_note(store, call.id, "later")
    clock.advance(30)
    edited = call_records.edit_note(store, first.id, "first, corrected")
    assert edited.edited_at == clock.now()
    assert edited.created_at == first.created_at
    notes = call_history.get_call(store, call.id).notes
    assert [(n.id, n.text) for n in notes] == [(first.id, "first, corrected"), (second.id, "later")]
    assert call_records.delete_note(store, second.id) is True
    assert call_records.delete_note(store, second.id) is False
    assert [n.id for n in call_history.get_call(store, call.id).notes] == [first.id]


def test_notes_keep_their_order_when_timestamps_tie(store: Database) -> None:
    call = call_records.start_call(store)
    ids = [call_records.add_note(store, call.id, f"n{i}").id for i in range(5)]
    assert [n.id for n in call_history.get_call(store, call.id).notes] == ids


def test_note_timestamps_can_be_given(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store)
    when = clock.now() + timedelta(seconds=5)
    note = call_records.add_note(store, call.id, "typed earlier", at=when)
    assert call_history.get_call(store, call.id).notes[0].created_at == when == note.created_at
    later = when + timedelta(minutes=1)
    assert call_records.edit_note(store, note.id, "x", at=later).edited_at == later


def test_writes_to_missing_calls_and_notes_raise_not_found(store: Database) -> None:
    for action in (
        lambda: call_records.save_draft(store, 42, "x"),
        lambda: call_records.add_note(store, 42, "x"),
        lambda: call_records.edit_note(store, 42, "x"),
        lambda: call_records.end_call(store, 42),
        lambda: call_records.set_outcome(store, 42, Outcome.FINE),
        lambda: call_history.get_call(store, 42),
        lambda: save_answer(store, 42, "blame", True),
    ):
        with pytest.raises(NotFound) as caught:
            action()
        assert isinstance(caught.value, LookupError)
        assert caught.value.next_step


def test_end_call_keeps_a_leftover_draft_as_the_last_note(
    store: Database, clock: FakeClock
) -> None:
    call = call_records.start_call(store)
    call_records.add_note(store, call.id, "entered")
    call_records.save_draft(store, call.id, "never entered")
    clock.advance(60)
    ended = call_records.end_call(store, call.id)
    assert ended.ended_at == clock.now()
    assert ended.draft == ""
    assert [n.text for n in ended.notes] == ["entered", "never entered"]
    clock.advance(60)
    again = call_records.end_call(store, call.id)
    assert again.ended_at == ended.ended_at
    assert len(again.notes) == 2


def test_set_outcome_and_recent_outcomes(store: Database, clock: FakeClock) -> None:
    outcomes = [Outcome.FINE, Outcome.BAD, None, Outcome.ABUSIVE]
    for outcome in outcomes:
        call = call_records.start_call(store)
        if outcome is not None:
            call_records.set_outcome(store, call.id, outcome, reason="why")
        clock.advance(60)
    assert call_history.recent_outcomes(store, 10) == [Outcome.ABUSIVE, Outcome.BAD, Outcome.FINE]
    assert call_history.recent_outcomes(store, 2) == [Outcome.ABUSIVE, Outcome.BAD]
    assert call_history.recent_outcomes(store, 10, since=clock.now() - timedelta(seconds=150)) == [
        Outcome.ABUSIVE
    ]
    last = call_history.list_calls(store, 1)[0]
    assert call_history.get_call(store, last.id).outcome_reason == "why"
    call_records.set_outcome(store, last.id, None)
    assert call_history.get_call(store, last.id).outcome is None


def test_open_call_is_the_newest_unended_call(store: Database, clock: FakeClock) -> None:
    assert call_history.open_call(store) is None
    older = call_records.start_call(store, "older")
    clock.advance(60)
    newer = call_records.start_call(store, "newer")
    open_call = call_history.open_call(store)
    assert open_call is not None and open_call.id == newer.id
    call_records.end_call(store, newer.id)
    open_call = call_history.open_call(store)
    assert open_call is not None and open_call.id == older.id
    call_records.end_call(store, older.id)
    assert call_history.open_call(store) is None


def test_open_call_after_close_is_exactly_what_was_there(db_path: Path, clock: FakeClock) -> None:
    with Database.open(db_path, clock) as store:
        call = call_records.start_call(store, "Ann", "+44 151", "T-1")
        call_records.update_call(store, call.id, tags=["vpn"])
        call_records.add_note(store, call.id, "line one")
        clock.advance(5)
        call_records.add_note(store, call.id, "line two")
        call_records.save_draft(store, call.id, "half-typ")
        before = call_history.get_call(store, call.id)
    with Database.open(db_path, clock) as store:
        restored = call_history.open_call(store)
    assert restored == before
    assert restored.draft == "half-typ"
    assert [n.text for n in restored.notes] == ["line one", "line two"]


CRASHING_CHILD = """
import os, sys
from pathlib import Path
from calldesk.core.clock import FakeClock
from calldesk.core.calls import records as call_records
from calldesk.core.storage import Database
store = Database.open(Path(sys.argv[1]), FakeClock())
call = call_records.start_call(store, "Crash Caller", "+1 555 0100", "T-9")
call_records.add_note(store, call.id, "first")
call_records.add_note(store, call.id, "second")
call_records.save_draft(store, call.id, "half-typed")
print(call.id, flush=True)
os._exit(9)  # killed: no close, no checkpoint, the lock is never released by us
"""


def test_open_call_comes_back_after_the_process_is_killed(db_path: Path, clock: FakeClock) -> None:
    result = run_child(CRASHING_CHILD, str(db_path))
    assert result.returncode == 9, result.stderr
    call_id = int(result.stdout.strip())
    with Database.open(db_path, clock) as store:  # the dead process's lock is gone
        restored = call_history.open_call(store)
    assert restored is not None
    assert restored.id == call_id
    assert (restored.caller_name, restored.caller_number, restored.ticket) == (
        "Crash Caller",
        "+1 555 0100",
        "T-9",
    )
    assert [n.text for n in restored.notes] == ["first", "second"]
    assert restored.draft == "half-typed"


def test_list_calls_newest_first_with_previews(store: Database, clock: FakeClock) -> None:
    ids = []
    for i in range(5):
        call = call_records.start_call(store, f"caller {i}", ticket=f"T-{i}")
        ids.append(call.id)
        for j in range(i):
            call_records.add_note(store, call.id, f"call {i} note {j} " + "x" * 300)
        clock.advance(60)
    calls = call_history.list_calls(store)
    assert [c.id for c in calls] == ids[::-1]
    newest = calls[0]
    assert newest.note_count == 4
    assert newest.first_note.startswith("call 4 note 0 ")
    assert len(newest.first_note) == call_rows.PREVIEW_CHARS
    assert calls[-1].note_count == 0 and calls[-1].first_note == ""
    assert [c.id for c in call_history.list_calls(store, limit=2, offset=1)] == ids[3:1:-1]
    assert newest.display_caller() == "caller 4" and newest.is_open


# -- search ---------------------------------------------------------------------------------


def fill_for_search(store: Database, clock: FakeClock) -> dict[str, int]:
    ids = {}
    refund = call_records.start_call(store, "Zoë Müller", "+44 151 234 5678", "INC-1001")
    call_records.add_note(store, refund.id, "Wants a refund for the router")
    ids["refund"] = refund.id
    clock.advance(60)
    hostile = call_records.start_call(store, "Bob", "0800 123", "INC-2002")
    call_records.add_note(
        store,
        hostile.id,
        'Do NOT reboot AND unplug: cable "blue" -- see *manual* (section-3) OR ask NEAR desk',
    )
    ids["hostile"] = hostile.id
    clock.advance(60)
    printer = call_records.start_call(store, "Carol", "sip:4471@pbx", "INC-3003")
    call_records.add_note(store, printer.id, "Printer jammed")
    call_records.add_note(store, printer.id, "router blinking too")
    ids["printer"] = printer.id
    return ids


def test_search_by_prefix_across_fields(search_store: Database, clock: FakeClock) -> None:
    ids = fill_for_search(search_store, clock)

    def found(query: str) -> list[int]:
        return [c.id for c in call_history.search_calls(search_store, query)]

    assert found("refu") == [ids["refund"]]
    assert found("REFUND") == [ids["refund"]]
    assert found("router") == [ids["printer"], ids["refund"]]  # newest first
    assert found("carol router") == [ids["printer"]]  # words may come from different fields
    assert found("carol refund") == []
    assert found("inc-20") == [ids["hostile"]]
    assert found("Müller") == [ids["refund"]]
    assert found("234") == [ids["refund"]]
    assert found("2345678") == [ids["refund"]]  # digits anywhere in the number
    assert found("0044151 2345678") == [ids["refund"]]
    assert found("printer jam") == [ids["printer"]]
    assert found("zebra") == []
    assert len(call_history.search_calls(search_store, "router", limit=1)) == 1


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        '"blue',
        "blue*",
        "*",
        "-",
        "--unplug",
        "unplug:",
        ":",
        "NOT",
        "not reboot",
        "AND",
        "OR",
        "NEAR",
        "NEAR(desk)",
        "(section-3)",
        "^cable",
        "'",
        "%",
        "_",
        "\\",
        "manual}",
        "{cable}",
        "reboot + unplug",
    ],
)
def test_search_treats_query_syntax_as_plain_words(
    search_store: Database, clock: FakeClock, query: str
) -> None:
    ids = fill_for_search(search_store, clock)
    results = [c.id for c in call_history.search_calls(search_store, query)]
    if not re.search(r"[^\W_]", query):
        assert results == []  # nothing to search for, and no syntax error either
    elif search_store.search_mode == "fts5":
        assert results == [ids["hostile"]]
    else:
        assert ids["hostile"] in results  # LIKE matches inside words: "or" is in "router"


def test_search_after_edits_and_deletes(search_store: Database) -> None:
    call = call_records.start_call(search_store, "Dave")
    note = call_records.add_note(search_store, call.id, "modem replaced")
    call_records.edit_note(search_store, note.id, "switch replaced")
    assert call_history.search_calls(search_store, "modem") == []
    assert [c.id for c in call_history.search_calls(search_store, "switch")] == [call.id]
    call_records.delete_note(search_store, note.id)
    assert call_history.search_calls(search_store, "switch") == []
    call_records.update_call(search_store, call.id, caller_name="Erin")
    assert call_history.search_calls(search_store, "dave") == []
    assert [c.id for c in call_history.search_calls(search_store, "erin")] == [call.id]


def test_search_index_catches_up_after_running_without_fts5(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Database.open(db_path, clock) as store:
        assert store.search_mode == "fts5"
        before = call_records.start_call(store, "Frank")
    with monkeypatch.context() as patch:
        patch.setattr(db_opening, "fts5_available", lambda db: False)
        with Database.open(db_path, clock) as store:
            assert store.search_mode == "like"
            during = call_records.start_call(store, "Grace")
            call_records.add_note(store, during.id, "walrus sighting")
            call_records.update_call(store, before.id, caller_name="Frankie")
            assert [c.id for c in call_history.search_calls(store, "walr")] == [during.id]
    with Database.open(db_path, clock) as store:
        assert store.search_mode == "fts5"
        assert [c.id for c in call_history.search_calls(store, "walr")] == [during.id]
        assert [c.id for c in call_history.search_calls(store, "frankie")] == [before.id]


def test_calls_by_number_matches_any_formatting(store: Database, clock: FakeClock) -> None:
    first = call_records.start_call(store, caller_number="+44 151 234 5678")
    clock.advance(60)
    second = call_records.start_call(
        store, caller_number='"Ann" <sip:0044151-234-5678@pbx.example;user=phone>'
    )
    clock.advance(60)
    call_records.start_call(store, caller_number="+44 151 234 5679")
    assert [c.id for c in call_history.calls_by_number(store, "tel:+441512345678")] == [
        second.id,
        first.id,
    ]
    assert [c.id for c in call_history.calls_by_number(store, "441512345678", limit=1)] == [
        second.id
    ]
    assert call_history.calls_by_number(store, "") == []
    assert call_history.calls_by_number(store, "+1 999") == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+44 151 234 5678", "441512345678"),
        ("0044 (151) 234-5678", "441512345678"),
        ("sip:+441512345678@pbx.example.com;user=phone", "441512345678"),
        ("SIPS:1001@10.0.0.1:5061", "1001"),
        ("tel:+1-555-0100;ext=12", "15550100"),
        ('"Ann Lee" <sip:+44.151.234.5678@pbx>', "441512345678"),
        ("0151 234 5678", "01512345678"),
        ("sip:alice@Example.org", "alice@example.org"),
        ("sip:alice@example.org:5060;transport=tcp", "alice@example.org"),
        ("sip:1001:secret@pbx", "1001"),
        ("", ""),
        ("  ", ""),
        # No number at all: nothing that tells one caller from another.
        ("anonymous", ""),
        ("Anonymous", ""),
        ("UNKNOWN", ""),
        ("private", ""),
        ("Restricted", ""),
        ("unavailable", ""),
        ("withheld", ""),
        ("sip:anonymous@anonymous.invalid", ""),
        ("Anonymous <sip:anonymous@anonymous.invalid>", ""),
        ('"Anonymous" <sips:Anonymous@anonymous.invalid;transport=tls>', ""),
        ("sip:unknown@pbx.example", ""),
        ("sip:caller@anonymous.invalid", ""),
        ("tel:anonymous", ""),
        ("+", ""),
        ("++", ""),
        ("00", ""),
        ("-", ""),
        ("()", ""),
        ("*#", ""),
        ("Private Number", ""),
        ("alice", ""),
        ("pbx.example.com", ""),
        ("@pbx", ""),
    ],
)
def test_normalise_number(raw: str, expected: str) -> None:
    assert normalise_number(raw) == expected


def test_a_missed_call_is_recorded_as_it_rang(store: Database, clock: FakeClock) -> None:
    rang = clock.now()
    clock.advance(20)
    call = call_records.record_missed_call(store, "Ann", "anonymous", rang_at=rang)
    assert (call.started_at, call.ended_at) == (rang, clock.now())
    assert call.missed and call.answered_at is None and call.outcome is None
    assert call_history.calls_by_number(store, "anonymous") == []
    assert call_history.list_calls(store)[0].missed


def test_a_ringing_call_is_answered_once(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store, caller_number="1001", answered=False)
    assert call.answered_at is None and call_history.get_call(store, call.id).answered_at is None
    clock.advance(5)
    answered = clock.now()
    call_records.mark_answered(store, call.id)
    clock.advance(5)
    call_records.mark_answered(store, call.id)
    assert call_history.get_call(store, call.id).answered_at == answered
    assert (
        call_records.start_call(store).answered_at is not None
    )  # opened by hand: answered as it opens
    with pytest.raises(NotFound):
        call_records.mark_answered(store, 404)


def test_only_a_call_nobody_wrote_in_can_be_deleted(store: Database) -> None:
    empty = call_records.start_call(store, caller_number="1001", answered=False)
    assert call_records.delete_untouched_call(store, empty.id)
    with pytest.raises(NotFound):
        call_history.get_call(store, empty.id)
    for write in (
        lambda call_id: call_records.add_note(store, call_id, "note"),
        lambda call_id: call_records.save_draft(store, call_id, "draft"),
        lambda call_id: call_records.update_call(store, call_id, ticket="T-1"),
        lambda call_id: save_answer(store, call_id, "kb", True, skipped=False),
        lambda call_id: call_records.end_call(store, call_id),
    ):
        call = call_records.start_call(store, caller_number="1001", answered=False)
        write(call.id)
        assert not call_records.delete_untouched_call(store, call.id)
        assert call_history.get_call(store, call.id).id == call.id


def test_ending_a_call_as_missed(store: Database) -> None:
    call = call_records.start_call(store, caller_number="1001", answered=False)
    ended = call_records.end_call(store, call.id, missed=True)
    assert ended.missed and ended.ended_at is not None
    assert not call_records.end_call(store, call_records.start_call(store).id).missed


# -- export iteration -----------------------------------------------------------------------


def test_iter_calls_in_range_with_notes(
    store: Database, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(call_history, "ITER_BATCH", 3)  # several batches, and an exact multiple
    start = clock.now()
    made: list[Call] = []
    for i in range(9):
        call = call_records.start_call(store, f"c{i}")
        for j in range(i % 3):
            call_records.add_note(store, call.id, f"c{i} n{j}")
        made.append(call_history.get_call(store, call.id))
        clock.advance(minutes=10)
    assert list(call_history.iter_calls(store)) == made
    window = list(
        call_history.iter_calls(store, start + timedelta(minutes=20), start + timedelta(minutes=50))
    )
    assert window == made[2:5]
    assert list(call_history.iter_calls(store, since=start + timedelta(minutes=80))) == made[-1:]
    assert list(call_history.iter_calls(store, until=start)) == []


@pytest.mark.slow
def test_iter_calls_ten_thousand_calls_without_a_query_per_call(
    store: Database, clock: FakeClock
) -> None:
    with store.batch():
        for i in range(10_000):
            call = call_records.start_call(store, f"Caller {i}", f"+44 151 {i:07d}", f"T-{i}")
            for j in range(5):
                clock.advance(1)
                call_records.add_note(
                    store, call.id, f"note {j} for call {i}: router reboot refund"
                )
            call_records.end_call(store, call.id)
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)
    count = notes = 0
    for call in call_history.iter_calls(store):
        count += 1
        notes += len(call.notes)
    store._connection().set_trace_callback(None)
    assert (count, notes) == (10_000, 50_000)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2 * (10_000 // call_history.ITER_BATCH + 1)


def test_note_writes_are_fast(store: Database) -> None:
    call = call_records.start_call(store)
    drafts: list[float] = []
    notes: list[float] = []
    for i in range(300):
        before = time.perf_counter()
        call_records.save_draft(store, call.id, "typing " * (i % 40))
        between = time.perf_counter()
        call_records.add_note(store, call.id, f"note {i}")
        drafts.append(between - before)
        notes.append(time.perf_counter() - between)
    print(
        f"\nsave_draft median {statistics.median(drafts) * 1000:.3f} ms,"
        f" add_note median {statistics.median(notes) * 1000:.3f} ms"
    )
    assert statistics.median(drafts) < 0.005
    assert statistics.median(notes) < 0.005


# -- phrases used ---------------------------------------------------------------------------


def test_phrase_use_counts_and_unfilled_placeholders(store: Database, clock: FakeClock) -> None:
    first = call_records.start_call(store)
    second = call_records.start_call(store)
    phrase_records.record_phrase_use(
        store, "apology", first.id, "insert", {"customer": False, "agent": True}
    )
    phrase_records.record_phrase_use(store, "hold", first.id, "copy")
    phrase_records.record_phrase_use(store, "apology", first.id, "copy", {"customer": True})
    clock.advance(hours=2)
    cutoff = clock.now()
    phrase_records.record_phrase_use(store, "apology", second.id, "insert", {"customer": False})
    phrase_records.record_phrase_use(
        store, "transfer", None, "copy", {"ticket": False, "customer": False}
    )
    assert phrase_records.phrase_use_counts(store) == {"apology": 3, "hold": 1, "transfer": 1}
    assert phrase_records.phrase_use_counts(store, since=cutoff) == {"apology": 1, "transfer": 1}
    assert phrase_records.unfilled_placeholder_counts(store) == {
        ("apology", "customer"): 2,
        ("transfer", "customer"): 1,
        ("transfer", "ticket"): 1,
    }
    assert (
        phrase_records.unfilled_placeholder_counts(store, since=cutoff + timedelta(seconds=1)) == {}
    )
    assert phrase_records.phrases_used(store, first.id) == ["apology", "hold"]
    assert phrase_records.phrases_used(store, second.id) == ["apology"]
    with pytest.raises(ValueError, match="action"):
        phrase_records.record_phrase_use(store, "apology", first.id, "paste")


# -- checklist answers and permanent fixes --------------------------------------------------


def test_checklist_answers_round_trip(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store)
    save_answer(store, call.id, "blame", True)
    save_answer(store, call.id, "quick", "rebooted the router")
    save_answer(store, call.id, "kind", "billing")
    clock.advance(10)
    save_answer(store, call.id, "skipme", None, skipped=True)
    save_answer(store, call.id, "blame", False)  # answered again: replaces
    answers = aftercall_records.checklist_answers(store, call.id)
    assert {k: (a.value, a.skipped) for k, a in answers.items()} == {
        "blame": (False, False),
        "quick": ("rebooted the router", False),
        "kind": ("billing", False),
        "skipme": (None, True),
    }
    assert answers["blame"].answered_at == clock.now()
    assert answers["quick"].answered_at == clock.now() - timedelta(seconds=10)
    assert aftercall_records.checklist_answers(store, call_records.start_call(store).id) == {}
    with pytest.raises(ValueError, match="JSON"):
        save_answer(store, call.id, "blame", object())


def test_fix_answer_files_a_permanent_fix(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store, "Hana", "+1 555")
    fix = {"what": "Patch the VPN client", "where": "JIRA NET-12", "owner": "netops"}
    save_answer(store, call.id, "fix", fix)
    save_answer(store, call.id, "fix", fix)  # saved twice: still one fix
    [filed] = aftercall_records.list_fixes(store)
    assert (filed.call_id, filed.caller, filed.what, filed.where, filed.owner) == (
        call.id,
        "Hana",
        "Patch the VPN client",
        "JIRA NET-12",
        "netops",
    )
    assert filed.status is FixStatus.OPEN
    assert filed.call_started_at == call.started_at
    clock.advance(60)
    save_answer(store, call.id, "fix", {**fix, "owner": "desktop"})
    [changed] = aftercall_records.list_fixes(store)
    assert changed.id == filed.id and changed.owner == "desktop"
    assert changed.updated_at == clock.now()
    assert aftercall_records.checklist_answers(store, call.id)["fix"].value == {
        **fix,
        "owner": "desktop",
    }


def test_clearing_a_fix_withdraws_it_only_while_open(store: Database) -> None:
    call = call_records.start_call(store)
    save_answer(store, call.id, "fix", {"what": "Replace toner", "where": "", "owner": ""})
    save_answer(store, call.id, "fix", {"what": "  ", "where": "", "owner": ""})
    assert aftercall_records.list_fixes(store, status=None) == []
    save_answer(store, call.id, "fix", {"what": "Replace toner", "where": "", "owner": ""})
    [fix] = aftercall_records.list_fixes(store)
    aftercall_records.set_fix_status(store, fix.id, "done")
    save_answer(store, call.id, "fix", {"what": "", "where": "", "owner": ""}, skipped=True)
    assert [f.id for f in aftercall_records.list_fixes(store, status="done")] == [fix.id]


def test_the_answer_record_files_no_fix_the_rule_is_in_fixes(store: Database) -> None:
    call = call_records.start_call(store)
    fix = {"what": "Replace toner", "where": "", "owner": ""}
    aftercall_records.save_checklist_answer(store, call.id, "fix", fix)
    assert aftercall_records.checklist_answers(store, call.id)["fix"].value == fix
    assert aftercall_records.list_fixes(store, status=None) == []
    save_answer(store, call.id, "fix", fix)
    assert [f.what for f in aftercall_records.list_fixes(store)] == ["Replace toner"]


def test_a_fix_is_filed_with_its_answer_or_not_at_all(store: Database) -> None:
    with pytest.raises(NotFound):
        save_answer(store, 404, "fix", {"what": "Replace toner", "where": "", "owner": ""})
    assert aftercall_records.list_fixes(store, status=None) == []


def test_list_fixes_by_status_and_set_status(store: Database, clock: FakeClock) -> None:
    ids = []
    for what in ("one", "two", "three"):
        call = call_records.start_call(store, caller_number="0800 1")
        save_answer(store, call.id, "fix", {"what": what, "where": "", "owner": ""})
        ids.append(aftercall_records.list_fixes(store)[0].id)
        clock.advance(60)
    done = aftercall_records.set_fix_status(store, ids[0], "done")
    assert done.status is FixStatus.DONE and done.updated_at == clock.now()
    assert done.caller == "0800 1"
    aftercall_records.set_fix_status(store, ids[1], FixStatus.WONTFIX)
    assert [f.what for f in aftercall_records.list_fixes(store)] == ["three"]
    assert [f.what for f in aftercall_records.list_fixes(store, "done")] == ["one"]
    assert [f.what for f in aftercall_records.list_fixes(store, "wontfix")] == ["two"]
    assert [f.what for f in aftercall_records.list_fixes(store, None)] == ["three", "two", "one"]
    with pytest.raises(ValueError):
        aftercall_records.set_fix_status(store, ids[0], "finished")
    with pytest.raises(NotFound):
        aftercall_records.set_fix_status(store, 999, "done")


def test_recent_calls_for_recurrence(store: Database, clock: FakeClock) -> None:
    old = call_records.start_call(store)
    call_records.update_call(store, old.id, tags=["vpn"])
    clock.advance(days=8)
    since = clock.now() - timedelta(days=7)
    new = call_records.start_call(store)
    call_records.update_call(store, new.id, tags=["vpn", "mfa"])
    save_answer(store, new.id, "fix", {"what": "Reissue MFA token", "where": "", "owner": ""})
    [recent] = aftercall_records.recent_calls_for_recurrence(store, since)
    assert (recent.call_id, recent.tags, recent.fix_texts) == (
        new.id,
        ("vpn", "mfa"),
        ("Reissue MFA token",),
    )
    assert recent.started_at == new.started_at


# -- pending events and meta ----------------------------------------------------------------


def test_pending_events_are_taken_once_and_kept(store: Database, clock: FakeClock) -> None:
    assert spool.take_legacy_events(store) == []
    first = spool.add_pending_event(store, "missed_call", {"number": "+44 151", "ä": [1, 2]})
    second = spool.add_pending_event(store, "ring", {})
    taken = spool.take_legacy_events(store)
    assert [(e.id, e.kind, e.payload) for e in taken] == [
        (first, "missed_call", {"number": "+44 151", "ä": [1, 2]}),
        (second, "ring", {}),
    ]
    assert taken[0].created_at == clock.now()
    assert spool.take_legacy_events(store) == []
    rows = store._connection().execute("SELECT count(*) FROM pending_events").fetchone()[0]
    assert rows == 2  # shown, not deleted


def test_meta(store: Database) -> None:
    assert store.get_meta("last_export") is None
    assert store.get_meta("last_export", "never") == "never"
    store.set_meta("last_export", "2026-11-24")
    store.set_meta("last_export", "2026-11-25")
    assert store.get_meta("last_export") == "2026-11-25"


# -- threads, batches, closing --------------------------------------------------------------


def test_writes_from_many_threads(store: Database) -> None:
    call = call_records.start_call(store)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(50):
                call_records.add_note(store, call.id, f"{worker}-{i}")
                call_records.save_draft(store, call.id, f"draft {worker}")
        except BaseException as error:  # collected, and asserted empty below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    texts = {note.text for note in call_history.get_call(store, call.id).notes}
    assert texts == {f"{w}-{i}" for w in range(8) for i in range(50)}


def test_batch_is_all_or_nothing(store: Database) -> None:
    with pytest.raises(RuntimeError), store.batch():
        call_records.start_call(store, "in the batch")
        raise RuntimeError("boom")
    assert call_history.list_calls(store) == []
    with store.batch():
        call = call_records.start_call(store, "kept")
        call_records.add_note(store, call.id, "also kept")
    assert call_history.get_call(store, call.id).notes[0].text == "also kept"


def test_closed_store_refuses_work(db_path: Path, clock: FakeClock) -> None:
    store = Database.open(db_path, clock)
    store.close()
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        call_history.list_calls(store)


# -- single instance, read-only browsing, locks ---------------------------------------------


def test_second_open_in_the_same_process_is_refused(db_path: Path, clock: FakeClock) -> None:
    with Database.open(db_path, clock):
        with pytest.raises(StoreInUse) as caught:
            Database.open(db_path, clock)
        assert caught.value.pid == os.getpid()
        assert "read-only" in caught.value.next_step
    Database.open(db_path, clock).close()  # free again once the first one closed


HOLDING_CHILD = """
import sys
from pathlib import Path
from calldesk.core.clock import FakeClock
from calldesk.core.calls import records as call_records
from calldesk.core.storage import Database
store = Database.open(Path(sys.argv[1]), FakeClock())
call = call_records.start_call(store, "Held", "", "")
call_records.add_note(store, call.id, "written by the first instance")
print("ready", flush=True)
sys.stdin.read()
store.close()
"""


def test_second_instance_gets_in_use_and_can_browse_read_only(
    db_path: Path, clock: FakeClock
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDING_CHILD, str(db_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with pytest.raises(StoreInUse) as caught:
            Database.open(db_path, clock)
        assert caught.value.pid == child.pid
        assert str(child.pid) in str(caught.value)
        with Database.open_readonly(db_path, clock) as viewer:
            assert viewer.readonly
            assert viewer.search_mode == "fts5"
            [summary] = call_history.list_calls(viewer)
            assert summary.caller_name == "Held"
            assert [c.id for c in call_history.search_calls(viewer, "written")] == [summary.id]
            assert len(list(call_history.iter_calls(viewer))) == 1
            with pytest.raises(StoreReadOnly):
                call_records.add_note(viewer, summary.id, "not allowed")
            with pytest.raises(StoreReadOnly):
                viewer.set_meta("k", "v")
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""


def test_open_readonly_needs_an_existing_database(db_path: Path, clock: FakeClock) -> None:
    with pytest.raises(StoreUnavailable, match="no call database"):
        Database.open_readonly(db_path, clock)
    assert not db_path.exists()


def test_database_locked_by_another_program(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_connection, "BUSY_TIMEOUT_MS", 50)
    store = Database.open(db_path, clock)
    call = call_records.start_call(store)
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. an sqlite3 shell in the middle of a write
        with pytest.raises(StoreLocked) as caught:
            call_records.add_note(store, call.id, "waiting")
        assert "another program" in caught.value.message
        assert call_history.get_call(store, call.id).notes == []  # reading still works meanwhile
        other.execute("ROLLBACK")
        call_records.add_note(store, call.id, "landed")
        assert [n.text for n in call_history.get_call(store, call.id).notes] == ["landed"]
    finally:
        other.close()
        store.close()


def test_open_while_another_program_holds_a_new_database(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_connection, "BUSY_TIMEOUT_MS", 50)
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreLocked):
            Database.open(db_path, clock)
    finally:
        other.close()
    Database.open(db_path, clock).close()  # the failed open released the instance lock


# -- damaged files, unwritable folders, full disks ------------------------------------------


def test_garbage_file_is_moved_aside_and_a_fresh_database_started(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not an sqlite database, it is a shopping list\n" * 200
    db_path.write_bytes(garbage)
    side(db_path, "-wal").write_bytes(b"stale wal")
    with Database.open(db_path, clock) as store:
        moved = store.recovered_from
        assert moved is not None
        assert re.fullmatch(r"calldesk\.db\.corrupt-\d{8}-\d{6}", moved.name)
        assert moved.read_bytes() == garbage
        assert side(moved, "-wal").read_bytes() == b"stale wal"
        call = call_records.start_call(store, "after recovery")
        assert call_history.get_call(store, call.id).caller_name == "after recovery"
        assert mode(db_path) == 0o600


def test_damaged_pages_are_detected_and_kept(db_path: Path, clock: FakeClock) -> None:
    with Database.open(db_path, clock) as store:
        for i in range(40):
            call = call_records.start_call(store, f"caller {i}")
            for _ in range(5):
                call_records.add_note(store, call.id, "lorem ipsum dolor " * 20)
    data = bytearray(db_path.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\x5a" * (4096 * 3)
    db_path.write_bytes(bytes(data))
    with Database.open(db_path, clock) as store:
        assert store.recovered_from is not None
        assert store.recovered_from.read_bytes() == bytes(data)
        assert call_history.list_calls(store) == []
    with Database.open(db_path, clock) as store:
        assert store.recovered_from is None  # the fresh database is healthy


def test_a_second_recovery_in_the_same_second_gets_its_own_name(
    db_path: Path, clock: FakeClock
) -> None:
    moved = []
    for _ in range(2):
        db_path.parent.mkdir(parents=True, exist_ok=True)
        db_path.write_bytes(b"garbage" * 100)
        with Database.open(db_path, clock) as store:
            moved.append(store.recovered_from)
    assert moved[0] != moved[1]
    assert all(path is not None and path.exists() for path in moved)


def test_damage_found_while_running_says_what_to_do(store: Database) -> None:
    error = sqlite3.DatabaseError("database disk image is malformed")
    error.sqlite_errorname = "SQLITE_CORRUPT"  # type: ignore[attr-defined]
    translated = db_connection.translate(error, store.path, readonly=False)
    assert isinstance(translated, StoreCorrupt)
    assert "Restart calldesk" in translated.next_step


def test_data_dir_that_cannot_be_created(tmp_path: Path, clock: FakeClock) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreUnavailable) as caught:
        Database.open(blocker / "data" / "calldesk.db", clock)
    assert str(blocker) in caught.value.message
    assert "CALLDESK_DATA_DIR" in caught.value.next_step


@pytest.mark.skipif(
    os.geteuid() == 0, reason="root ignores directory permissions, so 0500 cannot block it"
)
def test_read_only_data_dir(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.parent.chmod(0o500)
    try:
        with pytest.raises(StoreUnavailable, match="cannot write"):
            Database.open(db_path, clock)
    finally:
        db_path.parent.chmod(0o700)


def test_full_disk_is_reported_and_reads_still_work(store: Database) -> None:
    call = call_records.start_call(store)
    call_records.add_note(store, call.id, "saved before the disk filled up")
    db = store._connection()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: as if full
    with pytest.raises(StoreUnavailable, match="full") as caught:
        for _ in range(200):
            call_records.add_note(store, call.id, "x" * 4000)
    assert "Free some disk space" in caught.value.next_step
    notes = call_history.get_call(store, call.id).notes
    assert notes[0].text == "saved before the disk filled up"


def test_store_error_text_includes_the_next_step() -> None:
    error = StoreLocked("It is locked.", "Close the other program.")
    assert str(error) == "It is locked. Close the other program."
    assert (error.message, error.next_step) == ("It is locked.", "Close the other program.")
