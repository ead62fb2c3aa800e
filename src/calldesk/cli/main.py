"""`calldesk` entry point: global flags, sub-commands, and errors as messages, never tracebacks."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from calldesk import __version__
from calldesk.config import ConfigError, Settings, load_settings

# Each module here has `register(subparsers)`; its handlers import what they need when run,
# so `calldesk phrases check` never pays for importing the TUI.
COMMAND_MODULES = (
    "calldesk.cli.phrases",
    "calldesk.cli.export",
    "calldesk.cli.softphone",
    "calldesk.cli.practice",
    "calldesk.cli.promises",
    "calldesk.cli.record",
    "calldesk.cli.team",
)


class UserError(Exception):
    """A problem the user can fix; printed as `calldesk: error: ...` with exit code `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def database_stored(database: Path) -> bool:
    """Whether the call database exists yet; a link or a pipe in its place is refused by name
    (as the app refuses it), never called damaged or missing."""
    from calldesk.core.storage import StoreError, database_exists

    try:
        return database_exists(database)
    except StoreError as error:
        raise UserError(str(error), code=1) from None


FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)
"""Dates a command accepts: a day later (or 0001-01-01) overflows Python's dates in the query."""
MAX_ID = 2**63 - 1
"""The largest id SQLite can store; a larger number cannot name a call."""


def day_from_text(flag: str, text: str, example: str = "2026-11-24") -> date:
    """A YYYY-MM-DD option as a date between FIRST_DAY and LAST_DAY, else a usage error."""
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            day = date.fromisoformat(text)
            if FIRST_DAY <= day <= LAST_DAY:
                return day
            raise UserError(f"{flag} expects a date from {FIRST_DAY} to {LAST_DAY}, not {text!r}")
    except ValueError:
        pass
    raise UserError(f"{flag} expects a date as YYYY-MM-DD (e.g. {example}), not {text!r}")


def call_id_arg(text: str) -> int:
    """An argparse type: a call id, a whole number from 1 to SQLite's largest."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a call id (a whole number), got {text!r}"
        ) from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"a call id is from 1 to {MAX_ID}, not {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="calldesk",
        description="A companion for tech-support phone agents. With no command, opens the app.",
    )
    parser.add_argument("--version", action="version", version=f"calldesk {__version__}")
    add_global_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue  # that area is not built yet
            raise
        module.register(subparsers)
    return parser


def add_global_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (over config file and environment)")
    group.add_argument(
        "--config",
        type=Path,
        help="config file (default: $CALLDESK_CONFIG or the platform config dir)",
    )
    group.add_argument(
        "--data-dir", type=Path, help="where the call database lives ($CALLDESK_DATA_DIR)"
    )
    group.add_argument(
        "--phrase-dir",
        type=Path,
        action="append",
        dest="phrase_dirs",
        metavar="DIR",
        help="an extra phrase folder, after the bundled and user ones"
        " (repeatable; $CALLDESK_PHRASE_DIRS)",
    )
    group.add_argument(
        "--agent",
        dest="agent_name",
        help="your name, for phrases that say {agent} ($CALLDESK_AGENT)",
    )
    group.add_argument(
        "--no-bundled-phrases",
        dest="load_bundled_phrases",
        action="store_const",
        const=False,
        help="do not load the phrase library that ships with calldesk",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        "data_dir": args.data_dir,
        "agent_name": args.agent_name,
        "load_bundled_phrases": args.load_bundled_phrases,
    }
    if args.phrase_dirs:
        overrides["phrase_dirs"] = tuple(args.phrase_dirs)
    return load_settings(config_file=args.config, overrides=overrides)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    data_dir: Path | None = args.data_dir  # the crash log follows it, even before settings load
    try:
        settings = settings_from_args(args)
        data_dir = settings.data_dir
        handler = getattr(args, "handler", None)
        if handler is None:
            return run_app(settings)
        return int(handler(args, settings) or 0)
    except (ConfigError, UserError) as error:
        from calldesk.core.textsafe import visible  # only on this path: hooks start lean

        # Errors quote paths, config values and caller data: shown, never obeyed.
        print(f"calldesk: error: {visible(str(error))}", file=sys.stderr)
        return getattr(error, "code", 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as error:
        log = _write_crash_log(data_dir)
        from calldesk.core.textsafe import visible

        print(
            visible(f"calldesk: internal error: {error!r}. Details were saved to {log}."),
            file=sys.stderr,
        )
        return 70


def run_app(settings: Settings) -> int:
    # Start-up creates many long-lived objects; collecting while it does costs a third of the
    # time to first paint. The app turns the collector back on after its first frame.
    gc.disable()
    from calldesk.tui.app import make_app

    app = make_app(settings)
    app.run()
    return int(app.return_code or 0)


def _write_crash_log(data_dir: Path | None) -> Path:
    from calldesk.core.files import FileRefused
    from calldesk.paths import open_crash_log

    try:
        with open_crash_log(data_dir) as (handle, path):
            handle.write(traceback.format_exc())
    except FileRefused as error:
        return Path(f"(nowhere: {error})")
    except OSError:
        return Path("(nowhere: the data dir is not writable)")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
