"""Team libraries: bundled < user folder < team folders, by phrase id, in core and in the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calldesk import paths
from calldesk.config import load_settings
from calldesk.core.library.loader import load_configured_library, load_library

CHECKLIST = """\
checklist:
  - id: {id}
    label: {label}
"""


def phrase_file(folder: Path, name: str, *phrases: tuple[str, str]) -> Path:
    """A phrase file holding (id, title) pairs; the title says which folder it came from."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["category: Precedence", "phrases:"]
    for phrase_id, title in phrases:
        lines += [f"  - id: {phrase_id}", f"    title: {title}", "    say: Words."]
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def bundled_phrase() -> Any:
    """A phrase that really ships with calldesk, to override."""
    library = load_library([paths.bundled_phrase_dir()], optional=())
    assert library.phrases, "the bundled library is empty"
    return library.phrases[0]


# -- core -------------------------------------------------------------------------------------


def test_later_folders_override_earlier_ones_by_id(tmp_path: Path) -> None:
    bundled, user, team, team2 = (tmp_path / name for name in ("bundled", "user", "team", "t2"))
    phrase_file(bundled, "a.yaml", ("greet", "bundled"), ("only-bundled", "bundled"))
    phrase_file(user, "b.yaml", ("greet", "user"), ("mine", "user"))
    team_file = phrase_file(team, "c.yaml", ("greet", "team"), ("mine", "team"))
    phrase_file(team2, "d.yaml", ("mine", "team2"))
    library = load_library([bundled, user, team, team2], optional=())
    titles = {phrase.id: phrase.title for phrase in library}
    assert titles == {"greet": "team", "only-bundled": "bundled", "mine": "team2"}
    greet = library.get("greet")
    assert greet is not None and greet.source == team_file
    assert library.problems == ()  # an override is not a duplicate
    # Without the team folders the user folder wins over the bundled one.
    assert load_library([bundled, user], optional=()).get("greet").title == "user"  # type: ignore[union-attr]


def test_settings_put_the_user_folder_then_team_folders_after_the_bundled_one(
    tmp_path: Path, bundled_phrase: Any
) -> None:
    user, team, team2 = tmp_path / "user", tmp_path / "team", tmp_path / "team2"
    phrase_file(user, "mine.yaml", (bundled_phrase.id, "from the user folder"))
    team_file = phrase_file(team, "team.yaml", (bundled_phrase.id, "from the team folder"))
    settings = load_settings(
        environ={
            "CALLDESK_USER_PHRASE_DIR": str(user),
            "CALLDESK_PHRASE_DIRS": os.pathsep.join((str(team), str(team2))),
        }
    )
    assert settings.phrase_folders() == [paths.bundled_phrase_dir(), user, team, team2]
    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
    phrase = library.get(bundled_phrase.id)
    assert phrase is not None and phrase.source == team_file
    assert phrase.title == "from the team folder"
    # team2 does not exist: reported, since the user asked for it; the user folder may be missing.
    assert [(p.path, p.message) for p in library.problems] == [
        (team2, "phrase folder does not exist")
    ]


def test_the_last_folder_with_a_checklist_wins(tmp_path: Path) -> None:
    user, team = tmp_path / "user", tmp_path / "team"
    for folder, item in ((user, "user-item"), (team, "team-item")):
        folder.mkdir()
        (folder / "checklist.yaml").write_text(
            CHECKLIST.format(id=item, label=f"Asked by {item}"), encoding="utf-8"
        )
    settings = load_settings(
        environ={"CALLDESK_USER_PHRASE_DIR": str(user), "CALLDESK_PHRASE_DIRS": str(team)}
    )
    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
    assert library.checklist.source == team / "checklist.yaml"
    assert [item.id for item in library.checklist.items] == ["team-item"]
    (team / "checklist.yaml").unlink()
    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir, library)
    assert library.checklist.source == user / "checklist.yaml"


# -- CLI: `phrases list --json` shows where each phrase came from --------------------------------


def listed(*args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", *args, "phrases", "list", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {entry["id"]: entry for entry in json.loads(result.stdout)}


def test_cli_user_folder_overrides_bundled_and_team_folder_overrides_both(
    tmp_path: Path, bundled_phrase: Any
) -> None:
    user, team = tmp_path / "user", tmp_path / "team"
    user_file = phrase_file(user, "mine.yaml", (bundled_phrase.id, "user"), ("mine", "user"))
    team_file = phrase_file(team, "team.yaml", (bundled_phrase.id, "team"))
    env = {"CALLDESK_USER_PHRASE_DIR": str(user)}

    plain = listed()
    assert plain[bundled_phrase.id]["source"] == str(bundled_phrase.source)

    with_user = listed(env=env)
    assert with_user[bundled_phrase.id]["source"] == str(user_file)
    assert with_user[bundled_phrase.id]["title"] == "user"
    assert with_user["mine"]["source"] == str(user_file)
    assert len(with_user) == len(plain) + 1  # an override replaces, it does not add

    with_team = listed("--phrase-dir", str(team), env=env)
    assert with_team[bundled_phrase.id]["source"] == str(team_file)
    assert with_team["mine"]["source"] == str(user_file)


def test_cli_team_folders_from_config_env_and_flags(tmp_path: Path, bundled_phrase: Any) -> None:
    from_config, from_env, from_flag = (tmp_path / n for n in ("config-team", "env-team", "flag"))
    files = {
        folder: phrase_file(folder, "team.yaml", (bundled_phrase.id, folder.name))
        for folder in (from_config, from_env, from_flag)
    }
    config = tmp_path / "config.toml"
    config.write_text(f"phrase_dirs = [{json.dumps(str(from_config))}]\n", encoding="utf-8")
    config_env = {"CALLDESK_CONFIG": str(config)}

    assert listed(env=config_env)[bundled_phrase.id]["source"] == str(files[from_config])
    # The environment replaces the config file's list, and a flag replaces both.
    both = {**config_env, "CALLDESK_PHRASE_DIRS": str(from_env)}
    assert listed(env=both)[bundled_phrase.id]["source"] == str(files[from_env])
    flagged = listed("--phrase-dir", str(from_flag), env=both)
    assert flagged[bundled_phrase.id]["source"] == str(files[from_flag])
    # Several team folders: the last one named wins.
    two = listed("--phrase-dir", str(from_flag), "--phrase-dir", str(from_env))
    assert two[bundled_phrase.id]["source"] == str(files[from_env])
