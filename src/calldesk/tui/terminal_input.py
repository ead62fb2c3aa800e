"""Terminal input read right at the parser: alt+enter, modifyOtherKeys and invalid UTF-8.

Textual 8.2 reads the keyboard in `LinuxDriver.run_input_thread`, which decodes the bytes with a
strict UTF-8 decoder and hands the text to an `XTermParser`. Three things go wrong for an agent:

* **alt+enter files the note.** tmux, GNOME Terminal, Konsole, xterm and most terminals send
  alt+enter as ESC CR. `XTermParser` keeps ESC CR pending until the escape delay runs out and then
  reissues it through `_sequence_to_key_events(character, alt=True)`, which adds `alt+` only to
  one-character key names, so CR comes out as plain `enter`. If another ESC (a second alt+enter)
  or 32 characters arrive first, the pending ESC is reissued as a literal `^` and CR as `enter`:
  the stray `^` of issue 16. (Upstream report: docs/upstream/textual-alt-enter.md.)
* **shift+enter from xterm's modifyOtherKeys** (`CSI 27;2;13~`, which tmux sends with
  `extended-keys`) is read as a kitty sequence and comes out as the key `shift+\\r`.
* **one invalid UTF-8 byte kills the app** (Textual #6456): the strict decoder raises in the input
  thread, and Textual panics.
* **Escape then a letter, typed fast, is read as alt+that letter** (or, for ESC 1 and a few
  others, as a macOS Option character: `¡`). A terminal sends alt+s as ESC s, so within the
  escape delay (100 ms) the two cannot be told apart, and Escape was lost: "Ann", Escape, "note"
  typed "Annnote" into the caller field. calldesk binds no alt+letter, so ESC + a character is
  read as Escape and that character, unless the agent's keymap binds alt+that key.

The fix is two subclasses, no monkeypatching: `CalldeskXTermParser` resolves ESC + a control
character at once as alt+that key, and reads modifyOtherKeys; `CalldeskLinuxDriver` runs Textual's
input loop with that parser and a decoder that replaces bad bytes with U+FFFD. The app picks the
driver in `CalldeskApp.get_driver_class`. The loop is a copy of Textual's; a test pins the
original's source, so a Textual upgrade that changes it is looked at, not silently shadowed.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
from codecs import getincrementaldecoder
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TextIO

from textual import constants, events
from textual._ansi_sequences import ANSI_SEQUENCES_KEYS
from textual._loop import loop_last
from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver
from textual.keys import Keys
from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App

ESC: Final = "\x1b"

ALT_CONTROLS: Final = frozenset(
    chr(code)
    for code in range(0x20)
    if chr(code) != ESC and ESC + chr(code) not in ANSI_SEQUENCES_KEYS
)
"""Control characters that, after ESC, can only mean alt+that key.

No terminal report or key sequence starts with ESC + a C0 control (they start ESC [, ESC O,
ESC ], ESC P ...), so ESC CR is alt+enter the moment the CR arrives: nothing to wait for.
ESC TAB (Linux console shift+tab) keeps Textual's meaning."""

MODIFY_OTHER_KEYS: Final = re.compile(r"\x1b\[27;(\d+);(\d+)~")
"""xterm's modifyOtherKeys report: CSI 27 ; modifiers ; code point ~ (tmux `extended-keys`)."""

KITTY_FLAGS_QUERY: Final = "\x1b[?u"
KITTY_FLAGS_REPORT: Final = re.compile(r"\x1b\[\?(\d+)u")
"""A terminal with the kitty keyboard protocol answers CSI ? u with CSI ? flags u; others stay
silent. Textual turns the protocol on but never asks, and would type a stray answer as text."""


@dataclass
class TerminalKeyboard:
    """What the terminal calldesk runs in can tell apart, for F1 to promise only that."""

    kitty_flags: int = 0
    """The kitty keyboard protocol flags the terminal reported (0: it did not answer)."""
    alt_keys: frozenset[str] = frozenset()
    """alt+ keys the agent's keymap binds: ESC + that character stays alt+ it."""

    def newline_keys(self, env: Mapping[str, str] | None = None) -> list[str]:
        """The keys that start a new line in a note in this terminal, ctrl+j first.

        ctrl+j sends LF everywhere. alt+enter arrives as ESC CR unless the terminal keeps it:
        Windows Terminal makes it full screen, macOS Terminal and iTerm2 send a plain CR unless
        Option is set to act as Meta (so F1 does not promise it there). shift+enter is a CR like
        Enter except in terminals speaking the kitty keyboard protocol (kitty, foot, Ghostty,
        WezTerm or iTerm2 when turned on).
        """
        env = os.environ if env is None else env
        keys = ["ctrl+j"]
        if self.kitty_flags:
            return [*keys, "alt+enter", "shift+enter"]
        if not env.get("WT_SESSION") and env.get("TERM_PROGRAM") not in MAC_TERMINALS:
            keys.append("alt+enter")
        return keys


MAC_TERMINALS: Final = frozenset({"Apple_Terminal", "iTerm.app"})


def alt_keys_of(keymap: Mapping[str, str]) -> frozenset[str]:
    """The alt+ keys a keymap binds (its values list keys separated by commas)."""
    return frozenset(
        key.strip()
        for keys in keymap.values()
        for key in keys.split(",")
        if key.strip().startswith("alt+")
    )


TERMINAL = TerminalKeyboard()
"""This process's terminal, as its driver learns it (the input thread sets `kitty_flags`)."""


class CalldeskXTermParser(XTermParser):
    """Textual's parser, reading alt+control keys and modifyOtherKeys as the terminal meant them."""

    def _sequence_to_key_events(self, sequence: str, alt: bool = False) -> Iterable[events.Key]:
        if len(sequence) == 2 and isinstance(ANSI_SEQUENCES_KEYS.get(sequence), str):
            # ESC 1 and friends, which Textual maps to macOS Option characters. (ESC b and
            # ESC f stay ctrl+left and ctrl+right: macOS terminals send them for Option+arrow.)
            yield from self._escape_then(sequence[1], as_sent=sequence)
            return
        if alt and len(sequence) == 1 and sequence.isprintable():
            # The escape-delay path: ESC then a character within the delay.
            yield from self._escape_then(sequence, as_sent=sequence)
            return
        if len(sequence) == 2 and sequence[0] == ESC and sequence[1] in ALT_CONTROLS:
            # ESC CR and friends: alt+enter, at once (see the module docstring).
            yield from self._with_alt(super()._sequence_to_key_events(sequence[1]))
            return
        if alt and len(sequence) == 1 and sequence in ALT_CONTROLS:
            # The escape-delay path: Textual drops `alt` for named keys such as `enter`.
            yield from self._with_alt(super()._sequence_to_key_events(sequence))
            return
        if match := MODIFY_OTHER_KEYS.fullmatch(sequence):
            yield from self._modify_other_keys(int(match[1]), int(match[2]))
            return
        if match := KITTY_FLAGS_REPORT.fullmatch(sequence):
            TERMINAL.kitty_flags = int(match[1])
            yield events.Key(Keys.Ignore, sequence)  # an answer, not a key: the parser drops it
            return
        yield from super()._sequence_to_key_events(sequence, alt)

    def _escape_then(self, character: str, as_sent: str) -> Iterable[events.Key]:
        """Escape, then `character`: what an agent typing fast meant (see the module docstring).
        Textual's reading (alt+ that key) stays when the agent's keymap binds it."""
        as_alt = list(super()._sequence_to_key_events(character, alt=True))
        if any(key.key in TERMINAL.alt_keys for key in as_alt):
            yield from as_alt if len(as_sent) == 1 else super()._sequence_to_key_events(as_sent)
            return
        yield events.Key("escape", ESC)
        yield from super()._sequence_to_key_events(character)

    @staticmethod
    def _with_alt(keys: Iterable[events.Key]) -> Iterable[events.Key]:
        # As Textual names kitty's alt+enter: modifiers sorted, no character (nothing to type).
        for key in keys:
            yield events.Key(f"alt+{key.key}", None)

    def _modify_other_keys(self, modifiers: int, code: int) -> Iterable[events.Key]:
        if code > 0x10FFFF:
            return
        character = chr(code)
        if modifiers <= 2 and character.isprintable():
            # Plain or shifted text: type it, as the terminal would without the mode.
            yield from super()._sequence_to_key_events(character)
            return
        if character.isalpha():
            character = character.lower()  # kitty reports the unshifted key
        # Same meaning as the kitty form CSI code ; modifiers u, which Textual already parses.
        yield from super()._sequence_to_key_events(f"\x1b[{ord(character)};{modifiers}u")


class TerminalGone(Message):
    """The terminal closed (end of input, or a hang-up): nobody can type or read any more."""


HANG_UPS: Final = (signal.SIGHUP, signal.SIGTERM)


class TerminalOutput:
    """The terminal as Textual's writer thread sees it; writing to one that has gone is a no-op.

    A write to a closed terminal raises EIO in the writer thread, which ends it. The app's next
    30 writes then fill its queue and the 31st blocks for ever: after a tmux kill-session,
    calldesk hung in its own shutdown, the desk's lock held (seen with py-spy).
    """

    def __init__(self, file: TextIO) -> None:
        self._file = file

    def write(self, text: str) -> int:
        try:
            return self._file.write(text)
        except OSError:
            return 0

    def flush(self) -> None:
        with contextlib.suppress(OSError):
            self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def isatty(self) -> bool:
        return self._file.isatty()


class CalldeskLinuxDriver(LinuxDriver):
    """Textual's Linux/macOS driver with calldesk's parser and a decoder that never raises."""

    def __init__(self, app: App[object], **options: Any) -> None:
        super().__init__(app, **options)
        self._file = TerminalOutput(self._file)  # type: ignore[assignment]

    def start_application_mode(self) -> None:
        super().start_application_mode()
        # A closed window or a dropped ssh sends SIGHUP, a logout SIGTERM: both killed calldesk
        # before the writer had written the last keys. Now they save and quit like ctrl+q.
        for hang_up in HANG_UPS:
            self._loop.add_signal_handler(hang_up, self._app.post_message, TerminalGone())
        # Textual 8.2 has no switch for the kitty protocol (always on); later ones read one.
        if not getattr(constants, "DISABLE_KITTY_KEY", False):
            self.write(KITTY_FLAGS_QUERY)  # does shift+enter exist here? (see TerminalKeyboard)
            self.flush()

    def run_input_thread(self) -> None:
        """Textual 8.2's `LinuxDriver.run_input_thread`, changed where marked (calldesk)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)

        fileno = self.fileno
        EVENT_READ = selectors.EVENT_READ

        parser = CalldeskXTermParser(self._debug)  # calldesk: our parser
        feed = parser.feed
        tick = parser.tick

        # calldesk: errors="replace", so a bad byte is U+FFFD in the note, not a dead app (#6456).
        decode = getincrementaldecoder("utf-8")(errors="replace").decode
        read = os.read

        def process_selector_events(
            selector_events: list[tuple[selectors.SelectorKey, int]],
            final: bool = False,
        ) -> bool:
            """Feed what the terminal sent; False once it has gone (calldesk)."""
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & EVENT_READ:
                    try:
                        data = read(fileno, 1024 * 4)
                    except OSError:  # calldesk: EIO from a pty whose other end has closed
                        data = b""
                    if not data:
                        # calldesk: end of input. Textual polled the dead descriptor forever,
                        # at 40% of a core, and the desk kept its lock (seen after a closed pty).
                        return False
                    unicode_data = decode(data, final=final and last)
                    if not unicode_data:
                        continue  # calldesk: half a UTF-8 character; the rest comes next read
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)
            return True

        try:
            while not self.exit_event.is_set():
                if not process_selector_events(selector.select(0.1)):
                    self._app.post_message(TerminalGone())  # calldesk: save and quit
                    return
            selector.unregister(self.fileno)
            process_selector_events(selector.select(0.1), final=True)

        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass


def driver_class_for(default: type[Driver]) -> type[Driver]:
    """calldesk's driver where Textual would use its Linux driver; any other driver unchanged.

    Windows reads keys as console records (no UTF-8 bytes, no ESC CR), and a driver chosen with
    TEXTUAL_DRIVER (or the headless one of the tests) is left as it is.
    """
    return CalldeskLinuxDriver if default is LinuxDriver else default
