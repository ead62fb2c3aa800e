"""`calldesk ring|answer|hangup`: softphone hooks that hand a call event to the running app."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from calldesk.config import Settings
    from calldesk.core.phone.events import PhoneEvent
    from calldesk.core.phone.hook import SendResult

# Softphones run these hooks synchronously (MicroSIP and Twinkle wait for them), so nothing
# is imported at module level beyond argparse, and the socket wait is kept short.
EXIT_DELIVERED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_KEPT = 3
HOOK_TIMEOUT = 0.25
"""Seconds to wait for the running calldesk to take the event before keeping it for later.

A reply comes once the event is on disk (a few ms); under load the hook's own start-up takes
0.1-0.7 s, so this adds little to what the phone waits. A hook that gives up is no longer a
missed call: the running app takes the kept event from the spool within half a second and
drops the copy by id. The wait only keeps late events rare, as they can arrive after a
later event of the same call (an answer sent live after a ring that was kept)."""

_EXIT_CODES = """\
exit codes:
  0  calldesk took the event
  1  calldesk did not take it and it could not be kept either
  2  usage error
  3  calldesk is not running (or did not answer in time): the event was kept; a running
     calldesk takes it within a second, otherwise it shows when calldesk starts
"""

_COMMANDS = {
    "ring": ("the phone is ringing: start a call record (or offer to)", "the caller"),
    "answer": ("the call was answered", "the caller, if the phone passes it"),
    "hangup": ("the call ended", "the caller, if the phone passes it"),
}


def register(subparsers: Any) -> None:
    """Add `ring`, `answer` and `hangup` to the calldesk command line."""
    for kind, (summary, who) in _COMMANDS.items():
        parser = subparsers.add_parser(
            kind,
            help=f"softphone hook: {summary}",
            usage=(
                "%(prog)s [-h] [--name NAME] [--call-id ID] [--source NAME]\n"
                + " " * len(f"usage: calldesk {kind} ")
                + "[--number N ...] [--] [CALLER ...]"
            ),
            description=(
                f"Softphone hook: {summary}.\n"
                "Accepts what softphones pass: a number, a sip: or tel: URI, or a SIP\n"
                "name-addr such as '\"Pat Smith\" <sip:1001@pbx>'.\n\n"
                "Put -- after the options when the phone appends the caller unquoted\n"
                f"(MicroSIP): calldesk {kind} --source=microsip -- 1001\n"
                "Everything after -- is the caller, even a number such as -h."
            ),
            epilog=_EXIT_CODES,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        parser.add_argument(
            "caller",
            nargs="*",
            metavar="CALLER",
            help=f"{who}, as phones that append it pass it (MicroSIP), after --; words are"
            " joined with spaces",
        )
        # nargs="*" so `--number` with nothing after it (an anonymous caller, when the phone
        # appends an empty caller ID) is not a usage error that loses the event.
        parser.add_argument(
            "--number",
            nargs="*",
            metavar="N",
            help=f"{who}: number or SIP address (several words are joined with spaces);"
            " a value that starts with - must be written --number=VALUE",
        )
        parser.add_argument("--name", default="", help="the caller's name, if the phone knows it")
        parser.add_argument(
            "--call-id",
            default="",
            metavar="ID",
            help="the phone's id for this call, to match ring and hangup",
        )
        parser.add_argument(
            "--source",
            default="hook",
            metavar="NAME",
            help='where the event came from (default "hook")',
        )
        parser.set_defaults(handler=handle_hook, event_kind=kind)


def handle_hook(args: argparse.Namespace, settings: Settings) -> int:
    """Send the event to the running calldesk; if it is not there, keep the event for later."""
    from calldesk.core.phone.channel import socket_path
    from calldesk.core.phone.events import PhoneEvent, parse_caller
    from calldesk.core.phone.hook import send_event
    from calldesk.core.phone.spool import keep_for_later, pending_file_path
    from calldesk.paths import runtime_dir

    words = [*(args.number or []), *args.caller]
    number, name = parse_caller(" ".join(words), args.name)
    event = PhoneEvent.create(
        args.event_kind, number=number, name=name, call_id=args.call_id, source=args.source
    )
    path = socket_path(runtime_dir(settings.data_dir))
    result = send_event(event, path, timeout=HOOK_TIMEOUT)
    if result.delivered:
        return EXIT_DELIVERED
    pending_file = pending_file_path(settings.data_dir)
    try:
        keep_for_later(event, pending_file, result.status)
    except OSError as error:
        print(
            f"calldesk: error: {_why(result)}, and {_what(event)} could not be kept either: "
            f"{error.strerror or error} ({pending_file}). Check that the data folder is writable.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if result.status == "not_running" and _in_the_way(path.parent):
        # calldesk may well run (reading the spool) but cannot make its socket folder.
        kept = (
            f"calldesk cannot be reached: its socket folder {path.parent} is in the way (a link"
            f" to nowhere or a file; remove it): {_what(event)} was kept; a running calldesk"
            " takes it from there within a second, or shows it when it starts."
        )
        print(kept, file=sys.stderr)
        return EXIT_KEPT
    if result.status in ("no_answer", "refused"):
        # A busy calldesk reads the spool twice a second, and drops a copy it already took.
        later = "calldesk takes it from there within a second, or shows it when it starts"
    else:
        later = "will show when calldesk starts"
    kept = f"{_why(result)}: {_what(event)} was kept and {later}."
    print(kept, file=sys.stderr)
    return EXIT_KEPT


def _in_the_way(folder: Path) -> bool:
    """Something not a folder (a link to nowhere, a file) holds the socket folder's name."""
    import os

    return os.path.lexists(folder) and not folder.is_dir()


def _why(result: SendResult) -> str:
    from calldesk.core.phone.events import display_safe

    detail = display_safe(result.detail, 120)
    if result.status == "no_answer":
        return f"calldesk did not answer ({detail})"
    if result.status == "refused":
        return f"calldesk refused the event ({detail})"
    if result.status == "unsafe":
        return f"calldesk's socket is not safe to use ({detail})"
    return "calldesk is not running"


def _what(event: PhoneEvent) -> str:
    from calldesk.core.phone.events import display_safe

    # Caller data is hostile and this goes to a terminal: show it, never let it act.
    who = display_safe(event.number or event.name, 60)
    if event.kind == "ring":
        return f"the call from {who}" if who else "the call from an unknown caller"
    if event.kind == "answer":
        return f"the answer to the call from {who}" if who else "the answer to a call"
    return f"the end of the call from {who}" if who else "the end of a call"
