"""`calldesk` entry point: global flags, sub-commands, and errors as messages, never tracebacks."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import traceback
from collections.abc import Sequence
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
)


class UserError(Exception):
    """A problem the user can fix; printed as `calldesk: error: ...` with exit code `code`."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


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
