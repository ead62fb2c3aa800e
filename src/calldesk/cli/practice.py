"""`calldesk practice [stats]`: practise phrases in the plain terminal, and see the progress."""

from __future__ import annotations

import argparse
import json
import sys
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from calldesk.cli.main import UserError, database_stored

if TYPE_CHECKING:
    from datetime import datetime
    from pathlib import Path

    from calldesk.config import Settings
    from calldesk.core.clock import Clock
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.practice.cards import PracticeSession, QueueItem
    from calldesk.core.storage import Database

QUIT = ("q", "quit")
RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
_GRADE_WORDS = {"1": 1, "2": 2, "3": 3, "4": 4, "again": 1, "hard": 2, "good": 3, "easy": 4}
_GRADE_PROMPT = "How well did you know it? 1 again · 2 hard · 3 good · 4 easy (q quits): "

_EXAMPLES = """\
examples:
  calldesk practice                   today's due and new phrases
  calldesk practice --set essentials  only the phrases of one drill set
  calldesk practice --aloud           say it aloud: Enter starts the clock, Enter again reveals
  calldesk practice stats --json      progress per phrase and per set, as JSON

Each card shows the situation; type what you would say (or say it aloud and just press Enter),
then see the real words and grade yourself: 1 again (forgot), 2 hard, 3 good, 4 easy.
A typed attempt is scored on the phrase's key clause and a grade is suggested: Enter takes it.
A phrase counts as learned once it is remembered for three weeks or more. New phrases per day:
[practice] new_per_day in config.toml. Not during a call or a break.
"""


def register(subparsers: Any) -> None:
    """Add `practice` (and `practice stats`) to the calldesk command line."""
    parser = subparsers.add_parser(
        "practice",
        help="practise phrases until they come without thinking",
        description="Practise the phrase library with spaced repetition, in this terminal.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", dest="set_name", metavar="NAME", help="only this drill set")
    parser.add_argument(
        "--aloud",
        action="store_true",
        help="say-it-aloud mode: Enter shows the situation and starts the clock, Enter again "
        "(as you start to speak) reveals the phrase; records how long you took to start",
    )
    parser.set_defaults(handler=run_session)
    commands = parser.add_subparsers(dest="practice_command", metavar="COMMAND")
    stats = commands.add_parser(
        "stats",
        help="reviews, lapses and next due per phrase; learned/total per set",
        description="Show practice progress. Works while calldesk is running.",
    )
    # SUPPRESS, so `practice --set X stats` keeps X rather than this parser's default.
    stats.add_argument(
        "--set", dest="set_name", metavar="NAME", default=argparse.SUPPRESS, help="only this set"
    )
    stats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    stats.set_defaults(handler=run_stats)


# -- the session ---------------------------------------------------------------------------


def run_session(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.practice.cards import PracticeSession

    phrases = _phrases(settings, args.set_name)
    clock = SystemClock()
    with _open_store(settings, clock) as store:
        _refuse_during_call_or_break(store, clock.now())
        session = PracticeSession(
            store,
            phrases,
            clock,
            new_per_day=settings.practice.new_per_day,
            set_name=args.set_name,
        )
        _practise(session, settings.agent_name, aloud=args.aloud)
    return 0


@contextmanager
def _open_store(settings: Settings, clock: Clock) -> Iterator[Database]:
    from calldesk.core.storage import Database, StoreError, StoreInUse

    try:
        store = _warned(Database.open(settings.database_path, clock))
    except StoreInUse:
        raise UserError(
            "calldesk is running and has the database open: practise inside the app"
            f" ({_practice_key(settings)}).",
            code=1,
        ) from None
    except StoreError as error:
        raise UserError(str(error), code=1) from None
    try:
        yield store
    finally:
        store.close()


def _practice_key(settings: Settings) -> str:
    """The app's practice key as the agent's `[keymap]` binds it, named as the app names it."""
    from calldesk.tui.bindings import key_name

    return key_name("practice", settings.keymap)


def _refuse_during_call_or_break(store: Database, now: datetime) -> None:
    """Practice is for quiet moments: an open call or a break in progress comes first."""
    from calldesk.core.aftercall import records as aftercall_records
    from calldesk.core.calls import history as call_history

    call = call_history.open_call(store)
    if call is not None:
        started = call.started_at.astimezone().strftime("%H:%M")
        raise UserError(
            f"a call is open (started {started}). End it in calldesk first; practise after.",
            code=1,
        )
    from calldesk.core.aftercall.cooldown import Phase

    cooldown = aftercall_records.active_cooldown(store)
    if cooldown is None:
        return
    if cooldown.state is Phase.RUNNING:
        if cooldown.is_finished(now):
            return  # its time ran out while calldesk was closed
        raise UserError(
            "you are on a break, and the break is a real break: practise after it.", code=1
        )
    raise UserError(
        "a break after a bad call is waiting: take it (or skip it) in calldesk first, "
        "then practise.",
        code=1,
    )


def _practise(session: PracticeSession, agent_name: str, *, aloud: bool = False) -> None:
    """Card after card until nothing is due, q, end of input or Ctrl-C; then the summary."""
    from calldesk.core.practice.cards import describe_due

    queue = session.queue()
    set_part = f" · set {_line(session.set_name or '')}" if session.set_name else ""
    print(f"Practice{set_part}: {len(queue.due)} due, {len(queue.new)} new.")
    if queue:
        if aloud:
            print("Say it aloud: Enter shows the situation and starts the clock; press Enter")
            print("again the moment you start to speak. q stops.")
        else:
            print("Type what you would say, or say it aloud and just press Enter. q stops.")
        shown = 0
        try:
            while (item := session.next()) is not None:
                shown += 1
                if not _card(session, item, shown, agent_name, aloud=aloud):
                    break
        except (EOFError, KeyboardInterrupt):
            print()  # the prompt was left mid-line
        print()
        print(session.summary.describe())
        _print_progress(session)
    left = session.queue()
    now = session.clock.now()
    if left:
        print(f"{len(left)} still to practise: run calldesk practice again to go on.")
        return
    next_due = session.next_due()
    when = f" Next phrase due {describe_due(next_due, now)}." if next_due is not None else ""
    print(f"Nothing else to practise now.{when}")
    if left.new_waiting:
        print(f"{left.new_waiting} new phrases wait for the coming days.")


def _card(
    session: PracticeSession, item: QueueItem, number: int, agent_name: str, *, aloud: bool
) -> bool:
    """Show one card, take the attempt and the grade; False when the agent quits."""
    from calldesk.core.practice.cards import practice_text
    from calldesk.core.practice.teach import CLOZE, prepare, score_attempt

    phrase = item.phrase
    words = practice_text(phrase, agent_name)
    view = prepare(item, words, session.ratings(item))
    print()
    label = "new" if item.card is None else "new words" if item.changed else "review"
    kind = " · fill the gap" if view.kind == CLOZE else ""
    print(f"── {number} · {_line(phrase.category)} ({label}{kind}) ──")
    started = 0.0
    if aloud:
        if _ask("Enter shows the situation: ").strip().lower() in QUIT:
            return False
        started = time.monotonic()
    if phrase.when:
        print(f"When: {_line(phrase.when)}")
    elif not phrase.instead_of:  # no situation written: the title is the only cue
        print(f"Phrase: {_line(phrase.title)}")
    if phrase.instead_of:
        print(f"You want to say: {_line(phrase.instead_of)}")
    if view.cloze is not None:
        print("Fill the gap:")
        for line in view.cloze.text.splitlines() or [""]:
            print(f"  {_line(line)}")
    else:
        print("What do you say instead?" if phrase.instead_of else "What do you say?")
    if view.cue:
        print(f"Hint: {_line(view.cue)}")
    seconds: float | None = None
    if aloud:
        attempt = _ask("Enter as you start to speak: ")
        seconds = time.monotonic() - started
        print(f"You started after {seconds:.1f} s.")
    else:
        attempt = _ask("> ")
    if attempt.strip().lower() in QUIT:
        return False
    print(f"The phrase ({_line(phrase.title)}):")
    for line in words.splitlines() or [""]:
        print(f"  {_line(line)}")
    result = None if aloud else score_attempt(view, attempt, phrase.instead_of)
    if result is not None:
        print(f"Yours: {_diff_line(_word_diff(attempt, view.answer))}")
        print("  ([-…-] yours, not in the phrase · {+…+} in the phrase, left out)")
        said = len(result.clause_said)
        total = said + len(result.clause_missed)
        print(f"Key clause: “{_line(result.clause)}”: {said} of {total} key words said.")
        suggested = RATING_NAMES[result.suggested]
        print(f"Suggested: {result.suggested} {suggested} ({result.reason}).")
    prompt = _GRADE_PROMPT
    if result is not None:
        prompt = prompt.replace("(q quits): ", f"(Enter: {result.suggested}, q quits): ")
    while True:
        answer = _ask(prompt).strip().lower()
        if answer in QUIT:
            return False
        if not answer and result is not None:
            rating = result.suggested
            break
        rating = _GRADE_WORDS.get(answer)
        if rating is not None:
            break
        print("Type 1, 2, 3 or 4 (or q to stop).")
    session.grade(item, rating, typed=bool(attempt.strip()) and not aloud, seconds_to_speak=seconds)
    return True


def _word_diff(attempt: str, answer: str) -> list[tuple[str, str]]:
    from calldesk.core.practice.hint import word_diff

    return word_diff(attempt, answer)


def _print_progress(session: PracticeSession) -> None:
    """Progress per drill set, as bars, after a session."""
    from calldesk.core.practice.progress import LEGEND, set_lines
    from calldesk.core.practice.stats import stats

    result = stats(session.phrases, session.store, session.clock.now())
    lines = set_lines(result.sets)
    if not lines:
        return
    print()
    print(f"Progress per set ({LEGEND}):")
    for line in lines:
        print(f"  {_line(line)}")


def _ask(prompt: str) -> str:
    """One line of input; echoed when stdin is not a terminal, so a piped session reads well."""
    answer = input(prompt)
    if not sys.stdin.isatty():
        print(_line(answer))
    return answer


def _diff_line(runs: list[tuple[str, str]]) -> str:
    """git's word-diff notation, which reads without colour: [-extra-] and {+missing+}."""
    from calldesk.core.practice.hint import EXTRA, MISSING

    parts: list[str] = []
    for op, words in runs:
        text = _line(words)
        if op == EXTRA:
            parts.append(f"[-{text}-]")
        elif op == MISSING:
            parts.append(f"{{+{text}+}}")
        else:
            parts.append(text)
    return " ".join(parts)


# -- stats ---------------------------------------------------------------------------------


def run_stats(args: argparse.Namespace, settings: Settings) -> int:
    from calldesk.core.clock import SystemClock
    from calldesk.core.practice.cards import LEARNED_STABILITY_DAYS, describe_due
    from calldesk.core.practice.stats import stats

    set_name = getattr(args, "set_name", None)
    phrases = _phrases(settings, set_name)
    clock = SystemClock()
    now = clock.now()
    path = settings.database_path
    if not database_stored(path):
        result = stats(phrases, None, now, set_name)  # nothing practised yet
    else:
        store = _open_for_reading(path, clock)
        try:
            result = stats(phrases, store, now, set_name)
        finally:
            store.close()
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    rows = [
        (
            _line(p.phrase_id),
            p.state.label + (" (new words)" if p.changed else ""),
            str(p.reviews),
            str(p.lapses),
            describe_due(p.due, now),
        )
        for p in result.phrases
    ]
    header = ("phrase", "state", "reviews", "lapses", "due")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    print()
    print(
        f"learned {result.learned}/{result.total} "
        f"(learned: remembered for {LEARNED_STABILITY_DAYS:g}+ days); due now: {result.due_now}"
    )
    from calldesk.core.practice.progress import LEGEND, set_lines

    lines = set_lines(result.sets)
    if lines:
        print()
        print(f"Progress per set ({LEGEND}):")
        for line in lines:
            print(f"  {_line(line)}")
    return 0


def _open_for_reading(path: Path, clock: Clock) -> Database:
    """The store as usual (which also updates an old one), or read-only beside a running app."""
    from calldesk.core.storage import Database, StoreError, StoreInUse

    try:
        try:
            return _warned(Database.open(path, clock))
        except StoreInUse:
            return Database.open_readonly(path, clock)
    except StoreError as error:
        raise UserError(str(error), code=1) from None


# -- shared --------------------------------------------------------------------------------


def _warned(store: Database) -> Database:
    """The store just opened; a damaged journal found at open is reported on stderr."""
    from calldesk.core.calls.recovery import journal_warning

    warning = journal_warning(store)
    if warning is not None:
        print(f"calldesk: warning: {warning}", file=sys.stderr)
    return store


def _phrases(settings: Settings, set_name: str | None) -> list[Phrase]:
    """The configured library; naming a set that no phrase is in is an error."""
    from calldesk.core.library.loader import load_configured_library
    from calldesk.core.practice.stats import set_names

    library = load_configured_library(settings.phrase_folders(), settings.user_phrase_dir)
    if library.errors:
        count = len(library.errors)
        print(
            f"calldesk: warning: the phrase library has {count} error{'s' if count != 1 else ''}; "
            "the broken files are skipped (run: calldesk phrases check)",
            file=sys.stderr,
        )
    phrases = list(library.phrases)
    if not phrases:
        raise UserError("there are no phrases to practise (run: calldesk phrases check)", code=1)
    if set_name is not None:
        names = set_names(phrases)
        if set_name not in names:
            known = ", ".join(names) if names else "none (mark phrases with 'sets: [...]')"
            raise UserError(f"there is no drill set {set_name!r}; sets: {known}", code=1)
    return phrases


def _line(text: str) -> str:
    """`text` on one line, with control characters (escape sequences) shown, never obeyed."""
    out: list[str] = []
    for char in text.strip():
        if char in "\n\t":
            out.append(" ")
        elif unicodedata.category(char) in ("Cc", "Cf") and char != "\u200d":
            out.append(repr(char)[1:-1])
        else:
            out.append(char)
    return "".join(out)
