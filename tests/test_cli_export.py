"""`calldesk export` run for real as a subprocess: selection, outputs, overwriting, redaction."""

from __future__ import annotations

import os
import pty
import select
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Outcome
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database, StoreInUse

DAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def calldesk(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", "--data-dir", str(data_dir), "export", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def front_matter(document: str) -> dict[str, object]:
    assert document.startswith("---\n")
    data = yaml.safe_load(document[4 : document.index("\n---\n", 3) + 1])
    assert isinstance(data, dict)
    return data


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[Database]:
    opened = Database.open(data_dir / "calldesk.db", FakeClock(DAY))
    yield opened
    opened.close()


def add_call(store: Database, at: datetime, name: str, notes: tuple[str, ...] = ()) -> int:
    call = call_records.start_call(store, name, "+44 20 7946 0958", "T-1234", at=at)
    for index, text in enumerate(notes):
        call_records.add_note(store, call.id, text, at=at + timedelta(seconds=10 * (index + 1)))
    call_records.end_call(store, call.id, at=at + timedelta(minutes=4))
    return call.id


@pytest.fixture
def three_days(store: Database) -> list[int]:
    """Calls on 23, 24 (two) and 25 November 2026; the store is then closed."""
    ids = [
        add_call(store, DAY - timedelta(days=1), "Yvonne"),
        add_call(store, DAY, "Ann O'Brien", ("Printer offline", "# still offline")),
        add_call(store, DAY + timedelta(hours=3), "Bob"),
        add_call(store, DAY + timedelta(days=1), "Zed"),
    ]
    call_records.set_outcome(store, ids[1], Outcome.BAD, "shouted")
    save_answer(store, ids[1], "blame", "It was on us, and I said so.")
    save_answer(store, ids[1], "permanent-fix", {"what": "New print server", "owner": "Sam"})
    store.close()
    return ids


# -- selection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "choose which calls to export: --call ID, --today, --since DATE"),
        (("--all", "--today"), "choose only one selection (got --today and --all)"),
        (("--call", "1", "--since", "2026-11-24"), "(got --call and --since)"),
        (("--until", "2026-11-24"), "choose which calls to export"),
        (("--all", "--until", "2026-11-24"), "--until needs --since"),
        (("--since", "24/11/2026"), "--since expects a date as YYYY-MM-DD"),
        (("--since", "2026-02-30"), "--since expects a date as YYYY-MM-DD"),
        (("--since", "2026-11-24", "--until", "2026-11-23"), "--until 2026-11-23 is before"),
    ],
)
def test_selection_errors(
    data_dir: Path, three_days: list[int], args: tuple[str, ...], message: str
) -> None:
    result = calldesk(data_dir, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.startswith("calldesk: error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_call_id(data_dir: Path, three_days: list[int]) -> None:
    result = calldesk(data_dir, "--call", str(three_days[0]), "--call", "99", "--call", "98")
    assert result.returncode == 1
    assert "no calls 99, 98 in" in result.stderr
    assert result.stdout == ""


def test_no_database_yet(data_dir: Path) -> None:
    result = calldesk(data_dir, "--all")
    assert result.returncode == 1
    assert f"no calls stored yet in {data_dir / 'calldesk.db'}" in result.stderr
    assert not data_dir.exists()  # export never creates a database


def test_nothing_selected(data_dir: Path, three_days: list[int]) -> None:
    result = calldesk(data_dir, "--since", "2027-01-01", "-o", str(data_dir.parent / "out/"))
    assert result.returncode == 0
    assert "no calls for since 2027-01-01; nothing exported" in result.stderr
    assert not (data_dir.parent / "out").exists()


def test_one_call_to_stdout(data_dir: Path, three_days: list[int]) -> None:
    result = calldesk(data_dir, "--call", str(three_days[1]))
    assert result.returncode == 0, result.stderr
    data = front_matter(result.stdout)
    assert data["id"] == three_days[1]
    assert data["caller"] == "Ann O'Brien"
    assert data["outcome"] == "bad"
    assert "- **09:00:20** \\# still offline" in result.stdout
    # Labels come from the checklist the app uses (the bundled one here).
    assert "Was any of it on us?" in result.stdout
    assert "It was on us, and I said so." in result.stdout
    assert "- **What:** New print server" in result.stdout
    assert result.stderr == "calldesk: exported 1 call to standard output\n"


def test_since_until_is_inclusive_local_days(data_dir: Path, three_days: list[int]) -> None:
    result = calldesk(data_dir, "--since", "2026-11-24", "--until", "2026-11-24")
    assert result.returncode == 0, result.stderr
    data = front_matter(result.stdout)
    assert data["count"] == 2
    assert data["filters"] == {"since": "2026-11-24", "until": "2026-11-24"}
    assert [line for line in result.stdout.splitlines() if line.startswith("# ")] == [
        "# Call with Ann O'Brien — 2026-11-24 09:00",
        "# Call with Bob — 2026-11-24 12:00",
    ]
    since = calldesk(data_dir, "--since", "2026-11-24")
    assert front_matter(since.stdout)["count"] == 3


def test_days_follow_the_local_time_zone(data_dir: Path, store: Database) -> None:
    # 03:30 UTC on the 25th is still the evening of the 24th in New York.
    late = add_call(store, datetime(2026, 11, 25, 3, 30, tzinfo=UTC), "Late")
    store.close()
    new_york = calldesk(
        data_dir, "--since", "2026-11-24", "--until", "2026-11-24", env={"TZ": "America/New_York"}
    )
    assert front_matter(new_york.stdout)["count"] == 1
    assert "# Call with Late — 2026-11-24 22:30" in new_york.stdout
    utc = calldesk(data_dir, "--since", "2026-11-24", "--until", "2026-11-24")
    assert (utc.returncode, utc.stdout) == (0, "")
    assert "no calls for 2026-11-24 to 2026-11-24; nothing exported" in utc.stderr
    next_day = calldesk(data_dir, "--since", "2026-11-25", "--until", "2026-11-25")
    assert "# Call with Late — 2026-11-25 03:30" in next_day.stdout
    one = calldesk(data_dir, "--call", str(late), env={"TZ": "America/New_York"})
    assert front_matter(one.stdout)["started"] == "2026-11-24T22:30:00-05:00"


def test_today(data_dir: Path, store: Database) -> None:
    now = datetime.now(UTC)
    add_call(store, now - timedelta(days=2), "Old")
    add_call(store, now, "Fresh")
    store.close()
    result = calldesk(data_dir, "--today")
    assert result.returncode == 0, result.stderr
    data = front_matter(result.stdout)
    assert data["count"] == 1
    assert data["filters"] == {"since": now.date().isoformat(), "until": now.date().isoformat()}
    assert "# Call with Fresh" in result.stdout


# -- outputs --------------------------------------------------------------------------------


def test_output_file_is_private_and_never_overwritten(
    tmp_path: Path, data_dir: Path, three_days: list[int]
) -> None:
    target = tmp_path / "reports" / "all.md"
    first = calldesk(data_dir, "--all", "-o", str(target))
    assert first.returncode == 0, first.stderr
    assert first.stdout == ""
    assert first.stderr == f"calldesk: exported 4 calls to {target}\n"
    assert mode(target) == 0o600
    document = target.read_text(encoding="utf-8")
    assert front_matter(document)["count"] == 4
    assert document.count("\n# Call with ") == 4

    target.write_text("my own notes", encoding="utf-8")
    again = calldesk(data_dir, "--all", "-o", str(target))
    assert again.returncode == 1
    assert f"{target} already exists; use --force" in again.stderr
    assert target.read_text(encoding="utf-8") == "my own notes"

    forced = calldesk(data_dir, "--all", "-o", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert front_matter(target.read_text(encoding="utf-8"))["count"] == 4
    assert mode(target) == 0o600


def test_output_dir_one_file_per_call(
    tmp_path: Path, data_dir: Path, three_days: list[int]
) -> None:
    out = tmp_path / "exports"
    result = calldesk(data_dir, "--all", "-o", f"{out}/")
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"calldesk: exported 4 calls to {out}/\n"
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        f"2026-11-23_0900_yvonne_{three_days[0]}.md",
        f"2026-11-24_0900_ann-o-brien_{three_days[1]}.md",
        f"2026-11-24_1200_bob_{three_days[2]}.md",
        f"2026-11-25_0900_zed_{three_days[3]}.md",
    ]
    assert mode(out) == 0o700
    for path in out.iterdir():
        assert mode(path) == 0o600
        assert front_matter(path.read_text(encoding="utf-8"))["id"] == int(
            path.stem.rsplit("_", 1)[1]
        )
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_existing_dir_without_slash_and_no_overwrite(
    tmp_path: Path, data_dir: Path, three_days: list[int]
) -> None:
    out = tmp_path / "exports"
    out.mkdir(mode=0o755)
    out.chmod(0o755)
    taken = out / f"2026-11-24_1200_bob_{three_days[2]}.md"
    taken.write_text("keep me", encoding="utf-8")

    refused = calldesk(data_dir, "--since", "2026-11-24", "-o", str(out))
    assert refused.returncode == 1
    assert f"{taken} already exists; use --force to overwrite" in refused.stderr
    assert sorted(p.name for p in out.iterdir()) == [taken.name]  # nothing half written
    assert taken.read_text(encoding="utf-8") == "keep me"

    forced = calldesk(data_dir, "--since", "2026-11-24", "-o", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(list(out.iterdir())) == 3
    assert front_matter(taken.read_text(encoding="utf-8"))["caller"] == "Bob"
    assert mode(taken) == 0o600
    assert mode(out) == 0o755  # a folder the user already had is left as it was


def test_unwritable_targets(tmp_path: Path, data_dir: Path, three_days: list[int]) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    into_file = calldesk(data_dir, "--all", "-o", str(blocker / "all.md"))
    assert into_file.returncode == 1
    assert f"cannot write {blocker / 'all.md'}" in into_file.stderr
    as_dir = calldesk(data_dir, "--all", "-o", f"{blocker}/")
    assert as_dir.returncode == 1
    assert f"{blocker} is a file, not a folder" in as_dir.stderr
    assert "Traceback" not in into_file.stderr + as_dir.stderr


def test_redact(tmp_path: Path, data_dir: Path, store: Database) -> None:
    call = call_records.start_call(store, "", "+44 20 7946 0958", "mail ann@example.com", at=DAY)
    call_records.add_note(
        store, call.id, "card 4111 1111 1111 1111, call back on (555) 123-4567 at 09:41"
    )
    call_records.set_outcome(store, call.id, Outcome.BAD, "gave out ann@example.com")
    save_answer(store, call.id, "quick-fix", "rang 07700 900123")
    save_answer(store, call.id, "permanent-fix", {"what": "email ops@example.com", "owner": "Sam"})
    store.close()

    secrets = ("7946", "ann@example.com", "4111", "123-4567", "900123", "ops@example.com")
    plain = calldesk(data_dir, "--all")
    assert all(secret in plain.stdout for secret in secrets)

    stdout = calldesk(data_dir, "--all", "--redact")
    assert stdout.returncode == 0, stdout.stderr
    assert not [secret for secret in secrets if secret in stdout.stdout]
    assert "card \\[card\\], call back on \\[phone\\] at 09:41" in stdout.stdout
    assert front_matter(stdout.stdout)["redacted"] is True
    assert stdout.stderr.endswith("to standard output, redacted\n")

    out = tmp_path / "redacted"
    to_dir = calldesk(data_dir, "--all", "--redact", "-o", f"{out}/")
    assert to_dir.returncode == 0, to_dir.stderr
    [path] = out.iterdir()
    assert path.name == f"2026-11-24_0900_phone_{call.id}.md"  # the number is not in the name
    text = path.read_text(encoding="utf-8")
    assert not [secret for secret in secrets if secret in text]
    data = front_matter(text)
    assert (data["number"], data["ticket"], data["outcome_reason"]) == (
        "[phone]",
        "mail [email]",
        "gave out [email]",
    )


def test_export_while_the_app_holds_the_store(data_dir: Path, three_days: list[int]) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path;"
            "from calldesk.core.clock import SystemClock;"
            "from calldesk.core.storage import Database;"
            "from calldesk.core.calls.records import add_note;"
            "s = Database.open(Path(sys.argv[1]), SystemClock());"
            "add_note(s, 1, 'written by the running app');"
            "print('ready', flush=True); sys.stdin.read()",
            str(data_dir / "calldesk.db"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        # The lock really is held: a second writer is refused.
        with pytest.raises(StoreInUse, match="already running"):
            Database.open(data_dir / "calldesk.db", FakeClock(DAY))
        result = calldesk(data_dir, "--call", "1")
        assert result.returncode == 0, result.stderr
        assert "written by the running app" in result.stdout
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


def test_progress_bar_only_on_a_terminal(tmp_path: Path, data_dir: Path, store: Database) -> None:
    with store.batch():
        for index in range(250):
            call_records.start_call(store, f"Caller {index}", at=DAY + timedelta(minutes=index))
    store.close()

    piped = calldesk(data_dir, "--all", "-o", str(tmp_path / "piped.md"))
    assert piped.stderr == f"calldesk: exported 250 calls to {tmp_path / 'piped.md'}\n"

    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "calldesk",
                "--data-dir",
                str(data_dir),
                "export",
                "--all",
                "-o",
                str(tmp_path / "tty.md"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=terminal,
            env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
        )
        os.close(terminal)
        seen = b""
        while True:
            ready, _, _ = select.select([controller], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the other end closed
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=60) == 0
    finally:
        os.close(controller)
    shown = seen.decode("utf-8", "replace")
    assert "exporting" in shown
    assert "100%" in shown
    assert "exported 250 calls" in shown


def test_redact_masks_text_as_agents_paste_it_and_the_number_field_everywhere(
    tmp_path: Path, data_dir: Path, store: Database
) -> None:
    call = call_records.start_call(store, "", "sip:1001@pbx.example", "", at=DAY)
    pasted = (
        "cc4111111111111111, card 4111\u00a01111\u00a01111\u00a01111, 4111_1111_1111_1111;"
        " Tel+44 20 7946 0958, 030/12345678, IBAN DE89 3704 0044 0532 0130 00,"
        " pat@localhost, pat\uff20example.com; back on ext 1001; T-1234-5678 at 09:41"
    )
    call_records.add_note(store, call.id, pasted)
    call_records.end_call(store, call.id, at=DAY + timedelta(minutes=2))
    store.close()

    out = tmp_path / "redacted"
    result = calldesk(data_dir, "--call", str(call.id), "--redact", "-o", f"{out}/")
    assert result.returncode == 0, result.stderr
    [path] = out.iterdir()
    assert path.name == f"2026-11-24_0900_phone_{call.id}.md"
    text = path.read_text(encoding="utf-8")
    for secret in ("1001", "4111", "7946", "12345678", "3704", "pat", "DE89"):
        assert secret not in text, secret
    assert front_matter(text)["number"] == "[phone]"
    assert "# Call with \\[phone\\] — " in text
    assert "back on ext \\[phone\\]; T-1234-5678 at 09:41" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "0001-01-01"), "--since expects a date from 1900-01-01 to 9998-12-31"),
        (("--since", "2026-11-01", "--until", "9999-12-31"), "--until expects a date from"),
        (("--since", "9999-12-31"), "--since expects a date from 1900-01-01 to 9998-12-31"),
        (("--call", "99999999999999999999999"), "argument --call: a call id is from 1 to"),
        (("--call", "0"), "argument --call: a call id is from 1 to"),
        (("--call", "-5"), "argument --call: a call id is from 1 to"),
    ],
)
def test_out_of_range_options_are_a_usage_error_not_a_crash(
    three_days: list[int], data_dir: Path, private_dirs: Path, args: tuple[str, ...], message: str
) -> None:
    result = calldesk(data_dir, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert not list(private_dirs.rglob("crash.log"))


def test_stats_since_out_of_range_is_a_usage_error(data_dir: Path, private_dirs: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "calldesk",
            "--data-dir",
            str(data_dir),
            "phrases",
            "stats",
            "--since",
            "0001-01-01",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "--since expects a date from 1900-01-01 to 9998-12-31" in result.stderr
    assert not list(private_dirs.rglob("crash.log"))


class _Spy:
    """Stands in for sys.stdout: records how many calls had been read at each write."""

    def __init__(self, read: list[int]) -> None:
        self.read = read
        self.writes: list[tuple[int, bytes]] = []
        self.buffer = self

    def write(self, data: bytes | str) -> int:
        self.writes.append((self.read[0], data if isinstance(data, bytes) else data.encode()))
        return len(data)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small read batches, and a count of the calls the export has read so far."""
    monkeypatch.setattr(call_history, "ITER_BATCH", 2)
    read = [0]
    original = call_history.iter_calls

    def iter_calls(*args, **kwargs):  # type: ignore[no-untyped-def]
        for call in original(*args, **kwargs):
            read[0] += 1
            yield call

    monkeypatch.setattr(call_history, "iter_calls", iter_calls)
    return read


@pytest.fixture
def twenty_calls(store: Database, data_dir: Path) -> Path:
    for index in range(20):
        add_call(store, DAY + timedelta(minutes=10 * index), f"Caller {index}", ("a note",))
    store.close()
    return data_dir


def test_export_all_to_stdout_streams_call_by_call(
    twenty_calls: Path, counted_reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.cli.main import main

    spy = _Spy(counted_reads)
    monkeypatch.setattr(sys, "stdout", spy)
    assert main(["--data-dir", str(twenty_calls), "export", "--all"]) == 0
    document = b"".join(data for _, data in spy.writes).decode()
    assert document.count("\n# ") == 20 and "count: 20" in document
    first_call = next(read for read, data in spy.writes if b"Caller 0" in data)
    assert first_call < 20, "the first call was written only after every call was read"


def test_export_all_to_a_file_streams_and_still_writes_safely(
    twenty_calls: Path, counted_reads: list[int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.cli.main import main
    from calldesk.core import files

    writes: list[int] = []
    original = files._write_all
    monkeypatch.setattr(
        files, "_write_all", lambda fd, data: (writes.append(counted_reads[0]), original(fd, data))
    )
    out = tmp_path / "out" / "all.md"
    out.parent.mkdir()
    assert main(["--data-dir", str(twenty_calls), "export", "--all", "-o", str(out)]) == 0
    assert out.read_text().count("\n# ") == 20
    assert mode(out) == 0o600
    assert min(writes) < 20, "nothing was written before every call was read"
    assert [path.name for path in out.parent.iterdir()] == ["all.md"]


def test_an_export_that_fails_half_way_leaves_no_file(
    twenty_calls: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from calldesk.cli.main import main
    from calldesk.core.export import markdown

    original = markdown._body
    done = [0]

    def body(record):  # type: ignore[no-untyped-def]
        done[0] += 1
        if done[0] == 10:
            raise OSError(5, "Input/output error")
        return original(record)

    monkeypatch.setattr(markdown, "_body", body)
    out = tmp_path / "out" / "all.md"
    out.parent.mkdir()
    assert main(["--data-dir", str(twenty_calls), "export", "--all", "-o", str(out)]) != 0
    assert list(out.parent.iterdir()) == []
