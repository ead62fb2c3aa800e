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
            "cooldown.minutes: expected a number more than 0 and at most 480, got 'five'",
        ),
        (
            "[cooldown]\nmax_snoozes = true\n",
            "cooldown.max_snoozes: expected a whole number from 0 to 20, got True",
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # Each of these once crashed the app, blanked its screen or was silently changed.
        ("[cooldown]\nminutes = 1e12\n", "cooldown.minutes: expected a number more than 0"),
        ("[cooldown]\nminutes = inf\n", "and at most 480, got inf"),
        ("[cooldown]\nminutes = nan\n", "cooldown.minutes: expected a number"),
        ("[cooldown]\nminutes = 0\n", "cooldown.minutes: expected a number more than 0"),
        ("[cooldown]\nlong_minutes = -inf\n", "cooldown.long_minutes: expected"),
        ("[cooldown]\nsnooze_minutes = 1e400\n", "cooldown.snooze_minutes: expected"),
        ("[cooldown]\nmax_snoozes = inf\n", "max_snoozes: expected a whole number from 0 to 20"),
        ("[cooldown]\nmax_snoozes = -5\n", "max_snoozes: expected a whole number from 0 to 20"),
        ("[cooldown]\nmax_snoozes = 2.9\n", "max_snoozes: expected a whole number from 0 to 20"),
        ("[cooldown]\nbad_streak = 0\n", "bad_streak: expected a whole number from 1 to 100"),
        ("[practice]\nnew_per_day = -3\n", "new_per_day: expected a whole number from 0 to 500"),
        ("[practice]\nnew_per_day = 99999999999999999999\n", "new_per_day: expected"),
        ("[practice]\ndaily_goal = -1\n", "daily_goal: expected a whole number from 0 to 500"),
        ("[practice]\ndaily_goal = 2.5\n", "daily_goal: expected a whole number"),
    ],
)
def test_numbers_out_of_range_are_refused_with_the_range(
    tmp_path: Path, text: str, message: str
) -> None:
    config = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=config, environ={})
    assert message in str(raised.value)
    assert str(config) in str(raised.value)


BARESIP_WANTED = "softphone.baresip: expected host:port such as 127.0.0.1:4444 (port 1 to 65535)"


@pytest.mark.parametrize(
    "value",
    ["not a host:99999", "127.0.0.1", "127.0.0.1:0", "localhost:65536", "pbx:44x", "[::1:4444"],
)
def test_a_baresip_address_that_is_not_host_port_is_refused(tmp_path: Path, value: str) -> None:
    """Found by a tester: baresip = "not a host:99999" was accepted without a word."""
    config = write_config(tmp_path, f"[softphone]\nbaresip = {value!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=config, environ={})
    assert f"{config}: {BARESIP_WANTED}" in str(raised.value)
    assert repr(value) in str(raised.value)
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"CALLDESK_BARESIP": value})
    assert f"$CALLDESK_BARESIP: {BARESIP_WANTED}" in str(raised.value)


@pytest.mark.parametrize("value", ["banana", "25:00", "17:61", "half five", "13pm"])
def test_a_shift_end_that_is_not_a_time_stops_calldesk_naming_the_real_file(
    tmp_path: Path, value: str
) -> None:
    """Found by a tester: shift_end = "banana" started, with a toast naming "config.toml"
    although the file was t.toml."""
    config = tmp_path / "t.toml"
    config.write_text(f'[promises]\nshift_end = "{value}"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=config, environ={})
    assert f"{config}: promises.shift_end: expected a time of day as HH:MM" in str(raised.value)
    assert repr(value) in str(raised.value)


@pytest.mark.parametrize("value", ["", "17:30", "9:05", "5pm"])
def test_a_shift_end_as_a_time_of_day_is_fine(tmp_path: Path, value: str) -> None:
    config = write_config(tmp_path, f'[promises]\nshift_end = "{value}"\n')
    assert load_settings(config_file=config, environ={}).promises.shift_end == value


@pytest.mark.parametrize("value", ["", "127.0.0.1:4444", ":4444", "[::1]:4444", "pbx.lan:1"])
def test_a_baresip_address_as_host_port_is_fine(tmp_path: Path, value: str) -> None:
    config = write_config(tmp_path, f'[softphone]\nbaresip = "{value}"\n')
    assert load_settings(config_file=config, environ={}).softphone.baresip == value


def test_whole_numbers_written_as_floats_and_fractions_of_minutes_are_fine(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[cooldown]\nmax_snoozes = 3.0\nminutes = 2.5\n")
    settings = load_settings(config_file=config, environ={})
    assert settings.cooldown.max_snoozes == 3 and isinstance(settings.cooldown.max_snoozes, int)
    assert settings.cooldown.minutes == 2.5


@pytest.mark.parametrize("value", ["inf", "nan", "1e12", "-1", "0"])
def test_the_environment_is_checked_the_same_way(value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(environ={"CALLDESK_COOLDOWN_MINUTES": value})
    assert "$CALLDESK_COOLDOWN_MINUTES" in str(raised.value)
    assert "more than 0 and at most 480" in str(raised.value)


def test_a_latin1_config_file_is_a_plain_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes('agent_name = "Ren\u00e9e"\n'.encode("latin-1"))
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=config, environ={})
    assert f"{config}:1:18: byte 0xe9 is not UTF-8 text" in str(raised.value)


def test_a_config_file_with_a_bom_is_a_plain_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(b'\xef\xbb\xbfagent_name = "Ren"\n')
    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=config, environ={})
    assert "byte order mark (BOM)" in str(raised.value)
    assert "save it as UTF-8 without BOM" in str(raised.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"[cooldown]\nmax_snoozes = inf\n", "max_snoozes: expected a whole number"),
        ('agent_name = "Ren\u00e9e"\n'.encode("latin-1"), "is not UTF-8 text"),
        (b'\xef\xbb\xbfagent_name = "x"\n', "byte order mark"),
    ],
)
def test_the_cli_exits_2_on_these_without_a_traceback(
    tmp_path: Path, content: bytes, message: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "--config", str(config), "phrases", "list"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("calldesk: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
