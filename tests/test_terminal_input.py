"""The bytes a terminal sends become the keys the agent pressed: alt+enter, shift+enter, bad UTF-8.

Each test feeds raw bytes, as tmux, GNOME Terminal, kitty or a broken paste send them, to the
parser or to the driver's real input loop (over a pipe), and looks at the key events that come
out. See src/calldesk/tui/terminal_input.py for why each case needed a fix.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import textual._parser
from tests.pty_app import PtyApp, app_env
from textual import events
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

from calldesk.config import load_settings
from calldesk.core.calls import history as call_history
from calldesk.core.clock import SystemClock
from calldesk.core.storage import Database
from calldesk.tui.terminal_input import (
    TERMINAL,
    CalldeskLinuxDriver,
    CalldeskXTermParser,
    TerminalGone,
    TerminalKeyboard,
    alt_keys_of,
    driver_class_for,
)


def keys(data: bytes, parser: XTermParser | None = None, *, timeout: bool = True) -> list[str]:
    """Key names for `data`; with `timeout`, the escape delay then runs out (no real waiting)."""
    parser = parser or CalldeskXTermParser()
    out = list(parser.feed(data.decode("utf-8")))
    if timeout:
        real = textual._parser.get_time
        textual._parser.get_time = lambda: float("inf")  # the escape delay has passed
        try:
            out += list(parser.tick())
        finally:
            textual._parser.get_time = real
    return [event.key for event in out if isinstance(event, events.Key)]


def test_upstream_textual_reads_alt_enter_as_enter_and_leaves_a_caret() -> None:
    # The bug calldesk works around (docs/upstream/textual-alt-enter.md). When this fails,
    # Textual has fixed it: drop the parser override and this test.
    assert keys(b"\x1b\r", XTermParser()) == ["enter"]
    assert keys(b"\x1b\r\x1b\r", XTermParser()) == ["circumflex_accent", "enter", "enter"]


def test_esc_cr_is_alt_enter_at_once_without_waiting_for_the_escape_delay() -> None:
    assert keys(b"\x1b\r", timeout=False) == ["alt+enter"]


def test_alt_enter_typed_quickly_leaves_no_caret_and_keeps_every_key() -> None:
    assert keys(b"one\x1b\rtwo\x1b\r\x1b\rthree\r") == [
        *"one",
        "alt+enter",
        *"two",
        "alt+enter",
        "alt+enter",
        *"three",
        "enter",
    ]


def test_alt_enter_then_a_long_fast_line_is_not_turned_into_a_caret() -> None:
    # Textual keeps ESC CR pending and, after 32 characters, reissues it as "^" + enter.
    line = b"the customer says the printer still jams on tray two"
    assert "circumflex_accent" in keys(b"\x1b\r" + line, XTermParser())
    typed = ["space" if char == " " else char for char in line.decode()]
    assert keys(b"\x1b\r" + line) == ["alt+enter", *typed]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\r", ["enter"]),
        (b"\n", ["ctrl+j"]),
        (b"\x1b\n", ["alt+ctrl+j"]),
        (b"\x1b\x08", ["alt+backspace"]),
        (b"\x1b\t", ["shift+tab"]),  # Linux console: Textual's meaning kept
        (b"\x1b\x7f", ["ctrl+w"]),  # alt+backspace in most terminals: Textual's meaning kept
        (b"\x1b", ["escape"]),
        (b"\x1b\x1b", ["escape", "escape"]),
        (b"\x1ba", ["escape", "a"]),  # Escape then a letter, typed fast (no alt+ is bound)
        (b"\x1bA", ["escape", "A"]),
        (b"\x1b1", ["escape", "1"]),  # not Textual's macOS Option character "¡"
        (b"\x1b-", ["escape", "minus"]),
        (b"\x1b ", ["escape", "space"]),
        (b"\x1b[A", ["up"]),
        (b"\x1bOP", ["f1"]),
        (b"\x1b[13;2u", ["shift+enter"]),  # kitty keyboard protocol
        (b"\x1b[13;3u", ["alt+enter"]),
        (b"\x1b[13;5u", ["ctrl+enter"]),
        (b"\x1b[27;2;13~", ["shift+enter"]),  # xterm modifyOtherKeys, tmux extended-keys
        (b"\x1b[27;3;13~", ["alt+enter"]),
        (b"\x1b[27;5;13~", ["ctrl+enter"]),
        (b"\x1b[27;5;97~", ["ctrl+a"]),
        (b"\x1b[27;2;65~", ["A"]),
        (b"\x1b[27;5;9~", ["ctrl+tab"]),
    ],
)
def test_keys_from_the_bytes_terminals_send(data: bytes, expected: list[str]) -> None:
    assert keys(data) == expected


def test_escape_then_a_letter_stays_alt_when_the_keymap_binds_alt_with_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(TERMINAL, "alt_keys", alt_keys_of({"history": "f5, alt+h", "x": "alt+1"}))
    assert keys(b"\x1bh") == ["alt+h"]
    assert keys(b"\x1b1") == ["inverted_exclamation_mark"]  # as Textual reads it
    assert keys(b"\x1bj") == ["escape", "j"]


def test_modify_other_keys_shift_letter_types_the_letter() -> None:
    parser = CalldeskXTermParser()
    [event] = parser.feed("\x1b[27;2;65~")
    assert isinstance(event, events.Key)
    assert event.character == "A" and event.is_printable


def test_alt_enter_has_no_character_to_type() -> None:
    [event] = CalldeskXTermParser().feed("\x1b\r")
    assert isinstance(event, events.Key)
    assert event.character is None and not event.is_printable


def test_the_copied_input_loop_still_matches_textual() -> None:
    # CalldeskLinuxDriver.run_input_thread is Textual 8.2's loop, changed where marked. If this
    # fails, Textual changed its loop: bring the copy up to date, then update the hash.
    source = inspect.getsource(LinuxDriver.run_input_thread)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert digest == "d796af6d69db337d", digest


def test_the_app_uses_calldesk_driver_only_instead_of_textual_linux_driver() -> None:
    assert driver_class_for(LinuxDriver) is CalldeskLinuxDriver
    from textual.drivers.headless_driver import HeadlessDriver

    assert driver_class_for(HeadlessDriver) is HeadlessDriver


class _Recorder(CalldeskLinuxDriver):
    """The real input loop on a pipe, keeping what it would send to the app."""

    def __init__(self, app: object, fileno: int) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.fileno = fileno
        self.received: list[Message] = []

    def process_message(self, message: Message) -> None:
        self.received.append(message)


@pytest.fixture
def signals_kept() -> Iterator[None]:
    # LinuxDriver installs SIGTSTP/SIGCONT handlers when it is built: put them back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTSTP, signal.SIGCONT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux/macOS driver")
@pytest.mark.usefixtures("signals_kept")
async def test_invalid_utf8_on_the_input_is_replaced_and_the_loop_keeps_reading() -> None:
    read_end, write_end = os.pipe()
    driver = _Recorder(object(), read_end)
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        os.write(write_end, b"ok \xff\xfe \xc3")  # two bad bytes, then half of "\xc3\xa9" (e)
        os.write(write_end, b"\xa9 \xe2\x82 still here\x1b\r")  # a truncated 3-byte sequence

        def characters() -> str:
            return "".join(m.character or "" for m in driver.received if isinstance(m, events.Key))

        deadline = time.monotonic() + 30
        while "alt+enter" not in [getattr(m, "key", "") for m in driver.received]:
            assert thread.is_alive(), "the input thread died"
            assert time.monotonic() < deadline, characters()
            time.sleep(0.01)
        assert characters() == "ok \ufffd\ufffd \u00e9 \ufffd still here"
    finally:
        driver.exit_event.set()
        thread.join(timeout=10)
        os.close(write_end)
        os.close(read_end)


class _Posts:
    def __init__(self) -> None:
        self.posted: list[Message] = []

    def post_message(self, message: Message) -> bool:
        self.posted.append(message)
        return True


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux/macOS driver")
@pytest.mark.usefixtures("signals_kept")
async def test_the_input_loop_ends_and_says_so_when_the_terminal_is_gone() -> None:
    # Textual's loop polled a closed input forever (40% of a core, the desk's lock kept).
    read_end, write_end = os.pipe()
    app = _Posts()
    driver = _Recorder(app, read_end)
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    try:
        os.write(write_end, b"ab")
        os.close(write_end)
        thread.join(timeout=30)
        assert not thread.is_alive(), "the input loop kept polling a closed input"
        assert [m.character for m in driver.received if isinstance(m, events.Key)] == ["a", "b"]
        assert [type(m) for m in app.posted] == [TerminalGone]
    finally:
        driver.exit_event.set()
        thread.join(timeout=10)
        os.close(read_end)


@contextlib.contextmanager
def app_on_a_call(private_dirs: Path) -> Iterator[PtyApp]:
    """The real app on a pseudo-terminal with a call started (F2); killed when the block ends."""
    app = PtyApp(app_env(private_dirs))
    try:
        assert app.wait_for("NO CALL"), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        yield app
    finally:
        app.kill()


def _stored_call() -> tuple[list[str], str]:
    """The open call the app left in the database: its notes' texts and its draft."""
    db = Database.open_readonly(load_settings().database_path, SystemClock())
    call = call_history.open_call(db)
    db.close()
    assert call is not None
    return [note.text for note in call.notes], call.draft


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
@pytest.mark.parametrize("how", ["closed", "sighup", "sigterm"])
def test_a_closed_terminal_saves_everything_typed_and_frees_the_desk(
    private_dirs: Path, how: str
) -> None:
    # "sighup": a window closed; its pty is the app's controlling terminal, so the kernel
    # sends SIGHUP. "closed": whatever ran calldesk closed its end, no signal.
    app = PtyApp(app_env(private_dirs), controlling=how == "sighup")
    try:
        assert app.wait_for("NO CALL"), app.text()
        app.press("f2")
        assert app.wait_for("ON CALL"), app.text()
        app.type("printer jams\r")
        assert app.wait_for("1 note"), app.text()
        app.type("half a sentence")
        assert app.wait_for("half a sentence"), app.text()
        if how == "sigterm":  # a logout: the terminal is still there
            os.kill(app.process.pid, signal.SIGTERM)
        status = app.close_terminal()
        assert status == 0, f"exit status {status}"  # quit cleanly, not killed by the signal
    finally:
        app.kill()
    assert _stored_call() == (["printer jams"], "half a sentence")
    again = PtyApp(app_env(private_dirs))  # the lock is free: this one records, not read-only
    try:
        assert again.wait_for("half a sentence"), again.text()
        assert "read-only" not in again.text().lower()
    finally:
        again.kill()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_real_app_keeps_the_note_when_the_terminal_sends_invalid_utf8(
    private_dirs: Path,
) -> None:
    with app_on_a_call(private_dirs) as app:
        # A broken paste: bytes that are not UTF-8, then alt+enter (ESC CR) and Enter, in one go.
        os.write(app.master, b"printer \xff\xfe jams\x1b\rline \xc3two\r")
        assert app.wait_for("1 note"), app.text()
        assert app.process.poll() is None, "the app died"
        app.type("still typing")
        assert app.wait_for("still typing"), app.text()
        assert app.quit() == 0, app.text()
    notes, draft = _stored_call()
    assert notes == ["printer \ufffd\ufffd jams\nline \ufffdtwo"]
    assert draft == "still typing"


def test_the_answer_to_the_kitty_query_is_not_typed_and_is_remembered() -> None:
    assert TERMINAL.kitty_flags == 0
    assert keys(b"ab\x1b[?25ucd") == ["a", "b", "c", "d"]
    assert TERMINAL.kitty_flags == 25


@pytest.mark.parametrize(
    ("kitty_flags", "env", "expected"),
    [
        (0, {}, ["ctrl+j", "alt+enter"]),  # tmux, GNOME Terminal, Konsole, xterm: ESC CR
        (0, {"TERM_PROGRAM": "tmux"}, ["ctrl+j", "alt+enter"]),
        (0, {"WT_SESSION": "1"}, ["ctrl+j"]),  # Windows Terminal: alt+enter is full screen
        (0, {"TERM_PROGRAM": "Apple_Terminal"}, ["ctrl+j"]),  # Option is not Meta by default
        (0, {"TERM_PROGRAM": "iTerm.app"}, ["ctrl+j"]),
        (25, {"TERM_PROGRAM": "iTerm.app"}, ["ctrl+j", "alt+enter", "shift+enter"]),
        (1, {}, ["ctrl+j", "alt+enter", "shift+enter"]),  # kitty, foot, Ghostty
    ],
)
def test_f1_promises_only_the_new_line_keys_this_terminal_tells_apart(
    kitty_flags: int, env: dict[str, str], expected: list[str]
) -> None:
    assert TerminalKeyboard(kitty_flags).newline_keys(env) == expected


def test_the_help_rows_follow_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from calldesk.tui.keys import binding_help

    def newline_row() -> str:
        [row] = [row for row in binding_help() if row.action == "New line inside a note"]
        return row.keys

    assert newline_row() == "ctrl+j / alt+enter"
    monkeypatch.setenv("WT_SESSION", "x")
    assert newline_row() == "ctrl+j"
    TERMINAL.kitty_flags = 1
    assert newline_row() == "ctrl+j / alt+enter / shift+enter"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_real_app_takes_alt_enter_typed_fast_as_new_lines(private_dirs: Path) -> None:
    # What tmux sends for: "one", alt+enter, "two", alt+enter twice, a long line, in one burst.
    # Textual alone filed "one^" and "one^two^", left "^" and lost the long line.
    long_line = b"the caller says the printer on floor two still jams"
    with app_on_a_call(private_dirs) as app:
        os.write(app.master, b"one\x1b\rtwo\x1b\r\x1b\r" + long_line)
        assert app.wait_for("still jams"), app.text()
        app.pump(0.5)
        shown = app.text().replace("^y copies", "")  # the phrase pane's own hint for ctrl+y
        assert "0 notes" in shown and "^" not in shown, app.text()
        app.press("enter")
        assert app.wait_for("1 note"), app.text()
        app.quit()
    notes, _draft = _stored_call()
    assert notes == ["one\ntwo\n\n" + long_line.decode()]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_the_real_app_takes_escape_then_text_typed_fast_as_escape_and_the_text(
    private_dirs: Path,
) -> None:
    # "Ann" in the caller field, Escape back to the note, a note, Enter: in one burst. Read as
    # alt+s, the Escape was lost and the note went into the caller's name.
    with app_on_a_call(private_dirs) as app:
        app.press("f4")
        os.write(app.master, b"Ann\x1bsome note text\r")
        assert app.wait_for("1 note"), app.text()
        app.quit()
    notes, _draft = _stored_call()
    assert notes == ["some note text"]
