"""SIGKILL calldesk at a random moment while notes are typed: nothing older than a second is lost.

Each run starts the real calldesk on a pseudo-terminal, opens a call with F2 and types notes key
by key (entries filed with Enter, then an unfinished draft), at a human pace with bursts, and
kills the process group with SIGKILL at a random moment. The database must then hold every
entry filed more than one second before the kill, in order and exactly as typed, a draft holding
at least everything typed more than a second before the kill, and nothing that was never typed;
and it must open cleanly (`PRAGMA integrity_check`, then `Database.open` without recovery).

Runs: `CALLDESK_CRASH_RUNS` (default 3, for CI). By hand, 100 runs take about seven minutes:
    CALLDESK_CRASH_RUNS=100 .venv/bin/pytest tests/test_crash.py
A failing run names its seed; repeat it with CALLDESK_CRASH_SEED=<seed>.
"""

from __future__ import annotations

import os
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.pty_app import PtyApp, app_env

from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.clock import SystemClock
from calldesk.core.db.journal import scan_wal
from calldesk.core.storage import Database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

RUNS = int(os.environ.get("CALLDESK_CRASH_RUNS", "3"))
SEED = os.environ.get("CALLDESK_CRASH_SEED") or str(random.SystemRandom().randrange(10**9))
PROMISE_S = 1.0
"""calldesk's promise: a kill loses at most what was typed in the last second."""

WORD_TEXT = (
    "printer tray jams again customer rebooted router vpn drops every hour refund "
    "promised by friday ticket escalated to network team café Zoë naïve déjà vu 42 "
    "error E-1043 cable swapped toner low password reset locked out (twice) 50% off"
)
WORDS = WORD_TEXT.split()


@dataclass
class Typing:
    """What was sent to the pty, and when."""

    entries: list[str] = field(default_factory=list)  # the text of each entry, in order
    key_times: list[tuple[float, int, str]] = field(default_factory=list)  # (sent, entry, key)

    def state_at(self, cutoff: float) -> tuple[int, str]:
        """(entries filed, draft typed) counting only the keys sent by `cutoff`."""
        filed, draft = 0, ""
        for sent, _, key in self.key_times:
            if sent > cutoff:
                break
            if key == "\r":
                filed, draft = filed + 1, ""
            else:
                draft += key
        return filed, draft

    def typed_of(self, entry: int) -> str:
        """Everything typed into entry `entry` (0-based), sent at any time."""
        return "".join(key for _, index, key in self.key_times if index == entry and key != "\r")


def script(rng: random.Random) -> list[str]:
    """Three to five entries of a few words; the last is never filed (the draft)."""
    return [" ".join(rng.choices(WORDS, k=rng.randint(2, 6))) for _ in range(rng.randint(3, 5))]


def type_until_killed(app: PtyApp, rng: random.Random) -> tuple[Typing, float]:
    """Type the script key by key; SIGKILL at a random moment. Returns what was sent, and when."""
    texts = script(rng)
    keys = [(index, key) for index, text in enumerate(texts) for key in [*text, "\r"]][:-1]
    # Mostly 20-ish keys a second, with fast bursts, as a person types.
    gaps = [
        rng.choice((0.01, 0.02)) if rng.random() < 0.25 else rng.uniform(0.03, 0.09) for _ in keys
    ]
    typing = Typing(entries=texts[:-1])
    start = time.monotonic()
    kill_at = start + rng.uniform(0.3, sum(gaps) + 0.6)
    due = start
    for (index, key), gap in zip(keys, gaps, strict=True):
        if due >= kill_at:
            break
        app.pump(max(0.0, due - time.monotonic()))
        os.write(app.master, key.encode())
        typing.key_times.append((time.monotonic(), index, key))
        due += gap
    app.pump(max(0.0, kill_at - time.monotonic()))
    killed = time.monotonic()
    app.kill()
    return typing, killed


def check_database(path: Path, typing: Typing, killed: float, context: str) -> None:
    filed_before, draft_before = typing.state_at(killed - PROMISE_S)
    # A kill is the normal crash: its journal replays in full, so calldesk warns of nothing.
    journal = path.with_name(path.name + "-wal")
    if journal.exists():
        assert not scan_wal(journal.read_bytes()).lost, f"{context}: the journal looks damaged"
    # The file must be sound before calldesk's own open could tidy anything up.
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)], context
    finally:
        db.close()
    store = Database.open(path, SystemClock())
    try:
        assert store.recovered_from is None, f"{context}: the database was moved aside"
        call = call_history.open_call(store)
    finally:
        store.close()
    assert call is not None, f"{context}: the open call is gone"
    notes = [note.text for note in call.notes]
    assert notes == typing.entries[: len(notes)], f"{context}: entries differ from what was typed"
    assert len(notes) >= filed_before, (
        f"{context}: {filed_before} entries were filed over a second before the kill, "
        f"{len(notes)} are stored"
    )
    typed = typing.typed_of(len(notes))
    assert typed.startswith(call.draft), f"{context}: draft {call.draft!r} was never typed"
    if len(notes) == filed_before:
        assert call.draft.startswith(draft_before), (
            f"{context}: draft {call.draft!r} lacks {draft_before!r}, typed over a second before"
        )


@pytest.mark.slow
@pytest.mark.parametrize("run", range(RUNS))
def test_sigkill_while_typing_loses_nothing_typed_over_a_second_before(
    run: int, private_dirs: Path
) -> None:
    rng = random.Random(f"{SEED}-{run}")
    context = f"run {run}, CALLDESK_CRASH_SEED={SEED}"
    app = PtyApp(app_env(private_dirs))
    try:
        assert app.wait_for("NO CALL", timeout=30), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
    except BaseException:
        app.kill()
        raise
    typing, killed = type_until_killed(app, rng)  # always ends with the kill
    check_database(private_dirs / "data" / "calldesk" / "calldesk.db", typing, killed, context)


def fake_typing() -> Typing:
    """Entry "one" filed at 0.1 s, then "tw" of entry "two" typed by 0.3 s."""
    typing = Typing(entries=["one", "two"])
    for sent, index, key in [
        (0.00, 0, "o"), (0.03, 0, "n"), (0.06, 0, "e"), (0.10, 0, "\r"),
        (0.20, 1, "t"), (0.30, 1, "w"),
    ]:  # fmt: skip
        typing.key_times.append((sent, index, key))
    return typing


@pytest.mark.parametrize(
    ("notes", "draft", "lost"),
    [
        (["one"], "tw", None),  # everything there
        (["one"], "t", None),  # the last key was typed less than a second before the kill
        ([], "", "entries were filed"),  # the filed entry is lost
        (["one"], "", "lacks 't'"),  # the draft lost a key typed over a second before
        (["one!"], "tw", "entries differ"),  # an entry changed
        (["one"], "twx", "never typed"),  # a draft holds something never typed
    ],
)
def test_the_check_catches_every_kind_of_loss(
    notes: list[str], draft: str, lost: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "calldesk.db"
    with Database.open(path, SystemClock()) as store:
        call = call_records.start_call(store)
        for text in notes:
            call_records.add_note(store, call.id, text)
        call_records.save_draft(store, call.id, draft)
    killed = 0.30 + PROMISE_S - 0.05  # "t" (0.20 s) is over a second old, "w" (0.30 s) is not
    if lost is None:
        check_database(path, fake_typing(), killed, "fake")
    else:
        with pytest.raises(AssertionError, match=lost):
            check_database(path, fake_typing(), killed, "fake")
