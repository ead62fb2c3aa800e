"""Settings precedence: defaults < config file < CALLDESK_* environment < command-line flags."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calldesk import paths
from calldesk.config import ConfigError, load_settings


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_defaults_come_from_the_platform_dirs(private_dirs: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == private_dirs / "data" / "calldesk"
    assert settings.config_file == private_dirs / "config" / "calldesk" / "config.toml"
    assert settings.cooldown.minutes == 5
    assert settings.phrase_folders()[0] == paths.bundled_phrase_dir()
    assert (paths.bundled_phrase_dir() / "taking-the-blame.yaml").is_file()


def test_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        'agent_name = "File"\ndata_dir = "/from/file"\n[cooldown]\nminutes = 7\nbad_streak = 4\n',
    )
    from_file = load_settings(config_file=config, environ={})
    assert (from_file.agent_name, from_file.data_dir, from_file.cooldown.minutes) == (
        "File",
        Path("/from/file"),
        7,
    )
    environ = {
        "CALLDESK_AGENT": "Env",
        "CALLDESK_DATA_DIR": "/from/env",
        "CALLDESK_COOLDOWN_MINUTES": "3",
    }
    from_env = load_settings(config_file=config, environ=environ)
    assert (from_env.agent_name, from_env.data_dir, from_env.cooldown.minutes) == (
        "Env",
        Path("/from/env"),
        3,
    )
    assert from_env.cooldown.bad_streak == 4  # untouched by the environment, still from the file
    from_flags = load_settings(
        config_file=config, environ=environ, overrides={"agent_name": "Flag", "data_dir": None}
    )
    assert (from_flags.agent_name, from_flags.data_dir) == ("Flag", Path("/from/env"))


def test_calldesk_config_points_at_another_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, 'agent_name = "Elsewhere"\n')
    assert load_settings(environ={"CALLDESK_CONFIG": str(config)}).agent_name == "Elsewhere"


def test_extra_phrase_folders_load_after_bundled_and_user(tmp_path: Path) -> None:
    settings = load_settings(environ={"CALLDESK_PHRASE_DIRS": f"{tmp_path / 'a'}:{tmp_path / 'b'}"})
    assert settings.phrase_folders()[-2:] == [tmp_path / "a", tmp_path / "b"]
    assert settings.phrase_folders()[1] == settings.user_phrase_dir


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('agnet_name = "x"\n', "unknown setting 'agnet_name'; did you mean 'agent_name'?"),
        (
            "[cooldown]\nminuts = 3\n",
            "unknown setting 'cooldown.minuts'; did you mean 'cooldown.minutes'?",
        ),
        (
            '[cooldown]\nminutes = "five"\n',
            "cooldown.minutes: expected a positive number, got 'five'",
        ),
        (
            "[cooldown]\nmax_snoozes = true\n",
            "cooldown.max_snoozes: expected a whole number, got True",
        ),
        ("cooldown = 5\n", "[cooldown] must be a table"),
        ('[softphone]\nstart_on = "pickup"\n', 'softphone.start_on must be "ring" or "answer"'),
        ("agent_name = \n", "fix the TOML syntax there"),
    ],
)
def test_a_bad_config_file_says_where_and_what(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=config, environ={})
    assert message in str(raised.value)
    assert str(config) in str(raised.value)


def test_the_cli_reports_a_bad_config_without_a_traceback(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[cooldown]\nminuts = 3\n")
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "--config", str(config), "phrases", "list"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("calldesk: error: ")
    assert "did you mean 'cooldown.minutes'?" in result.stderr
    assert "Traceback" not in result.stderr
