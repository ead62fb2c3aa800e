"""Every command that writes a file, run for real with links and other users' files planted."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from calldesk import paths
from calldesk.core.calls import records as call_records
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database

FIXTURES = Path(__file__).parent / "fixtures" / "espanso"
DAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OTHER_UID = 54321
"""Not our uid: tests run as root, so a file chowned to it is another user's."""
PLANTED = ("planted0", "planted1", "planted2")
"""The random parts the patched writer draws first (see `run_patched`)."""

# The real command line, with the writer's random temp names made predictable, so a test can
# plant something at every name the writer will try.
_PATCHED = """\
import itertools, sys
from calldesk.core import files
drawn = itertools.count()
planted = {planted!r}
def token_hex(nbytes):
    n = next(drawn)
    return planted[n] if n < len(planted) else f"fresh{{n}}"
files.secrets.token_hex = token_hex
from calldesk.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def run(args: Sequence[str | Path], *, patched: bool = False) -> subprocess.CompletedProcess[str]:
    prefix = ["-c", _PATCHED.format(planted=PLANTED)] if patched else ["-m", "calldesk"]
    return subprocess.run(
        [sys.executable, *prefix, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file of the test's own outside every folder written: what planted links point at."""
    path = tmp_path / "elsewhere" / "victim.txt"
    path.parent.mkdir()
    path.write_text("untouched\n", encoding="utf-8")
    path.chmod(0o644)
    return path


def assert_untouched(victim: Path) -> None:
    assert victim.read_text(encoding="utf-8") == "untouched\n"
    assert mode(victim) == 0o644


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder with two ended calls, ids 1 and 2."""
    folder = tmp_path / "data"
    store = Database.open(folder / "calldesk.db", FakeClock(DAY))
    for offset, name in enumerate(("Ann", "Bob")):
        at = DAY + timedelta(hours=offset)
        call = call_records.start_call(store, name, "+44 20 7946 0958", "", at=at)
        call_records.add_note(store, call.id, f"card 4111 1111 1111 1111 for {name}", at=at)
        call_records.end_call(store, call.id, at=at + timedelta(minutes=3))
    store.close()
    return folder


def export(
    data_dir: Path, *args: str | Path, patched: bool = False
) -> subprocess.CompletedProcess[str]:
    return run(["--data-dir", data_dir, "export", *args], patched=patched)


ANN = "2026-11-24_0900_ann_1.md"
BOB = "2026-11-24_1000_bob_2.md"


# -- calldesk export ------------------------------------------------------------------------


@pytest.mark.parametrize("force", [False, True])
def test_export_to_a_linked_file_is_refused(
    tmp_path: Path, data_dir: Path, victim: Path, force: bool
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    target = out / "calls.md"
    target.symlink_to(victim)
    result = export(data_dir, "--all", "-o", target, *(["--force"] if force else []))
    assert result.returncode == 1
    assert result.stderr == (
        f"calldesk: error: {target} is a symbolic link; calldesk neither writes through links "
        "nor replaces them. Remove the link, or write to another file or folder.\n"
    )
    assert_untouched(victim)
    assert names(out) == ["calls.md"] and target.is_symlink()


def test_export_to_a_folder_refuses_planted_names_before_writing_any(
    tmp_path: Path, data_dir: Path, victim: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / BOB).symlink_to(victim)
    linked = export(data_dir, "--all", "-o", f"{out}/", "--force")
    assert linked.returncode == 1
    assert f"{out / BOB} is a symbolic link" in linked.stderr
    assert names(out) == [BOB]  # Ann's file, which was fine, was not written either
    assert_untouched(victim)

    (out / BOB).unlink()
    (out / BOB).write_text("a colleague's export\n", encoding="utf-8")
    os.chown(out / BOB, OTHER_UID, OTHER_UID)
    theirs = export(data_dir, "--all", "-o", f"{out}/", "--force")
    assert theirs.returncode == 1
    assert f"{out / BOB} belongs to another user (uid {OTHER_UID})" in theirs.stderr
    assert names(out) == [BOB]
    assert (out / BOB).read_text(encoding="utf-8") == "a colleague's export\n"
    assert "Traceback" not in linked.stderr + theirs.stderr


def test_export_into_a_shared_folder_with_every_temp_name_planted(
    tmp_path: Path, data_dir: Path, victim: Path
) -> None:
    team = tmp_path / "team"
    team.mkdir()
    os.chown(team, OTHER_UID, OTHER_UID)
    team.chmod(0o777)
    # Whatever name the writer draws first, something hostile is there already.
    planted: list[Path] = []
    for name in (ANN, BOB):
        for token, kind in zip(PLANTED, ("link", "theirs", "pid"), strict=True):
            temp = team / f".{name}.{token}.tmp"
            if kind == "link":
                temp.symlink_to(victim)
            else:
                temp.write_text("theirs\n", encoding="utf-8")
                os.chown(temp, OTHER_UID, OTHER_UID)
            planted.append(temp)
    result = export(data_dir, "--all", "-o", f"{team}/", patched=True)
    assert result.returncode == 0, result.stderr
    assert names(team) == sorted([ANN, BOB, *(path.name for path in planted)])
    for name in (ANN, BOB):
        info = os.lstat(team / name)
        assert stat.S_ISREG(info.st_mode)
        assert (stat.S_IMODE(info.st_mode), info.st_uid) == (0o600, os.geteuid())
        assert "4111 1111 1111 1111" in (team / name).read_text(encoding="utf-8")
    assert_untouched(victim)
    assert all(path.is_symlink() or path.read_text() == "theirs\n" for path in planted)
    assert mode(team) == 0o777  # the team's folder is left as the team set it


# -- calldesk phrases import-espanso --------------------------------------------------------


def test_import_espanso_refuses_a_linked_output_even_with_force(
    tmp_path: Path, victim: Path
) -> None:
    out = tmp_path / "phrases"
    out.mkdir()
    (out / "forms.yaml").symlink_to(victim)
    result = run(["phrases", "import-espanso", FIXTURES / "forms.yml", "-o", out, "--force"])
    assert result.returncode == 1
    assert result.stderr == (
        f"calldesk: error: {out / 'forms.yaml'} is a symbolic link; calldesk neither writes "
        "through links nor replaces them. Remove the link, or write to another file or folder.\n"
    )
    assert_untouched(victim)
    assert names(out) == ["forms.yaml"]


def test_import_espanso_writes_past_planted_temp_names(tmp_path: Path, victim: Path) -> None:
    out = tmp_path / "phrases"
    out.mkdir()
    for token in PLANTED:
        (out / f".forms.yaml.{token}.tmp").symlink_to(victim)
    result = run(["phrases", "import-espanso", FIXTURES / "forms.yml", "-o", out], patched=True)
    assert result.returncode in (0, 1), result.stderr  # 1: some matches are skipped
    assert "imported" in result.stderr
    assert mode(out / "forms.yaml") == 0o600
    assert (out / "forms.yaml").read_text(encoding="utf-8").startswith("# Imported from Espanso")
    assert_untouched(victim)


# -- the softphone hooks' pending file ------------------------------------------------------


def pending() -> Path:
    return paths.default_data_dir() / "pending-events.jsonl"


def test_a_hook_never_appends_the_caller_to_a_linked_pending_file(
    socket_path: Path, victim: Path
) -> None:
    pending().parent.mkdir(parents=True, mode=0o700)
    pending().symlink_to(victim)
    result = run(["ring", "--number", "+44 20 7946 0958", "--name", "Pat Smith"])
    assert result.returncode == 1
    assert f"{pending()}" in result.stderr
    assert "is a symbolic link" in result.stderr
    assert "Traceback" not in result.stderr
    assert_untouched(victim)


def test_a_hook_never_appends_to_another_users_pending_file(socket_path: Path) -> None:
    pending().parent.mkdir(parents=True, mode=0o700)
    pending().write_text("", encoding="utf-8")
    os.chown(pending(), OTHER_UID, OTHER_UID)
    result = run(["ring", "--number", "+44 20 7946 0958"])
    assert result.returncode == 1
    assert "belongs to another user" in result.stderr
    assert pending().read_text(encoding="utf-8") == ""


# -- the crash log --------------------------------------------------------------------------

_CRASH = """\
import sys
import calldesk.cli.export as export
def broken(args, settings):
    raise RuntimeError("boom")
export.run_export = broken
from calldesk.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_an_internal_error_is_never_logged_through_a_link(tmp_path: Path, victim: Path) -> None:
    log = paths.default_data_dir() / "crash.log"
    log.parent.mkdir(parents=True, mode=0o700)
    log.symlink_to(victim)
    result = subprocess.run(
        [sys.executable, "-c", _CRASH, "export", "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 70
    assert f"Details were saved to (nowhere: {log} is a symbolic link" in result.stderr
    assert_untouched(victim)

    log.unlink()
    again = subprocess.run(
        [sys.executable, "-c", _CRASH, "export", "--all"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert f"Details were saved to {log}." in again.stderr
    assert mode(log) == 0o600
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")


# -- a call database that is a link or a pipe -------------------------------------------------

READERS = (
    ("export", "--all"),
    ("record",),
    ("promises",),
    ("practice", "stats"),
    ("phrases", "stats"),
)


@pytest.mark.parametrize("command", READERS, ids=lambda c: " ".join(c))
@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_a_database_that_is_a_link_or_a_pipe_is_refused_by_name(
    tmp_path: Path, victim: Path, command: tuple[str, ...], kind: str
) -> None:
    """Found by a tester: a link to a text file was "damaged. Restart calldesk: it keeps the
    damaged file beside the new one", a FIFO "no calls stored yet"; the app refuses both."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o700)
    database = folder / "calldesk.db"
    if kind == "link":
        database.symlink_to(victim)
        said = f"{database} is a symbolic link"
    else:
        os.mkfifo(database, 0o600)
        said = f"{database} is a named pipe, not a file"
    result = run(["--data-dir", folder, *command])
    assert result.returncode == 1, result.stderr
    assert said in result.stderr
    assert "damaged" not in result.stderr and "no calls" not in result.stderr
    assert_untouched(victim)
