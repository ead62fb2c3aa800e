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

from calldesk.config import CooldownSettings, Settings
from calldesk.core.aftercall.cooldown import offer
from calldesk.core.aftercall.fixes import FixStatus
from calldesk.core.calls.model import Call, NoteEntry, Outcome, normalise_number
from calldesk.core.clock import FakeClock
from calldesk.core.db import store as store_module
from calldesk.core.db.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    NotFound,
    Store,
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
def store(db_path: Path, clock: FakeClock) -> Iterator[Store]:
    opened = Store.open(db_path, clock)
    yield opened
    opened.close()


@pytest.fixture(params=["fts5", "like"])
def search_store(
    request: pytest.FixtureRequest,
    db_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Store]:
    """A store searching with FTS5, and one forced onto the LIKE fallback."""
    if request.param == "like":
        monkeypatch.setattr(store_module, "_fts5_available", lambda db: False)
    opened = Store.open(db_path, clock)
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
        with Store.open(settings.database_path, clock) as store:
            store.start_call("Ann")
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
    with Store.open(db_path, clock):
        assert mode(db_path) == 0o600
        assert mode(db_path.parent) == 0o700


def test_connection_settings(store: Store, db_path: Path) -> None:
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
    with Store.open(db_path, clock) as store:
        assert store._connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        call = store.get_call(7)
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
        assert [c.id for c in store.calls_by_number("0044 151 2345678")] == [7]
        assert [c.id for c in store.search_calls("refu")] == [7]
        # New tables work on the migrated database.
        store.record_phrase_use("sorry", 7, "copy")
        assert store.phrases_used(7) == ["sorry"]


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
    with Store.open(db_path, clock) as store:
        norms = dict(store._connection().execute("SELECT id, number_norm FROM calls"))
        assert norms == {1: "", 2: "", 3: "", 4: "", 5: "01512345678"}
        assert store.calls_by_number("anonymous") == []
        call = store.get_call(1)
        assert call.caller_number == "anonymous"  # shown as it was; only the lookup key goes
        assert call.answered_at == call.started_at and not call.missed
        assert [c.id for c in store.search_calls("acct")] == [1]


def test_database_from_newer_calldesk_is_refused_untouched(db_path: Path, clock: FakeClock) -> None:
    db_path.parent.mkdir(parents=True)
    db = sqlite3.connect(db_path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(StoreTooNew, match="newer calldesk") as caught:
        Store.open(db_path, clock)
    assert "Update calldesk" in caught.value.next_step
    assert db_path.read_bytes() == before
    # The failed open must not leave the single-instance lock behind.
    db_path.unlink()
    Store.open(db_path, clock).close()


# -- calls and notes ------------------------------------------------------------------------


def test_start_call_and_get_call(store: Store, clock: FakeClock) -> None:
    call = store.start_call("Ann", "+44 151 234 5678", "T-1")
    assert call.id > 0
    assert call.started_at == clock.now()
    assert call.is_open
    assert store.get_call(call.id) == call
    assert store.start_call().id != call.id


def test_start_call_at_a_given_time(store: Store, clock: FakeClock) -> None:
    earlier = clock.now() - timedelta(seconds=3)
    call = store.start_call(at=earlier)
    assert store.get_call(call.id).started_at == earlier


def test_update_call_changes_only_the_fields_given(store: Store) -> None:
    call = store.start_call("Ann", "0151 234", "T-1")
    updated = store.update_call(call.id, ticket="T-2", tags=[" vpn ", "VPN", "", "printer"])
    assert (updated.caller_name, updated.caller_number, updated.ticket) == (
        "Ann",
        "0151 234",
        "T-2",
    )
    assert updated.tags == ["vpn", "printer"]
    updated = store.update_call(call.id, caller_name="Ann Lee", caller_number="+1 555 0100")
    assert updated.caller_name == "Ann Lee"
    assert store.calls_by_number("15550100")[0].id == call.id
    assert store.get_call(call.id) == updated
    with pytest.raises(NotFound):
        store.update_call(999, ticket="x")
    with pytest.raises(TypeError):
        store.update_call(call.id, tags="vpn")


def test_records_for_a_missing_call_raise_not_found(store: Store, clock: FakeClock) -> None:
    with pytest.raises(NotFound):
        store.record_phrase_use("apology", 404, "insert")
    with pytest.raises(NotFound):
        store.save_cooldown(offer(404, CooldownSettings(), [Outcome.BAD], clock.now()))
    assert store.phrase_use_counts() == {}


def test_draft_and_notes(store: Store, clock: FakeClock) -> None:
    call = store.start_call()
    store.save_draft(call.id, "half a thou")
    assert store.get_call(call.id).draft == "half a thou"
    first = store.add_note(call.id, "first line\nsecond line")
    assert first == NoteEntry(first.id, call.id, clock.now(), "first line\nsecond line")
    assert store.get_call(call.id).draft == ""  # entering the note used up the draft
    clock.advance(30)
    second = store.add_note(call.id, "later")
    clock.advance(30)
    edited = store.edit_note(first.id, "first, corrected")
    assert edited.edited_at == clock.now()
    assert edited.created_at == first.created_at
    notes = store.get_call(call.id).notes
    assert [(n.id, n.text) for n in notes] == [(first.id, "first, corrected"), (second.id, "later")]
    assert store.delete_note(second.id) is True
    assert store.delete_note(second.id) is False
    assert [n.id for n in store.get_call(call.id).notes] == [first.id]


def test_notes_keep_their_order_when_timestamps_tie(store: Store) -> None:
    call = store.start_call()
    ids = [store.add_note(call.id, f"n{i}").id for i in range(5)]
    assert [n.id for n in store.get_call(call.id).notes] == ids


def test_note_timestamps_can_be_given(store: Store, clock: FakeClock) -> None:
    call = store.start_call()
    when = clock.now() + timedelta(seconds=5)
    note = store.add_note(call.id, "typed earlier", at=when)
    assert store.get_call(call.id).notes[0].created_at == when == note.created_at
    later = when + timedelta(minutes=1)
    assert store.edit_note(note.id, "x", at=later).edited_at == later


def test_writes_to_missing_calls_and_notes_raise_not_found(store: Store) -> None:
    for action in (
        lambda: store.save_draft(42, "x"),
        lambda: store.add_note(42, "x"),
        lambda: store.edit_note(42, "x"),
        lambda: store.end_call(42),
        lambda: store.set_outcome(42, Outcome.FINE),
        lambda: store.get_call(42),
        lambda: store.save_checklist_answer(42, "blame", True),
    ):
        with pytest.raises(NotFound) as caught:
            action()
        assert isinstance(caught.value, LookupError)
        assert caught.value.next_step


def test_end_call_keeps_a_leftover_draft_as_the_last_note(store: Store, clock: FakeClock) -> None:
    call = store.start_call()
    store.add_note(call.id, "entered")
    store.save_draft(call.id, "never entered")
    clock.advance(60)
    ended = store.end_call(call.id)
    assert ended.ended_at == clock.now()
    assert ended.draft == ""
    assert [n.text for n in ended.notes] == ["entered", "never entered"]
    clock.advance(60)
    again = store.end_call(call.id)
    assert again.ended_at == ended.ended_at
    assert len(again.notes) == 2


def test_set_outcome_and_recent_outcomes(store: Store, clock: FakeClock) -> None:
    outcomes = [Outcome.FINE, Outcome.BAD, None, Outcome.ABUSIVE]
    for outcome in outcomes:
        call = store.start_call()
        if outcome is not None:
            store.set_outcome(call.id, outcome, reason="why")
        clock.advance(60)
    assert store.recent_outcomes(10) == [Outcome.ABUSIVE, Outcome.BAD, Outcome.FINE]
    assert store.recent_outcomes(2) == [Outcome.ABUSIVE, Outcome.BAD]
    assert store.recent_outcomes(10, since=clock.now() - timedelta(seconds=150)) == [
        Outcome.ABUSIVE
    ]
    last = store.list_calls(1)[0]
    assert store.get_call(last.id).outcome_reason == "why"
    store.set_outcome(last.id, None)
    assert store.get_call(last.id).outcome is None


def test_open_call_is_the_newest_unended_call(store: Store, clock: FakeClock) -> None:
    assert store.open_call() is None
    older = store.start_call("older")
    clock.advance(60)
    newer = store.start_call("newer")
    open_call = store.open_call()
    assert open_call is not None and open_call.id == newer.id
    store.end_call(newer.id)
    open_call = store.open_call()
    assert open_call is not None and open_call.id == older.id
    store.end_call(older.id)
    assert store.open_call() is None


def test_open_call_after_close_is_exactly_what_was_there(db_path: Path, clock: FakeClock) -> None:
    with Store.open(db_path, clock) as store:
        call = store.start_call("Ann", "+44 151", "T-1")
        store.update_call(call.id, tags=["vpn"])
        store.add_note(call.id, "line one")
        clock.advance(5)
        store.add_note(call.id, "line two")
        store.save_draft(call.id, "half-typ")
        before = store.get_call(call.id)
    with Store.open(db_path, clock) as store:
        restored = store.open_call()
    assert restored == before
    assert restored.draft == "half-typ"
    assert [n.text for n in restored.notes] == ["line one", "line two"]


CRASHING_CHILD = """
import os, sys
from pathlib import Path
from calldesk.core.clock import FakeClock
from calldesk.core.db.store import Store
store = Store.open(Path(sys.argv[1]), FakeClock())
call = store.start_call("Crash Caller", "+1 555 0100", "T-9")
store.add_note(call.id, "first")
store.add_note(call.id, "second")
store.save_draft(call.id, "half-typed")
print(call.id, flush=True)
os._exit(9)  # killed: no close, no checkpoint, the lock is never released by us
"""


def test_open_call_comes_back_after_the_process_is_killed(db_path: Path, clock: FakeClock) -> None:
    result = run_child(CRASHING_CHILD, str(db_path))
    assert result.returncode == 9, result.stderr
    call_id = int(result.stdout.strip())
    with Store.open(db_path, clock) as store:  # the dead process's lock is gone
        restored = store.open_call()
    assert restored is not None
    assert restored.id == call_id
    assert (restored.caller_name, restored.caller_number, restored.ticket) == (
        "Crash Caller",
        "+1 555 0100",
        "T-9",
    )
    assert [n.text for n in restored.notes] == ["first", "second"]
    assert restored.draft == "half-typed"


def test_list_calls_newest_first_with_previews(store: Store, clock: FakeClock) -> None:
    ids = []
    for i in range(5):
        call = store.start_call(f"caller {i}", ticket=f"T-{i}")
        ids.append(call.id)
        for j in range(i):
            store.add_note(call.id, f"call {i} note {j} " + "x" * 300)
        clock.advance(60)
    calls = store.list_calls()
    assert [c.id for c in calls] == ids[::-1]
    newest = calls[0]
    assert newest.note_count == 4
    assert newest.first_note.startswith("call 4 note 0 ")
    assert len(newest.first_note) == store_module.PREVIEW_CHARS
    assert calls[-1].note_count == 0 and calls[-1].first_note == ""
    assert [c.id for c in store.list_calls(limit=2, offset=1)] == ids[3:1:-1]
    assert newest.display_caller() == "caller 4" and newest.is_open


# -- search ---------------------------------------------------------------------------------


def fill_for_search(store: Store, clock: FakeClock) -> dict[str, int]:
    ids = {}
    refund = store.start_call("Zoë Müller", "+44 151 234 5678", "INC-1001")
    store.add_note(refund.id, "Wants a refund for the router")
    ids["refund"] = refund.id
    clock.advance(60)
    hostile = store.start_call("Bob", "0800 123", "INC-2002")
    store.add_note(
        hostile.id,
        'Do NOT reboot AND unplug: cable "blue" -- see *manual* (section-3) OR ask NEAR desk',
    )
    ids["hostile"] = hostile.id
    clock.advance(60)
    printer = store.start_call("Carol", "sip:4471@pbx", "INC-3003")
    store.add_note(printer.id, "Printer jammed")
    store.add_note(printer.id, "router blinking too")
    ids["printer"] = printer.id
    return ids


def test_search_by_prefix_across_fields(search_store: Store, clock: FakeClock) -> None:
    ids = fill_for_search(search_store, clock)

    def found(query: str) -> list[int]:
        return [c.id for c in search_store.search_calls(query)]

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
    assert len(search_store.search_calls("router", limit=1)) == 1


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
    search_store: Store, clock: FakeClock, query: str
) -> None:
    ids = fill_for_search(search_store, clock)
    results = [c.id for c in search_store.search_calls(query)]
    if not re.search(r"[^\W_]", query):
        assert results == []  # nothing to search for, and no syntax error either
    elif search_store.search_mode == "fts5":
        assert results == [ids["hostile"]]
    else:
        assert ids["hostile"] in results  # LIKE matches inside words: "or" is in "router"


def test_search_after_edits_and_deletes(search_store: Store) -> None:
    call = search_store.start_call("Dave")
    note = search_store.add_note(call.id, "modem replaced")
    search_store.edit_note(note.id, "switch replaced")
    assert search_store.search_calls("modem") == []
    assert [c.id for c in search_store.search_calls("switch")] == [call.id]
    search_store.delete_note(note.id)
    assert search_store.search_calls("switch") == []
    search_store.update_call(call.id, caller_name="Erin")
    assert search_store.search_calls("dave") == []
    assert [c.id for c in search_store.search_calls("erin")] == [call.id]


def test_search_index_catches_up_after_running_without_fts5(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db_path, clock) as store:
        assert store.search_mode == "fts5"
        before = store.start_call("Frank")
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "_fts5_available", lambda db: False)
        with Store.open(db_path, clock) as store:
            assert store.search_mode == "like"
            during = store.start_call("Grace")
            store.add_note(during.id, "walrus sighting")
            store.update_call(before.id, caller_name="Frankie")
            assert [c.id for c in store.search_calls("walr")] == [during.id]
    with Store.open(db_path, clock) as store:
        assert store.search_mode == "fts5"
        assert [c.id for c in store.search_calls("walr")] == [during.id]
        assert [c.id for c in store.search_calls("frankie")] == [before.id]


def test_calls_by_number_matches_any_formatting(store: Store, clock: FakeClock) -> None:
    first = store.start_call(caller_number="+44 151 234 5678")
    clock.advance(60)
    second = store.start_call(caller_number='"Ann" <sip:0044151-234-5678@pbx.example;user=phone>')
    clock.advance(60)
    store.start_call(caller_number="+44 151 234 5679")
    assert [c.id for c in store.calls_by_number("tel:+441512345678")] == [second.id, first.id]
    assert [c.id for c in store.calls_by_number("441512345678", limit=1)] == [second.id]
    assert store.calls_by_number("") == []
    assert store.calls_by_number("+1 999") == []


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


def test_a_missed_call_is_recorded_as_it_rang(store: Store, clock: FakeClock) -> None:
    rang = clock.now()
    clock.advance(20)
    call = store.record_missed_call("Ann", "anonymous", rang_at=rang)
    assert (call.started_at, call.ended_at) == (rang, clock.now())
    assert call.missed and call.answered_at is None and call.outcome is None
    assert store.calls_by_number("anonymous") == []
    assert store.list_calls()[0].missed


def test_a_ringing_call_is_answered_once(store: Store, clock: FakeClock) -> None:
    call = store.start_call(caller_number="1001", answered=False)
    assert call.answered_at is None and store.get_call(call.id).answered_at is None
    clock.advance(5)
    answered = clock.now()
    store.mark_answered(call.id)
    clock.advance(5)
    store.mark_answered(call.id)
    assert store.get_call(call.id).answered_at == answered
    assert store.start_call().answered_at is not None  # opened by hand: answered as it opens
    with pytest.raises(NotFound):
        store.mark_answered(404)


def test_only_a_call_nobody_wrote_in_can_be_deleted(store: Store) -> None:
    empty = store.start_call(caller_number="1001", answered=False)
    assert store.delete_untouched_call(empty.id)
    with pytest.raises(NotFound):
        store.get_call(empty.id)
    for write in (
        lambda call_id: store.add_note(call_id, "note"),
        lambda call_id: store.save_draft(call_id, "draft"),
        lambda call_id: store.update_call(call_id, ticket="T-1"),
        lambda call_id: store.save_checklist_answer(call_id, "kb", True, skipped=False),
        lambda call_id: store.end_call(call_id),
    ):
        call = store.start_call(caller_number="1001", answered=False)
        write(call.id)
        assert not store.delete_untouched_call(call.id)
        assert store.get_call(call.id).id == call.id


def test_ending_a_call_as_missed(store: Store) -> None:
    call = store.start_call(caller_number="1001", answered=False)
    ended = store.end_call(call.id, missed=True)
    assert ended.missed and ended.ended_at is not None
    assert not store.end_call(store.start_call().id).missed


# -- export iteration -----------------------------------------------------------------------


def test_iter_calls_in_range_with_notes(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "ITER_BATCH", 3)  # several batches, and an exact multiple
    start = clock.now()
    made: list[Call] = []
    for i in range(9):
        call = store.start_call(f"c{i}")
        for j in range(i % 3):
            store.add_note(call.id, f"c{i} n{j}")
        made.append(store.get_call(call.id))
        clock.advance(minutes=10)
    assert list(store.iter_calls()) == made
    window = list(store.iter_calls(start + timedelta(minutes=20), start + timedelta(minutes=50)))
    assert window == made[2:5]
    assert list(store.iter_calls(since=start + timedelta(minutes=80))) == made[-1:]
    assert list(store.iter_calls(until=start)) == []


def test_iter_calls_ten_thousand_calls_without_a_query_per_call(
    store: Store, clock: FakeClock
) -> None:
    started = time.perf_counter()
    with store.batch():
        for i in range(10_000):
            call = store.start_call(f"Caller {i}", f"+44 151 {i:07d}", f"T-{i}")
            for j in range(5):
                clock.advance(1)
                store.add_note(call.id, f"note {j} for call {i}: router reboot refund")
            store.end_call(call.id)
    inserted = time.perf_counter()
    statements: list[str] = []
    store._connection().set_trace_callback(statements.append)
    count = notes = 0
    for call in store.iter_calls():
        count += 1
        notes += len(call.notes)
    finished = time.perf_counter()
    store._connection().set_trace_callback(None)
    assert (count, notes) == (10_000, 50_000)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 2 * (10_000 // store_module.ITER_BATCH + 1)
    print(
        f"\n10k calls x 5 notes: insert {inserted - started:.2f} s,"
        f" iter_calls {finished - inserted:.2f} s"
    )
    assert finished - inserted < 2.0


def test_note_writes_are_fast(store: Store) -> None:
    call = store.start_call()
    drafts: list[float] = []
    notes: list[float] = []
    for i in range(300):
        before = time.perf_counter()
        store.save_draft(call.id, "typing " * (i % 40))
        between = time.perf_counter()
        store.add_note(call.id, f"note {i}")
        drafts.append(between - before)
        notes.append(time.perf_counter() - between)
    print(
        f"\nsave_draft median {statistics.median(drafts) * 1000:.3f} ms,"
        f" add_note median {statistics.median(notes) * 1000:.3f} ms"
    )
    assert statistics.median(drafts) < 0.005
    assert statistics.median(notes) < 0.005


# -- phrases used ---------------------------------------------------------------------------


def test_phrase_use_counts_and_unfilled_placeholders(store: Store, clock: FakeClock) -> None:
    first = store.start_call()
    second = store.start_call()
    store.record_phrase_use("apology", first.id, "insert", {"customer": False, "agent": True})
    store.record_phrase_use("hold", first.id, "copy")
    store.record_phrase_use("apology", first.id, "copy", {"customer": True})
    clock.advance(hours=2)
    cutoff = clock.now()
    store.record_phrase_use("apology", second.id, "insert", {"customer": False})
    store.record_phrase_use("transfer", None, "copy", {"ticket": False, "customer": False})
    assert store.phrase_use_counts() == {"apology": 3, "hold": 1, "transfer": 1}
    assert store.phrase_use_counts(since=cutoff) == {"apology": 1, "transfer": 1}
    assert store.unfilled_placeholder_counts() == {
        ("apology", "customer"): 2,
        ("transfer", "customer"): 1,
        ("transfer", "ticket"): 1,
    }
    assert store.unfilled_placeholder_counts(since=cutoff + timedelta(seconds=1)) == {}
    assert store.phrases_used(first.id) == ["apology", "hold"]
    assert store.phrases_used(second.id) == ["apology"]
    with pytest.raises(ValueError, match="action"):
        store.record_phrase_use("apology", first.id, "paste")


# -- checklist answers and permanent fixes --------------------------------------------------


def test_checklist_answers_round_trip(store: Store, clock: FakeClock) -> None:
    call = store.start_call()
    store.save_checklist_answer(call.id, "blame", True)
    store.save_checklist_answer(call.id, "quick", "rebooted the router")
    store.save_checklist_answer(call.id, "kind", "billing")
    clock.advance(10)
    store.save_checklist_answer(call.id, "skipme", None, skipped=True)
    store.save_checklist_answer(call.id, "blame", False)  # answered again: replaces
    answers = store.checklist_answers(call.id)
    assert {k: (a.value, a.skipped) for k, a in answers.items()} == {
        "blame": (False, False),
        "quick": ("rebooted the router", False),
        "kind": ("billing", False),
        "skipme": (None, True),
    }
    assert answers["blame"].answered_at == clock.now()
    assert answers["quick"].answered_at == clock.now() - timedelta(seconds=10)
    assert store.checklist_answers(store.start_call().id) == {}
    with pytest.raises(ValueError, match="JSON"):
        store.save_checklist_answer(call.id, "blame", object())


def test_fix_answer_files_a_permanent_fix(store: Store, clock: FakeClock) -> None:
    call = store.start_call("Hana", "+1 555")
    fix = {"what": "Patch the VPN client", "where": "JIRA NET-12", "owner": "netops"}
    store.save_checklist_answer(call.id, "fix", fix)
    store.save_checklist_answer(call.id, "fix", fix)  # saved twice: still one fix
    [filed] = store.list_fixes()
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
    store.save_checklist_answer(call.id, "fix", {**fix, "owner": "desktop"})
    [changed] = store.list_fixes()
    assert changed.id == filed.id and changed.owner == "desktop"
    assert changed.updated_at == clock.now()
    assert store.checklist_answers(call.id)["fix"].value == {**fix, "owner": "desktop"}


def test_clearing_a_fix_withdraws_it_only_while_open(store: Store) -> None:
    call = store.start_call()
    store.save_checklist_answer(call.id, "fix", {"what": "Replace toner", "where": "", "owner": ""})
    store.save_checklist_answer(call.id, "fix", {"what": "  ", "where": "", "owner": ""})
    assert store.list_fixes(status=None) == []
    store.save_checklist_answer(call.id, "fix", {"what": "Replace toner", "where": "", "owner": ""})
    [fix] = store.list_fixes()
    store.set_fix_status(fix.id, "done")
    store.save_checklist_answer(
        call.id, "fix", {"what": "", "where": "", "owner": ""}, skipped=True
    )
    assert [f.id for f in store.list_fixes(status="done")] == [fix.id]


def test_list_fixes_by_status_and_set_status(store: Store, clock: FakeClock) -> None:
    ids = []
    for what in ("one", "two", "three"):
        call = store.start_call(caller_number="0800 1")
        store.save_checklist_answer(call.id, "fix", {"what": what, "where": "", "owner": ""})
        ids.append(store.list_fixes()[0].id)
        clock.advance(60)
    done = store.set_fix_status(ids[0], "done")
    assert done.status is FixStatus.DONE and done.updated_at == clock.now()
    assert done.caller == "0800 1"
    store.set_fix_status(ids[1], FixStatus.WONTFIX)
    assert [f.what for f in store.list_fixes()] == ["three"]
    assert [f.what for f in store.list_fixes("done")] == ["one"]
    assert [f.what for f in store.list_fixes("wontfix")] == ["two"]
    assert [f.what for f in store.list_fixes(None)] == ["three", "two", "one"]
    with pytest.raises(ValueError):
        store.set_fix_status(ids[0], "finished")
    with pytest.raises(NotFound):
        store.set_fix_status(999, "done")


def test_recent_calls_for_recurrence(store: Store, clock: FakeClock) -> None:
    old = store.start_call()
    store.update_call(old.id, tags=["vpn"])
    clock.advance(days=8)
    since = clock.now() - timedelta(days=7)
    new = store.start_call()
    store.update_call(new.id, tags=["vpn", "mfa"])
    store.save_checklist_answer(
        new.id, "fix", {"what": "Reissue MFA token", "where": "", "owner": ""}
    )
    [recent] = store.recent_calls_for_recurrence(since)
    assert (recent.call_id, recent.tags, recent.fix_texts) == (
        new.id,
        ("vpn", "mfa"),
        ("Reissue MFA token",),
    )
    assert recent.started_at == new.started_at


# -- pending events and meta ----------------------------------------------------------------


def test_pending_events_are_taken_once_and_kept(store: Store, clock: FakeClock) -> None:
    assert store.take_pending_events() == []
    first = store.add_pending_event("missed_call", {"number": "+44 151", "ä": [1, 2]})
    second = store.add_pending_event("ring", {})
    taken = store.take_pending_events()
    assert [(e.id, e.kind, e.payload) for e in taken] == [
        (first, "missed_call", {"number": "+44 151", "ä": [1, 2]}),
        (second, "ring", {}),
    ]
    assert taken[0].created_at == clock.now()
    assert store.take_pending_events() == []
    rows = store._connection().execute("SELECT count(*) FROM pending_events").fetchone()[0]
    assert rows == 2  # shown, not deleted


def test_meta(store: Store) -> None:
    assert store.get_meta("last_export") is None
    assert store.get_meta("last_export", "never") == "never"
    store.set_meta("last_export", "2026-11-24")
    store.set_meta("last_export", "2026-11-25")
    assert store.get_meta("last_export") == "2026-11-25"


# -- threads, batches, closing --------------------------------------------------------------


def test_writes_from_many_threads(store: Store) -> None:
    call = store.start_call()
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(50):
                store.add_note(call.id, f"{worker}-{i}")
                store.save_draft(call.id, f"draft {worker}")
        except BaseException as error:  # collected, and asserted empty below
            errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    texts = {note.text for note in store.get_call(call.id).notes}
    assert texts == {f"{w}-{i}" for w in range(8) for i in range(50)}


def test_batch_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.batch():
        store.start_call("in the batch")
        raise RuntimeError("boom")
    assert store.list_calls() == []
    with store.batch():
        call = store.start_call("kept")
        store.add_note(call.id, "also kept")
    assert store.get_call(call.id).notes[0].text == "also kept"


def test_closed_store_refuses_work(db_path: Path, clock: FakeClock) -> None:
    store = Store.open(db_path, clock)
    store.close()
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"):
        store.list_calls()


# -- single instance, read-only browsing, locks ---------------------------------------------


def test_second_open_in_the_same_process_is_refused(db_path: Path, clock: FakeClock) -> None:
    with Store.open(db_path, clock):
        with pytest.raises(StoreInUse) as caught:
            Store.open(db_path, clock)
        assert caught.value.pid == os.getpid()
        assert "read-only" in caught.value.next_step
    Store.open(db_path, clock).close()  # free again once the first one closed


HOLDING_CHILD = """
import sys
from pathlib import Path
from calldesk.core.clock import FakeClock
from calldesk.core.db.store import Store
store = Store.open(Path(sys.argv[1]), FakeClock())
call = store.start_call("Held", "", "")
store.add_note(call.id, "written by the first instance")
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
            Store.open(db_path, clock)
        assert caught.value.pid == child.pid
        assert str(child.pid) in str(caught.value)
        with Store.open_readonly(db_path, clock) as viewer:
            assert viewer.readonly
            assert viewer.search_mode == "fts5"
            [summary] = viewer.list_calls()
            assert summary.caller_name == "Held"
            assert [c.id for c in viewer.search_calls("written")] == [summary.id]
            assert len(list(viewer.iter_calls())) == 1
            with pytest.raises(StoreReadOnly):
                viewer.add_note(summary.id, "not allowed")
            with pytest.raises(StoreReadOnly):
                viewer.set_meta("k", "v")
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=30)
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""


def test_open_readonly_needs_an_existing_database(db_path: Path, clock: FakeClock) -> None:
    with pytest.raises(StoreUnavailable, match="no call database"):
        Store.open_readonly(db_path, clock)
    assert not db_path.exists()


def test_database_locked_by_another_program(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    store = Store.open(db_path, clock)
    call = store.start_call()
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. an sqlite3 shell in the middle of a write
        with pytest.raises(StoreLocked) as caught:
            store.add_note(call.id, "waiting")
        assert "another program" in caught.value.message
        assert store.get_call(call.id).notes == []  # reading still works meanwhile
        other.execute("ROLLBACK")
        store.add_note(call.id, "landed")
        assert [n.text for n in store.get_call(call.id).notes] == ["landed"]
    finally:
        other.close()
        store.close()


def test_open_while_another_program_holds_a_new_database(
    db_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 50)
    db_path.parent.mkdir(parents=True)
    other = sqlite3.connect(db_path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreLocked):
            Store.open(db_path, clock)
    finally:
        other.close()
    Store.open(db_path, clock).close()  # the failed open released the instance lock


# -- damaged files, unwritable folders, full disks ------------------------------------------


def test_garbage_file_is_moved_aside_and_a_fresh_database_started(
    db_path: Path, clock: FakeClock
) -> None:
    db_path.parent.mkdir(parents=True)
    garbage = b"this is not an sqlite database, it is a shopping list\n" * 200
    db_path.write_bytes(garbage)
    side(db_path, "-wal").write_bytes(b"stale wal")
    with Store.open(db_path, clock) as store:
        moved = store.recovered_from
        assert moved is not None
        assert re.fullmatch(r"calldesk\.db\.corrupt-\d{8}-\d{6}", moved.name)
        assert moved.read_bytes() == garbage
        assert side(moved, "-wal").read_bytes() == b"stale wal"
        call = store.start_call("after recovery")
        assert store.get_call(call.id).caller_name == "after recovery"
        assert mode(db_path) == 0o600


def test_damaged_pages_are_detected_and_kept(db_path: Path, clock: FakeClock) -> None:
    with Store.open(db_path, clock) as store:
        for i in range(40):
            call = store.start_call(f"caller {i}")
            for _ in range(5):
                store.add_note(call.id, "lorem ipsum dolor " * 20)
    data = bytearray(db_path.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\x5a" * (4096 * 3)
    db_path.write_bytes(bytes(data))
    with Store.open(db_path, clock) as store:
        assert store.recovered_from is not None
        assert store.recovered_from.read_bytes() == bytes(data)
        assert store.list_calls() == []
    with Store.open(db_path, clock) as store:
        assert store.recovered_from is None  # the fresh database is healthy


def test_a_second_recovery_in_the_same_second_gets_its_own_name(
    db_path: Path, clock: FakeClock
) -> None:
    moved = []
    for _ in range(2):
        db_path.parent.mkdir(parents=True, exist_ok=True)
        db_path.write_bytes(b"garbage" * 100)
        with Store.open(db_path, clock) as store:
            moved.append(store.recovered_from)
    assert moved[0] != moved[1]
    assert all(path is not None and path.exists() for path in moved)


def test_damage_found_while_running_says_what_to_do(store: Store) -> None:
    error = sqlite3.DatabaseError("database disk image is malformed")
    error.sqlite_errorname = "SQLITE_CORRUPT"  # type: ignore[attr-defined]
    translated = store_module._translate(error, store.path, readonly=False)
    assert isinstance(translated, StoreCorrupt)
    assert "Restart calldesk" in translated.next_step


def test_data_dir_that_cannot_be_created(tmp_path: Path, clock: FakeClock) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(StoreUnavailable) as caught:
        Store.open(blocker / "data" / "calldesk.db", clock)
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
            Store.open(db_path, clock)
    finally:
        db_path.parent.chmod(0o700)


def test_full_disk_is_reported_and_reads_still_work(store: Store) -> None:
    call = store.start_call()
    store.add_note(call.id, "saved before the disk filled up")
    db = store._connection()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: as if full
    with pytest.raises(StoreUnavailable, match="full") as caught:
        for _ in range(200):
            store.add_note(call.id, "x" * 4000)
    assert "Free some disk space" in caught.value.next_step
    notes = store.get_call(call.id).notes
    assert notes[0].text == "saved before the disk filled up"


def test_store_error_text_includes_the_next_step() -> None:
    error = StoreLocked("It is locked.", "Close the other program.")
    assert str(error) == "It is locked. Close the other program."
    assert (error.message, error.next_step) == ("It is locked.", "Close the other program.")
