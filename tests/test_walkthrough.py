"""A working day at 80x24 in a real terminal: the screens say what the agent needs, uncut.

The real `calldesk` runs on a pseudo-terminal and every step reads the screen as the agent
sees it (pyte): a call with notes and a phrase, a bad call and its break with the skip question
and F1 over it, the checklist, the fixes, history and export. Keys the footer shows are the
ones pressed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from tests.pty_app import KEYS, PtyApp, app_env

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")

MORE_KEYS = {
    **KEYS,
    "f6": "\x1b[17~",
    "f7": "\x1b[18~",
    "f10": "\x1b[21~",
    "ctrl+s": "\x13",
    "space": " ",
    "down": "\x1b[B",
}


class Day:
    """The app and a few verbs; every wait is for something on screen, never a fixed time."""

    def __init__(self, home: Path) -> None:
        self.app = PtyApp(app_env(home))

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self.app.master, MORE_KEYS[key].encode())
            self.app.pump(0.2)

    def type(self, text: str) -> None:
        self.app.type(text, per_key=0.01)
        self.app.pump(0.2)

    def see(self, *needles: str, timeout: float = 20.0) -> str:
        for needle in needles:
            assert self.app.wait_for(needle, timeout), f"{needle!r} not on screen:\n{self.text}"
        return self.text

    def still(self, needle: str, seconds: float) -> None:
        """`needle` stays on screen for `seconds` (the break's tick runs twice a second)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.app.pump(0.2)
            assert needle in self.text, f"{needle!r} went away:\n{self.text}"

    @property
    def text(self) -> str:
        return self.app.text()

    @property
    def footer(self) -> str:
        return self.app.screen.display[-1].rstrip()

    def see_footer(self, expected: str, *, whole: bool = True, timeout: float = 20.0) -> None:
        """The footer reads `expected` (or starts with it); it paints after the screen's body."""
        deadline = time.monotonic() + timeout
        while True:
            footer = self.footer
            if footer == expected or (not whole and footer.startswith(expected)):
                return
            assert time.monotonic() < deadline, f"footer {footer!r}, expected {expected!r}"
            self.app.pump(0.1)


@pytest.mark.slow
def test_a_day_at_80x24(private_dirs: Path) -> None:
    day = Day(private_dirs)
    try:
        day.see("NO CALL", "A plain, friendly hello")  # the hello, not "Abusive callers"
        assert "Search (tag:blame cat:abuse)" in day.text  # the placeholder is whole

        # A call: the smile cue, a note, a phrase found and put into the notes.
        day.press("f2")
        day.see("ON CALL", "Smile: they can hear it.")
        day.type("printer offline again #printer")
        day.press("enter")
        day.see("1 note")
        day.press("f3")
        day.type("on us")
        day.see("That one's on us")
        day.press("enter")  # into the note being typed
        day.press("enter")  # filed
        day.see("2 notes")
        day.see_footer("f1 Help f8 End f3 Find f5 History f7 Fixes f10 Export")

        # It went badly: the break, with the skip question and the help over it.
        day.press("f8")
        day.see("How did the call")
        day.type("b")
        day.type("shouted at me")
        day.press("enter")
        day.see("Take five", "s starts the break")
        day.type("s")
        day.see("e ends", "early.")  # the whole line, wrapped, not "e ends earl"
        day.type("e")
        day.see("End the break now?")
        day.still("End the break now?", 2.5)
        day.type("n")
        day.see("On a break")
        day.press("f1")
        day.see("calldesk keys")
        day.still("calldesk keys", 2.5)
        day.press("escape")
        day.see("On a break")
        assert "calldesk keys" not in day.text
        day.type("e")
        day.see("End the break now?")
        day.type("y")
        day.see("Break over")
        day.press("enter")

        # The checklist asks what applies; stray keys land nowhere.
        day.see("Was any of it on us?", "It was on us, and I said so.")
        day.type("yy")
        day.press("space", "tab")
        day.type("cleared the queue")
        day.press("tab")
        day.type("fixed address for the reception printer, out of the DHCP pool")
        day.press("tab")
        day.type("IT-482")
        day.press("tab")
        day.type("Sam")
        day.press("ctrl+s")
        day.see("Checklist saved", "breaks: 1 taken")

        # Fixes: the whole fix, its owner and status, the call it came from.
        day.press("f7")
        day.see("permanent fixes", "owner: Sam", "out of the DHCP pool", "From the call")
        assert "open" in day.text
        day.see_footer("d Done w Won't fix o Reopen a Open/all esc Back f1 Help", whole=False)
        day.press("escape")
        day.see("NO CALL")

        # History and export.
        day.press("f5")
        day.see("1 call")
        day.press("f10")
        day.see("Call exported")
        day.see_footer("esc Back f1 Help f2 Call f6 Checks f10 Export")
    finally:
        day.app.kill()
    exported = list((private_dirs / "Documents" / "calldesk").rglob("*.md"))
    assert len(exported) == 1
    text = exported[0].read_text(encoding="utf-8")
    assert "That one's on us" in text
    assert "It was on us, and I said so." in text
    assert "cleared the queue" in text and "ycleared" not in text  # the stray y's: nowhere
