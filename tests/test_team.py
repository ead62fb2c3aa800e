"""Team statistics: a desk publishes anonymous counts, every desk's files merge for trainers."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.tui_helpers import build_app, stored, type_text, wait_until

from calldesk.config import Settings
from calldesk.core.calls import records as call_records
from calldesk.core.clock import FakeClock, SystemClock
from calldesk.core.library import records as phrase_records
from calldesk.core.storage import Database
from calldesk.core.team import records
from calldesk.core.team.stats import desk_id, desk_stats, merge, publish

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def fill(store: Database, clock: FakeClock) -> None:
    call = call_records.start_call(store, "Priya Raman", "020 7946 0958")
    call_records.add_note(store, call.id, "secret note about the VPN")
    phrase_records.record_phrase_use(store, "blame-our-mistake", call.id, "insert")
    clock.advance(days=1)
    phrase_records.record_phrase_use(store, "blame-our-mistake", call.id, "copy")
    for query in ("warranty extension", "warranty extension", "priya", "0207946", "a@b.c", "x"):
        records.record_search_miss(store, query, at=clock.now())


def test_a_desk_file_has_counts_and_misses_and_nothing_private(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    with Database.open(tmp_path / "calls.db", clock) as store:
        fill(store, clock)
        (tmp_path / "team").mkdir()
        desk = desk_id(tmp_path / "id")
        assert desk_id(tmp_path / "id") == desk and desk.startswith("desk-")
        data = desk_stats(store, clock.now(), desk)
        path = publish(store, tmp_path / "team", clock.now(), desk)
    assert data["phrases"] == {"blame-our-mistake": {"uses": 2, "last_used": "2026-11-25"}}
    assert data["searches_found_nothing"] == {"warranty extension": 2}
    text = path.read_text()
    for private in ("Priya", "priya", "7946", "VPN", "a@b.c"):
        assert private not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.parent.name == "team-stats" and path.name == f"{desk}.json"


def test_desk_files_merge_and_a_broken_one_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "team"
    (folder / "team-stats").mkdir(parents=True)
    for desk, uses, last, misses in (
        ("desk-00000001", 5, "2026-11-20", {"warranty extension": 2, "fax": 1}),
        ("desk-00000002", 1, "2026-10-01", {"warranty extension": 1}),
    ):
        (folder / "team-stats" / f"{desk}.json").write_text(
            json.dumps(
                {
                    "format": "calldesk-team-stats",
                    "version": 1,
                    "desk": desk,
                    "phrases": {"a": {"uses": uses, "last_used": last}},
                    "searches_found_nothing": misses,
                }
            )
        )
    (folder / "team-stats" / "broken.json").write_text("{")
    team = merge(folder)
    assert team.desks == ["desk-00000001", "desk-00000002"]
    assert [(m.query, m.count, m.desks) for m in team.misses] == [
        ("warranty extension", 3, 2),
        ("fax", 1, 1),
    ]
    assert team.phrases["a"].uses == 6 and team.phrases["a"].last_used == "2026-11-20"
    assert team.not_used_since(["a", "b"], NOW, 30) == ["b"]
    assert team.not_used_since(["a", "b"], NOW, 2) == ["a", "b"]
    assert len(team.problems) == 1 and "broken.json" in team.problems[0]


def calldesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_two_desks_publish_into_one_git_folder_and_stats_lists_what_found_nothing(
    tmp_path: Path,
) -> None:
    def git(cwd: Path, *args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=cwd,
            check=True,
            capture_output=True,
        )

    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "--bare", "-b", "main", str(origin))
    clones = []
    for name, query in (("ann", "warranty extension"), ("bob", "warranty extension")):
        clone = tmp_path / name / "team-phrases"
        git(tmp_path, "clone", str(origin), str(clone))
        data = tmp_path / name / "data"
        with Database.open(data / "calldesk.db", SystemClock()) as store:
            phrase_records.record_phrase_use(store, "abuse-one-warning", None, "insert")
            if name == "ann":
                phrase_records.record_phrase_use(store, "abuse-taking-five", None, "insert")
            records.record_search_miss(store, query, at=SystemClock().now())
            records.record_search_miss(store, f"{name} only search", at=SystemClock().now())
        env = dict(os.environ, CALLDESK_DATA_DIR=str(data), CALLDESK_PHRASE_DIRS=str(clone))
        result = calldesk(env, "team", "publish")
        assert result.returncode == 0, result.stderr
        git(clone, "pull", "--rebase", "origin", "main") if name == "bob" else None
        git(clone, "add", "team-stats")
        git(clone, "commit", "-m", f"{name}'s desk statistics")
        git(clone, "push", "origin", "HEAD:main")
        clones.append((clone, env))
    ann_clone, ann_env = clones[0]
    git(ann_clone, "pull", "origin", "main")
    result = calldesk(ann_env, "team", "stats")
    assert result.returncode == 0, result.stderr
    assert "2 desks" in result.stdout
    found_nothing = result.stdout.split("Searches that found nothing")[1].split("\n\n")[0]
    assert "2  warranty extension  (2 desks)" in found_nothing
    assert "1  ann only search  (1 desk)" in found_nothing
    assert "ann only search" in found_nothing and "bob only search" in found_nothing
    as_json = json.loads(calldesk(ann_env, "team", "stats", "--json").stdout)
    assert as_json["most_used"] == [
        {"id": "abuse-one-warning", "uses": 2, "desks": 2},
        {"id": "abuse-taking-five", "uses": 1, "desks": 1},
    ]
    assert as_json["least_used"][0] == {"id": "abuse-taking-five", "uses": 1, "desks": 1}
    idle = as_json["not_used_in_30_days"]
    assert "abuse-one-warning" not in idle and "abuse-taking-five" not in idle
    assert "abuse-ending-the-call" in idle
    assert len(as_json["not_used_in_30_days"]) > 100  # the rest of the bundled library

    nowhere = calldesk(dict(os.environ), "team", "stats")
    assert nowhere.returncode == 2 and "--dir" in nowhere.stderr


async def test_a_search_left_with_no_result_is_recorded(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.index is not None)
        await pilot.press("f2", "f3")
        await type_text(pilot, "zqxwv jjqpx")
        await pilot.press("escape")
        await pilot.press("f3")
        await type_text(pilot, "refund")  # found something: not a miss
        await pilot.press("escape")
        await pilot.pause()
        assert app.desk.writes.writer.flush()
    with stored(settings, clock) as store:
        assert records.search_misses(store) == {"zqxwv jjqpx": 1}
