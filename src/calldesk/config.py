"""One settings object: config file (TOML), then CALLDESK_* environment, then command-line flags."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, get_type_hints

from calldesk import paths


class ConfigError(Exception):
    """The config file or an override is wrong; the message says where and how to fix it."""


@dataclass(frozen=True)
class CooldownSettings:
    minutes: float = 5.0
    """Length of the break offered after a bad or abusive call."""
    snooze_minutes: float = 2.0
    """How long a snooze puts the break off."""
    max_snoozes: int = 2
    """How many times the break can be snoozed before it has to be taken or skipped."""
    bad_streak: int = 3
    """After this many bad calls in a row, suggest a longer break."""
    long_minutes: float = 15.0
    """Length of the longer break suggested after a bad streak."""


@dataclass(frozen=True)
class SoftphoneSettings:
    start_on: str = "ring"
    """Start the call record when the phone rings ("ring") or when it is answered ("answer")."""
    baresip: str = ""
    """host:port of baresip's ctrl_tcp module to follow, e.g. "127.0.0.1:4444"; empty is off."""


@dataclass(frozen=True)
class PracticeSettings:
    new_per_day: int = 5
    """How many phrases practice introduces per day."""
    daily_goal: int = 0
    """Grades a day to aim for, shown on the status line as "practice 3/10"; 0 is no goal."""


@dataclass(frozen=True)
class PromiseSettings:
    shift_end: str = ""
    """HH:MM local time: the open promises are listed when the shift ends; empty is off."""


@dataclass(frozen=True)
class Settings:
    """Everything calldesk can be told. Each field can be set in config.toml."""

    agent_name: str = ""
    """Your name, filled into phrases that say {agent}."""
    data_dir: Path = field(default_factory=paths.default_data_dir)
    """Where the call database lives."""
    config_file: Path = field(default_factory=paths.default_config_file)
    """The TOML file these settings were read from (it may not exist)."""
    phrase_dirs: tuple[Path, ...] = ()
    """Extra phrase folders (a team library, say), loaded after the bundled and user folders."""
    user_phrase_dir: Path = field(default_factory=paths.user_phrase_dir)
    """Your own phrase folder, loaded after the bundled library."""
    load_bundled_phrases: bool = True
    """Load the phrase library that ships with calldesk."""
    export_dir: Path = field(default_factory=paths.default_export_dir)
    """Where F10 in the app writes exported calls (one Markdown file per call)."""
    smile_cue: bool = True
    """Show "Smile: they can hear it." as each call starts (false turns it off)."""
    cooldown: CooldownSettings = field(default_factory=CooldownSettings)
    softphone: SoftphoneSettings = field(default_factory=SoftphoneSettings)
    practice: PracticeSettings = field(default_factory=PracticeSettings)
    promises: PromiseSettings = field(default_factory=PromiseSettings)
    keymap: Mapping[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. {"start-call" = "f2"}; applied with Textual's set_keymap."""

    def phrase_folders(self) -> list[Path]:
        """Every phrase folder in load order: later folders override earlier ones by id."""
        folders: list[Path] = []
        if self.load_bundled_phrases:
            folders.append(paths.bundled_phrase_dir())
        folders.append(self.user_phrase_dir)
        folders.extend(self.phrase_dirs)
        return folders

    @property
    def database_path(self) -> Path:
        return self.data_dir / "calldesk.db"


# Environment variables and the setting each overrides.
ENVIRONMENT = {
    "CALLDESK_DATA_DIR": "data_dir",
    "CALLDESK_PHRASE_DIRS": "phrase_dirs",
    "CALLDESK_USER_PHRASE_DIR": "user_phrase_dir",
    "CALLDESK_AGENT": "agent_name",
    "CALLDESK_BARESIP": "softphone.baresip",
    "CALLDESK_COOLDOWN_MINUTES": "cooldown.minutes",
    "CALLDESK_EXPORT_DIR": "export_dir",
}
CONFIG_ENV = "CALLDESK_CONFIG"

# The allowed range of each number setting: (lowest, highest, lowest itself allowed).
# A break is at most a shift long; the counts are what a person could use in a day.
LIMITS: Mapping[str, tuple[float, float, bool]] = {
    "cooldown.minutes": (0, 480, False),
    "cooldown.snooze_minutes": (0, 480, False),
    "cooldown.long_minutes": (0, 480, False),
    "cooldown.max_snoozes": (0, 20, True),
    "cooldown.bad_streak": (1, 100, True),
    "practice.new_per_day": (0, 500, True),
    "practice.daily_goal": (0, 500, True),
}

# Settings written as text in a set form: (is it well formed, what is expected).
_HOST = re.compile(r"[A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\]")


def _is_hostport(text: str) -> bool:
    """ "127.0.0.1:4444", "pbx.lan:4444", ":4444" or "[::1]:4444", with a port from 1 to 65535."""
    host, colon, port = text.strip().rpartition(":")
    return (
        bool(colon)
        and port.isascii()
        and port.isdigit()
        and 1 <= int(port) <= 65535
        and _HOST.fullmatch(host) is not None
    )


def _is_clock_time(text: str) -> bool:
    """ "17:30" (or "5pm"): what `promises.shift_end` is read as when the shift ends."""
    from calldesk.core.promises.when import clock_time

    return clock_time(text) is not None


FORMATS: Mapping[str, tuple[Callable[[str], bool], str]] = {
    "softphone.baresip": (
        lambda text: not text.strip() or _is_hostport(text),
        "host:port such as 127.0.0.1:4444 (port 1 to 65535), or empty for off",
    ),
    "promises.shift_end": (
        lambda text: not text or _is_clock_time(text),
        "a time of day as HH:MM such as 17:30, or empty for off",
    ),
}


def config_file_from_env(environ: Mapping[str, str]) -> Path:
    value = environ.get(CONFIG_ENV)
    return Path(value).expanduser() if value else paths.default_config_file()


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build the settings: defaults < config file < environment < `overrides` (command-line flags).

    `overrides` uses dotted names ("cooldown.minutes") and skips None values, so argparse
    results can be passed straight in.
    """
    environ = os.environ if environ is None else environ
    path = config_file or config_file_from_env(environ)
    settings = Settings(config_file=path)
    if path.is_file():
        settings = _apply_table(settings, _read_toml(path), path, prefix="")
    for variable, name in ENVIRONMENT.items():
        if environ.get(variable):
            settings = _set(settings, name, environ[variable], source=f"${variable}")
    for name, value in (overrides or {}).items():
        if value is not None:
            settings = _set(settings, name, value, source=f"--{name.replace('_', '-')}")
    if settings.softphone.start_on not in ("ring", "answer"):
        raise ConfigError(
            f'{path}: softphone.start_on must be "ring" or "answer", '
            f"not {settings.softphone.start_on!r}"
        )
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib  # only when there is a config file: it is on every command's start-up path

    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config file: {error.strerror}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise ConfigError(
            f"{path}: the file starts with a byte order mark (BOM), which TOML does not allow;"
            " save it as UTF-8 without BOM"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise ConfigError(
            f"{path}:{line}:{column}: byte 0x{data[error.start]:02x} is not UTF-8 text;"
            " save the file as UTF-8 (it looks like another encoding, such as Latin-1)"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: {error} (fix the TOML syntax there)") from None


def _apply_table(target: Any, table: Mapping[str, Any], path: Path, prefix: str) -> Any:
    known = {f.name: f for f in fields(target)}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if key not in known or key == "config_file":
            import difflib

            close = difflib.get_close_matches(key, [k for k in known if k != "config_file"], n=1)
            hint = f"; did you mean '{prefix}{close[0]}'?" if close else ""
            raise ConfigError(f"{path}: unknown setting {name!r}{hint}")
        current = getattr(target, key)
        if is_dataclass(current) and not isinstance(current, type):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{path}: [{name}] must be a table")
            target = replace(target, **{key: _apply_table(current, value, path, f"{name}.")})
        else:
            target = replace(target, **{key: _convert(target, key, value, f"{path}: {name}", name)})
    return target


def _set(settings: Settings, dotted: str, value: Any, source: str) -> Settings:
    head, _, rest = dotted.partition(".")
    if rest:
        inner = getattr(settings, head)
        converted = _convert(inner, rest, value, f"{source}: {dotted}", dotted)
        return replace(settings, **{head: replace(inner, **{rest: converted})})
    return replace(settings, **{head: _convert(settings, head, value, source, dotted)})


def _convert(owner: Any, name: str, value: Any, where: str, dotted: str = "") -> Any:
    """Coerce a TOML or environment value to the field's type, or say what was expected."""
    kind = get_type_hints(type(owner))[name]
    if kind in (int, float):
        return _number(kind, value, where, LIMITS.get(dotted or name))
    kind_text = str(kind)
    try:
        if kind is Path:
            return Path(str(value)).expanduser()
        if "tuple[pathlib.Path" in kind_text:
            items = value.split(os.pathsep) if isinstance(value, str) else list(value)
            return tuple(Path(str(item)).expanduser() for item in items if str(item))
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind is str:
            if not isinstance(value, str):
                raise ValueError
            form = FORMATS.get(dotted or name)
            if form is not None and not form[0](value):
                raise ConfigError(f"{where}: expected {form[1]}, got {value!r}")
            return value
        if "Mapping" in kind_text:
            if not isinstance(value, Mapping):
                raise ValueError
            return {str(k): str(v) for k, v in value.items()}
    except (TypeError, ValueError):
        pass
    else:
        return value
    expected = {
        Path: "a path",
        bool: "true or false",
        str: "a string",
    }
    raise ConfigError(f"{where}: expected {expected.get(kind, kind_text)}, got {value!r}")


def _number(
    kind: type, value: Any, where: str, limits: tuple[float, float, bool] | None
) -> int | float:
    """A finite number of the right kind within `limits`; else the range it must be in.

    `inf`, `nan`, 1e12 minutes and 2.9 snoozes are refused rather than rounded or let through:
    each once crashed calldesk, blanked its screen or silently meant something else.
    """
    low, high, low_allowed = limits if limits is not None else (0, math.inf, False)
    if kind is int:
        wanted = f"a whole number from {low:g} to {high:g}"
    elif low_allowed:
        wanted = f"a number from {low:g} to {high:g}"
    else:
        wanted = f"a number more than {low:g} and at most {high:g}"
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value) if not isinstance(value, int) else value
        if isinstance(number, float) and not math.isfinite(number):
            raise ValueError
        if kind is int:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        else:
            number = float(number)
        too_low = number < low or (number == low and not low_allowed)
        if too_low or number > high:
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{where}: expected {wanted}, got {value!r}") from None
    return number
