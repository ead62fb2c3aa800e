"""`[keymap]` is checked like every other setting: a wrong entry stops calldesk with a message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from calldesk.config import ConfigError, load_settings
from calldesk.tui.app import CalldeskApp, make_app
from calldesk.tui.keymap_check import checked_keymap

CONFIG = Path("/home/agent/.config/calldesk/config.toml")


@pytest.mark.parametrize(
    ("keymap", "message"),
    [
        ({"qiut": "ctrl+q"}, "keymap: unknown binding id 'qiut'; did you mean 'quit'?"),
        ({"start-cal": "f12"}, "did you mean 'start-call'?"),
        ({"start-call": "f99"}, "keymap.start-call: cannot read the key 'f99'"),
        ({"start-call": "ctrl-e"}, "keymap.start-call: cannot read the key 'ctrl-e'"),
        ({"start-call": "f12,"}, "keymap.start-call: cannot read the key ''"),
        ({"start-call": "f8"}, "'f8' is bound to both 'start-call' and 'end-call'"),
        ({"start-call": "f12", "end-call": "f12"}, "'f12' is bound to both"),
        ({"note-edit": "delete"}, "'delete' is bound to both 'note-edit' and 'note-delete'"),
        ({"cooldown-end": "ctrl+q"}, "'ctrl+q' is bound to both 'quit' and 'cooldown-end'"),
        ({"quit": "e"}, "keymap.quit: 'e' types a character, and 'quit' works everywhere"),
        ({"start-call": "space"}, "keymap.start-call: 'space' types a character"),
        ({"help": "shift+h"}, "keymap.help: 'shift+h' types a character"),
        ({"end-call": "backspace"}, "keymap.end-call: 'backspace' edits text in a note"),
        ({"end-call": "ctrl+j"}, "keymap.end-call: 'ctrl+j' edits text in a note"),
        ({"end-call": "f11,Enter"}, "keymap.end-call: 'Enter' edits text in a note"),
        ({"quit": "delete"}, "'delete' edits text"),
        ({"start-call": "tab"}, "'tab' edits text"),
        ({"history": "home"}, "'home' edits text"),
        ({"history": "left"}, "'left' edits text"),
        ({"export": "ctrl+a"}, "'ctrl+a' edits text"),
        ({"export": "ctrl+w"}, "'ctrl+w' edits text"),
        ({"my-record": "ctrl+z"}, "'ctrl+z' edits text"),
    ],
)
def test_a_wrong_keymap_entry_says_which_and_why(keymap: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        checked_keymap(keymap, CONFIG, CalldeskApp.BINDINGS)
    assert message in str(raised.value)
    assert str(CONFIG) in str(raised.value)


def test_good_entries_pass_in_textuals_names() -> None:
    keymap = {"end-call": "F11, ctrl+b", "note-edit": "x", "start-call": "ctrl+shift+f2"}
    assert checked_keymap(keymap, CONFIG, CalldeskApp.BINDINGS) == {
        "end-call": "f11,ctrl+b",
        "note-edit": "x",  # a screen's own key may be a letter: it is not active in a note
        "start-call": "ctrl+shift+f2",
    }
    assert checked_keymap({"help-close": "f12"}, CONFIG, CalldeskApp.BINDINGS) == {
        "help-close": "f12"
    }
    # A global binding may keep its own default key, even one a text field also knows.
    assert checked_keymap({"focus-next": "tab,f12"}, CONFIG, CalldeskApp.BINDINGS) == {
        "focus-next": "tab,f12"
    }


def test_the_app_is_never_built_with_a_bad_keymap(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nquit = "e"\n')
    with pytest.raises(ConfigError):
        make_app(load_settings(config_file=config, environ={}))


def test_the_cli_refuses_a_bad_keymap_with_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keymap]\nstart-cal = "f12"\n')
    result = subprocess.run(
        [sys.executable, "-m", "calldesk", "--config", str(config)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "did you mean 'start-call'?" in result.stderr
    assert "Traceback" not in result.stderr
