"""`calldesk practice` and `practice stats`, run as the real command with stdin through a pipe."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import pytest

from calldesk.config import Settings, load_settings
from calldesk.core.aftercall import records as aftercall_records
from calldesk.core.aftercall.cooldown import BreakRules, offer
from calldesk.core.calls import records as call_records
from calldesk.core.clock import SystemClock
from calldesk.core.practice import records as practice_records
from calldesk.core.practice.cards import CardState
from calldesk.core.storage import Database

PHRASES = """\
category: Calming a furious caller
sets: [drill]
phrases:
  - id: go-on
    title: Let them get it all out
    say: |
      Go on, I'm listening.
    when: The caller opens angry.
    instead_of: "Calm down, sir."
  - id: annoyed-too
    title: Saying the anger is fair
    say: "That's maddening. I'd be annoyed too."
    when: "The anger is fair. \\x1b[31mred\\x1b[0m"
"""
OTHER = """\
category: Closing
phrases:
  - id: bye
    title: Goodbye
    say: Thanks for calling.
"""


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "furious.yaml").write_text(PHRASES)
    (folder / "closing.yaml").write_text(OTHER)
    return folder


@pytest.fixture
def team_settings(library: Path) -> Settings:
    return load_settings(overrides={"phrase_dirs": (library,), "load_bundled_phrases": False})


def environment(library: Path) -> dict[str, str]:
    env = dict(os.environ)  # already pointed at tmp dirs by the autouse fixture
    env["CALLDESK_PHRASE_DIRS"] = str(library)
    return env


def calldesk(library: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", "--no-bundled-phrases", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(library),
        timeout=60,
        check=False,
    )


def reviews(settings: Settings) -> list[tuple[str, int, bool]]:
    with Database.open(settings.database_path, SystemClock()) as store:
        return [(r.phrase_id, r.rating, r.typed) for r in practice_records.practice_reviews(store)]


def test_a_session_through_stdin_grades_and_summarises(
    library: Path, team_settings: Settings
) -> None:
    # New phrases first (bye, in no set, last); then the two still being learned, soonest due
    # first: annoyed-too (forgotten, back after a minute), then bye (back after ten).
    lines = ["I'm listening, go on", "4", "", "1", "thanks", "3", "", "4", "", "4"]
    result = calldesk(library, "practice", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("Practice: 0 due, 3 new.\n")
    assert "When: The caller opens angry." in out
    assert "You want to say: Calm down, sir." in out
    assert "What do you say instead?" in out
    assert "Phrase: Goodbye\nWhat do you say?" in out  # no situation written: the title cues it
    # The typed attempt is echoed (stdin is a pipe), then the phrase and the word hint.
    assert "> I'm listening, go on\n" in out
    assert "The phrase (Let them get it all out):\n  Go on, I'm listening.\n" in out
    assert "Yours: {+Go on,+} I'm listening. [-go on-]\n" in out
    # Trainer text is printed literally: the escape sequence is shown, never obeyed.
    assert "\x1b" not in out
    assert "When: The anger is fair. \\x1b[31mred\\x1b[0m" in out
    assert out.count("── ") == 5
    assert "Practised 5 phrases (3 new), forgot 1." in out
    assert "Nothing else to practise now. Next phrase due in" in out
    assert reviews(team_settings) == [
        ("go-on", 4, True),
        ("annoyed-too", 1, False),
        ("bye", 3, True),
        ("annoyed-too", 4, False),
        ("bye", 4, False),
    ]
    # Everything is learned for today: a second run has nothing to do.
    again = calldesk(library, "practice", stdin="")
    assert again.returncode == 0
    assert again.stdout.startswith("Practice: 0 due, 0 new.\nNothing else to practise now.")


def test_a_wrong_grade_is_asked_again_and_q_stops(library: Path, team_settings: Settings) -> None:
    result = calldesk(library, "practice", "--set", "drill", stdin="\n5\nsoon\ngood\nq\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Practice · set drill: 0 due, 2 new.")
    assert result.stdout.count("Type 1, 2, 3 or 4 (or q to stop).") == 2
    assert "Practised 1 phrase (1 new), forgot 0." in result.stdout
    assert "2 still to practise" in result.stdout
    assert "Goodbye" not in result.stdout  # not in the drill set
    assert reviews(team_settings) == [("go-on", 3, False)]


def test_end_of_input_mid_card_ends_with_a_summary(library: Path, team_settings: Settings) -> None:
    result = calldesk(library, "practice", stdin="\n")  # shows the phrase, then input ends
    assert result.returncode == 0
    assert "Traceback" not in result.stderr and result.stderr == ""
    assert "The phrase (Let them get it all out):" in result.stdout
    assert "Nothing practised this time." in result.stdout
    assert reviews(team_settings) == []


def test_ctrl_c_ends_with_a_summary_and_no_traceback(
    library: Path, team_settings: Settings
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "calldesk", "--no-bundled-phrases", "practice"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment(library),
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"\n3\n")  # grade the first card, then wait at the next prompt
    proc.stdin.flush()
    seen = b""
    deadline = time.monotonic() + 30
    while seen.count(b"> ") < 2 and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.1)
        if ready:
            seen += os.read(proc.stdout.fileno(), 4096)
    assert seen.count(b"> ") == 2, seen
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    output = (seen + out).decode()
    assert proc.returncode == 0, err
    assert b"Traceback" not in err
    assert "Practised 1 phrase (1 new), forgot 0." in output
    assert reviews(team_settings) == [("go-on", 3, False)]


def test_no_practice_during_an_open_call(library: Path, team_settings: Settings) -> None:
    with Database.open(team_settings.database_path, SystemClock()) as store:
        call_records.start_call(store, "Pat")
    result = calldesk(library, "practice", stdin="\n3\n")
    assert result.returncode == 1
    assert result.stderr.startswith("calldesk: error: a call is open (started ")
    assert result.stdout == ""
    assert reviews(team_settings) == []


def test_no_practice_while_a_break_is_waiting(library: Path, team_settings: Settings) -> None:
    clock = SystemClock()
    with Database.open(team_settings.database_path, clock) as store:
        call = call_records.start_call(store, "Pat")
        call_records.end_call(store, call.id)
        aftercall_records.save_cooldown(
            store, offer(call.id, BreakRules(**asdict(team_settings.cooldown)), [], clock.now())
        )
    result = calldesk(library, "practice", stdin="\n3\n")
    assert result.returncode == 1
    assert "a break after a bad call is waiting" in result.stderr
    assert reviews(team_settings) == []


def test_while_the_app_runs_practice_points_to_f9_and_stats_still_work(
    library: Path, team_settings: Settings
) -> None:
    with Database.open(
        team_settings.database_path, SystemClock()
    ):  # holds the single-instance lock
        result = calldesk(library, "practice", stdin="\n3\n")
        stats = calldesk(library, "practice", "stats", "--json")
    assert result.returncode == 1
    assert "practise inside the app (F9)" in result.stderr
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["total"] == 3


def test_stats_json_after_a_session(library: Path) -> None:
    # go-on: 1 (not a lapse: it was new), annoyed-too: 4, then go-on again: 4. bye is in no set.
    session = calldesk(library, "practice", "--set", "drill", stdin="\n1\n\n4\n\n4\n")
    assert "Practised 3 phrases (2 new), forgot 1." in session.stdout
    result = calldesk(library, "practice", "stats", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    phrases = {row["id"]: row for row in data["phrases"]}
    assert list(phrases) == ["go-on", "annoyed-too", "bye"]
    assert (phrases["go-on"]["reviews"], phrases["go-on"]["lapses"]) == (2, 0)
    assert phrases["go-on"]["state"] == CardState.REVIEW.label
    assert phrases["annoyed-too"]["reviews"] == 1 and phrases["annoyed-too"]["due"] is not None
    assert phrases["annoyed-too"]["learned"] is False  # remembered, but not yet for 21 days
    assert (phrases["bye"]["state"], phrases["bye"]["due"]) == ("new", None)
    assert data["sets"] == [{"name": "drill", "learned": 0, "seen": 2, "total": 2}]
    assert (data["learned"], data["total"]) == (0, 3)
    only = json.loads(calldesk(library, "practice", "stats", "--set", "drill", "--json").stdout)
    assert [row["id"] for row in only["phrases"]] == ["go-on", "annoyed-too"]


def test_stats_table_before_any_practice(library: Path, team_settings: Settings) -> None:
    result = calldesk(library, "practice", "--set", "drill", "stats")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["phrase", "state", "reviews", "lapses", "due"]
    assert lines[1].split() == ["go-on", "new", "0", "0", "-"]
    assert "drill  ····················  0/2 learned, 0 started" in result.stdout
    assert not team_settings.database_path.exists()  # looking does not create a database


def test_an_unknown_set_is_an_error_naming_the_sets(library: Path) -> None:
    result = calldesk(library, "practice", "--set", "nosuch")
    assert result.returncode == 1
    assert result.stderr.strip() == "calldesk: error: there is no drill set 'nosuch'; sets: drill"


def test_a_new_starters_first_round_with_the_bundled_library() -> None:
    """#18 done when: the essentials in the trainer's order, "again" suggested for an answer
    that misses the key clause, and progress per set afterwards."""
    lines = ["Hello, support here", ""]  # misses "what can I help you with": Enter takes "again"
    lines += ["", "3"] * 4 + ["q"]
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "practice"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    titles = [
        line.split("The phrase (", 1)[1][:-2] for line in out.splitlines() if "The phrase (" in line
    ]
    assert titles == [
        "A plain, friendly hello",
        "Let them get it all out",
        "That one's on us",
        "Sorry, then on to the fix",
        "Let me look that up",
    ]
    assert "Key clause: “What can I help you with?”: 0 of 1 key words said." in out
    assert "Suggested: 1 again (the key clause is missing)." in out
    assert "Practised 5 phrases (5 new), forgot 1." in out
    progress = out.split("Progress per set", 1)[1]
    assert progress.splitlines()[1].split()[0] == "essentials"
    assert "0/20 learned, 5 started" in progress


def test_aloud_mode_records_the_time_to_start_speaking(
    library: Path, team_settings: Settings
) -> None:
    result = calldesk(library, "practice", "--aloud", "--set", "drill", stdin="\n\n3\nq\n")
    assert result.returncode == 0, result.stderr
    assert "Enter shows the situation: \nWhen: The caller opens angry." in result.stdout
    assert "You started after " in result.stdout
    assert "Suggested:" not in result.stdout  # said aloud: nothing typed to score
    with Database.open(team_settings.database_path, SystemClock()) as store:
        (review,) = practice_records.practice_reviews(store)
    assert (review.phrase_id, review.rating, review.typed) == ("go-on", 3, False)
    assert review.seconds_to_speak is not None and review.seconds_to_speak >= 0


@pytest.mark.parametrize(("keymap", "named"), [("", "(F9)"), ('practice = "f11"\n', "(F11)")])
def test_practice_while_the_app_runs_names_the_key_the_app_has(
    library: Path, team_settings: Settings, tmp_path: Path, keymap: str, named: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f"[keymap]\n{keymap}", encoding="utf-8")
    with Database.open(team_settings.database_path, SystemClock()):  # the app holds it
        result = calldesk(library, "--config", str(config), "practice")
    assert result.returncode == 1
    assert f"practise inside the app {named}." in result.stderr
    assert "F9" not in result.stderr or named == "(F9)"
