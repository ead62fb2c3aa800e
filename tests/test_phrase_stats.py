"""`calldesk phrases stats`: uses per phrase, phrases never used, placeholders left unfilled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from calldesk.core.clock import FakeClock
from calldesk.core.library import records as phrase_records
from calldesk.core.library.loader import load_library
from calldesk.core.library.stats import usage_stats
from calldesk.core.storage import Database

LIBRARY = """\
category: Calls
phrases:
  - id: greet
    title: Greeting
    say: Hello {customer}, this is {agent}.
  - id: hold
    title: Short hold
    say: May I put you on hold?
  - id: ticket
    title: Ticket number
    say: Your ticket is {ticket}.
  - id: bye
    title: "Goodbye \\e[31mred"
    say: Thanks for calling.
"""


@pytest.fixture
def phrases(tmp_path: Path) -> Path:
    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "calls.yaml").write_text(LIBRARY, encoding="utf-8")
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def record_uses(data_dir: Path) -> None:
    """Two uses on 1 Nov, three on 20 Nov (one of a phrase no longer in the library)."""
    clock = FakeClock(datetime(2026, 11, 1, 10, 0, tzinfo=UTC))
    with Database.open(data_dir / "calldesk.db", clock) as store:
        phrase_records.record_phrase_use(
            store, "greet", None, "insert", {"customer": False, "agent": True}
        )
        phrase_records.record_phrase_use(store, "ticket", None, "copy", {"ticket": False})
        clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
        phrase_records.record_phrase_use(
            store, "greet", None, "insert", {"customer": True, "agent": True}
        )
        phrase_records.record_phrase_use(
            store, "greet", None, "copy", {"customer": False, "agent": True}
        )
        phrase_records.record_phrase_use(store, "old-greeting", None, "insert")


def stats(data_dir: Path, phrases: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)  # already private temp dirs (conftest), TZ=UTC
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "calldesk",
            "--no-bundled-phrases",
            "--data-dir",
            str(data_dir),
            "--phrase-dir",
            str(phrases),
            "phrases",
            "stats",
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_human_output_has_four_aligned_sections(data_dir: Path, phrases: Path) -> None:
    record_uses(data_dir)
    result = stats(data_dir, phrases)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "Uses per phrase: 5 uses of 3 phrases\n"
        "  uses  id            title\n"
        "     3  greet         Greeting\n"
        "     1  old-greeting  (no longer in the library)\n"
        "     1  ticket        Ticket number\n"
        "\n"
        "Never used: 2 of 4 phrases\n"
        "  id    category  title\n"
        "  bye   Calls     Goodbye \\x1b[31mred\n"
        "  hold  Calls     Short hold\n"
        "\n"
        "Placeholders left unfilled: 2 placeholders\n"
        "  unfilled  of uses  id      placeholder\n"
        "         2        3  greet   {customer}\n"
        "         1        1  ticket  {ticket}     never filled\n"
        "\n"
        "Coverage per category: 1 category\n"
        "  phrases  used  uses  category\n"
        "        4     2     4  Calls\n"
    )


def test_since_counts_only_later_uses(data_dir: Path, phrases: Path) -> None:
    record_uses(data_dir)
    result = stats(data_dir, phrases, "--since", "2026-11-10")
    assert result.returncode == 0, result.stderr
    sections = result.stdout.split("\n\n")
    assert sections[0].splitlines()[0] == "Uses per phrase since 2026-11-10: 3 uses of 2 phrases"
    assert "ticket" not in sections[0]
    assert sections[1].splitlines()[0] == "Never used since 2026-11-10: 3 of 4 phrases"
    assert [line.split()[0] for line in sections[1].splitlines()[2:]] == ["bye", "hold", "ticket"]
    assert sections[2].splitlines()[2].split() == ["1", "2", "greet", "{customer}"]


def test_json_shape_is_stable(data_dir: Path, phrases: Path) -> None:
    record_uses(data_dir)
    result = stats(data_dir, phrases, "--json", "--since", "2026-11-01")
    assert result.returncode == 0, result.stderr
    source = str(phrases / "calls.yaml")
    assert json.loads(result.stdout) == {
        "version": 1,
        "since": "2026-11-01",
        "database": str(data_dir / "calldesk.db"),
        "has_database": True,
        "library_size": 4,
        "total_uses": 5,
        "uses": [
            {
                "id": "greet",
                "uses": 3,
                "in_library": True,
                "title": "Greeting",
                "category": "Calls",
                "source": source,
            },
            {
                "id": "old-greeting",
                "uses": 1,
                "in_library": False,
                "title": None,
                "category": None,
                "source": None,
            },
            {
                "id": "ticket",
                "uses": 1,
                "in_library": True,
                "title": "Ticket number",
                "category": "Calls",
                "source": source,
            },
        ],
        "never_used": [
            {
                "id": "bye",
                "in_library": True,
                "title": "Goodbye \x1b[31mred",
                "category": "Calls",
                "source": source,
                "line": 12,
            },
            {
                "id": "hold",
                "in_library": True,
                "title": "Short hold",
                "category": "Calls",
                "source": source,
                "line": 6,
            },
        ],
        "coverage": [{"category": "Calls", "phrases": 4, "used": 2, "uses": 4, "thin": False}],
        "unfilled_placeholders": [
            {
                "id": "greet",
                "placeholder": "customer",
                "unfilled": 2,
                "uses": 3,
                "never_filled": False,
                "in_library": True,
            },
            {
                "id": "ticket",
                "placeholder": "ticket",
                "unfilled": 1,
                "uses": 1,
                "never_filled": True,
                "in_library": True,
            },
        ],
    }


def test_without_a_database_every_phrase_is_never_used(data_dir: Path, phrases: Path) -> None:
    result = stats(data_dir, phrases)
    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        f"calldesk: note: no call database yet at {data_dir / 'calldesk.db'}; "
        "every phrase counts as never used\n"
    )
    assert "Never used: 4 of 4 phrases" in result.stdout
    assert "Uses per phrase: 0 uses of 0 phrases\n  (none)\n" in result.stdout
    assert not (data_dir / "calldesk.db").exists()  # stats never creates the database
    payload = json.loads(stats(data_dir, phrases, "--json").stdout)
    assert payload["has_database"] is False
    assert [entry["id"] for entry in payload["never_used"]] == ["bye", "greet", "hold", "ticket"]


def test_works_while_calldesk_has_the_database_open(data_dir: Path, phrases: Path) -> None:
    record_uses(data_dir)
    clock = FakeClock(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    with Database.open(data_dir / "calldesk.db", clock) as running:
        phrase_records.record_phrase_use(running, "hold", None, "copy")
        result = stats(data_dir, phrases, "--json")
    assert result.returncode == 0, result.stderr
    counts = {entry["id"]: entry["uses"] for entry in json.loads(result.stdout)["uses"]}
    assert counts == {"greet": 3, "hold": 1, "old-greeting": 1, "ticket": 1}


def test_a_bad_date_is_a_message(data_dir: Path, phrases: Path) -> None:
    result = stats(data_dir, phrases, "--since", "1 Nov")
    assert result.returncode == 2
    assert result.stderr == (
        "calldesk: error: --since expects a date as YYYY-MM-DD (e.g. 2026-11-01), not '1 Nov'\n"
    )


def test_usage_stats_orders_and_flags(phrases: Path) -> None:
    library = load_library([phrases], optional=())
    result = usage_stats(
        library,
        {"hold": 2, "greet": 2, "gone": 5, "bye": 0},
        {("greet", "customer"): 2, ("hold", "agent"): 1},
    )
    assert [(u.phrase_id, u.uses, u.phrase is not None) for u in result.used] == [
        ("gone", 5, False),
        ("greet", 2, True),
        ("hold", 2, True),
    ]
    assert [phrase.id for phrase in result.never_used] == ["bye", "ticket"]
    assert [(g.phrase_id, g.placeholder, g.never_filled) for g in result.unfilled] == [
        ("greet", "customer", True),
        ("hold", "agent", False),
    ]
    assert result.total_uses == 9


def test_coverage_flags_a_thin_category(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "thin"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "category: Billing\nphrases:\n  - {id: a, title: A, say: Hi.}\n", encoding="utf-8"
    )
    result = stats(data_dir, folder)
    coverage = result.stdout.split("Coverage per category: 1 category\n", 1)[1]
    assert coverage.splitlines()[1].split() == [
        "1",
        "0",
        "0",
        "Billing",
        "thin:",
        "fewer",
        "than",
        "3",
        "phrases",
    ]


def test_every_bundled_lesson_has_three_phrases() -> None:
    from calldesk import paths
    from calldesk.core.library.stats import usage_stats as build

    coverage = build(load_library([paths.bundled_phrase_dir()], optional=()), {}, {}).coverage
    assert len(coverage) >= 19
    assert [entry.category for entry in coverage if entry.thin] == []
