"""ctrl+y: the phrase goes to the terminal (OSC 52) and to the system clipboard tool, and the
agent is told "Copied" only when a tool really took it. Fake tools on PATH stand in for xclip,
wl-copy and clip.exe, so no test touches a real clipboard."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from tests.test_tui_phrases import team_settings, wait_for_library
from tests.tui_helpers import build_app, type_text, wait_until

from calldesk.core.clock import FakeClock
from calldesk.tui import clipboard
from calldesk.tui.clipboard import CopyResult, clipboard_tools, copy_with_tools, not_copied_message

pytestmark = pytest.mark.skipif(os.name == "nt", reason="fake tools are shell scripts")


def fake_tool(folder: Path, name: str, body: str) -> Path:
    """A script called `name` that saves its input where the test can read it, then runs `body`."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\ncat > "{folder}/{name}.got"\n{body}\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_tools_follow_the_session_and_must_be_on_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    for name in ("xclip", "xsel", "wl-copy", "clip.exe", "pbcopy"):
        fake_tool(bin_dir, name, "exit 0")
    path = str(bin_dir)

    def names(env: dict[str, str], platform: str = "linux") -> list[str]:
        return [tool.name.rsplit("/", 1)[-1] for tool in clipboard_tools(env, platform)]

    assert names({"PATH": path}) == []  # no display, no WSL: nothing to copy to
    assert names({"PATH": path, "DISPLAY": ":0"}) == ["xclip", "xsel"]
    assert names({"PATH": path, "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"})[0] == "wl-copy"
    assert names({"PATH": path, "WSL_DISTRO_NAME": "Ubuntu"}) == ["clip.exe"]
    assert names({"PATH": path}, "darwin") == ["pbcopy"]
    assert names({"PATH": str(tmp_path / "empty"), "DISPLAY": ":0"}) == []  # none installed


def test_the_first_tool_that_works_takes_the_text(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "xclip", "exit 1")
    fake_tool(bin_dir, "xsel", "exit 0")
    tools = clipboard_tools({"PATH": str(bin_dir), "DISPLAY": ":0"}, "linux")
    result = copy_with_tools("Grüß Gott", tools)
    assert result == CopyResult("xsel")
    assert (bin_dir / "xsel.got").read_text(encoding="utf-8") == "Grüß Gott"


def test_clip_exe_gets_utf16_as_windows_expects(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "clip.exe", "exit 0")
    tools = clipboard_tools({"PATH": str(bin_dir), "WSL_DISTRO_NAME": "Ubuntu"}, "linux")
    assert copy_with_tools("café", tools) == CopyResult("clip.exe")
    assert (bin_dir / "clip.exe.got").read_bytes().decode("utf-16") == "café"


def test_a_tool_that_hangs_is_given_up_on(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "wl-copy", "exec sleep 30")
    tools = clipboard_tools({"PATH": str(bin_dir), "WAYLAND_DISPLAY": "w"}, "linux")
    result = copy_with_tools("text", tools, timeout=0.5)
    assert result.tool is None
    assert "wl-copy did not answer" in result.problem


def test_a_tool_that_stays_behind_like_xclip_does_not_keep_us_waiting(tmp_path: Path) -> None:
    # xclip forks a child that serves the selection and keeps running after the parent exits.
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "xclip", "(sleep 30 &) ; exit 0")
    tools = clipboard_tools({"PATH": str(bin_dir), "DISPLAY": ":0"}, "linux")
    assert copy_with_tools("text", tools, timeout=10).tool == "xclip"


def test_the_message_says_plainly_what_to_do_when_nothing_took_it() -> None:
    in_tmux = not_copied_message("Greeting", CopyResult(None), {"TMUX": "/tmp/tmux-1/default"})
    assert "may not pass it" in in_tmux and "set -g set-clipboard on" in in_tmux
    elsewhere = not_copied_message("Greeting", CopyResult(None, "xclip failed (exit 1)"), {})
    assert "xclip failed (exit 1)" in elsewhere and "OSC 52" in elsewhere
    assert "Copied" not in in_tmux + elsewhere


async def _copy_in_app(tmp_path: Path, clock: FakeClock) -> tuple[list[str], list[str]]:
    settings = team_settings(tmp_path)
    app = build_app(settings, clock)
    osc52: list[str] = []
    toasts: list[str] = []
    app.copy_to_clipboard = osc52.append  # type: ignore[method-assign]
    real_notify = app.notify

    def notify(message: str, **kwargs: object) -> None:
        toasts.append(message)
        real_notify(message, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_library(app, pilot)
        await pilot.press("f3")
        await type_text(pilot, "team greeting")
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: any("greeting" in toast.lower() for toast in toasts))
    return osc52, toasts


async def test_ctrl_y_says_copied_when_the_system_tool_took_it(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    fake_tool(bin_dir, "xclip", "exit 0")
    monkeypatch.setattr(clipboard, "PLATFORM", "linux")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":0")
    osc52, toasts = await _copy_in_app(tmp_path, clock)
    phrase = "Hello {customer}, this is Pat from the help desk."
    assert osc52 == [phrase]  # the terminal gets it too
    assert (bin_dir / "xclip.got").read_text(encoding="utf-8") == phrase
    assert [t for t in toasts if "greeting" in t.lower()] == ["Copied “Team greeting”."]


async def test_ctrl_y_does_not_say_copied_when_no_tool_took_it(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX", "/tmp/tmux-1/default,1,0")
    osc52, toasts = await _copy_in_app(tmp_path, clock)
    assert len(osc52) == 1
    [toast] = [t for t in toasts if "greeting" in t.lower()]
    assert not toast.startswith("Copied")
    assert "may not pass it" in toast and "set -g set-clipboard on" in toast
