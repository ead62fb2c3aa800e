"""ctrl+y copies a phrase through the terminal (OSC 52) and the system clipboard tool, truthfully.

OSC 52 only reaches the clipboard in terminals that accept it; default tmux (`set-clipboard
external`) and GNOME Terminal drop it without a word. So calldesk also runs the system's own tool
where there is one (wl-copy, xclip or xsel, pbcopy, clip.exe under WSL), in a thread with a
timeout so a stuck tool never freezes typing, and says "Copied" only when that tool succeeded.
Otherwise the agent is told plainly that the terminal may not take it, and how to turn it on.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.tui.host import Host

PLATFORM = sys.platform
"""The platform the tools are chosen for (the tests pin it, so no test touches a real clipboard)."""

TOOL_TIMEOUT = 3.0
"""Seconds a clipboard tool may take before calldesk gives up on it."""


@dataclass(frozen=True)
class Tool:
    """A clipboard command: its arguments and how it wants the text encoded."""

    argv: tuple[str, ...]
    encoding: str = "utf-8"

    @property
    def name(self) -> str:
        return self.argv[0]


@dataclass(frozen=True)
class CopyResult:
    """What a copy did: `tool` is the tool that took the text, or None; `problem` why not."""

    tool: str | None
    problem: str = ""


def clipboard_tools(env: Mapping[str, str], platform: str | None = None) -> list[Tool]:
    """The clipboard tools for this session, best first, that are on `env`'s PATH."""
    platform = platform or PLATFORM
    candidates: list[Tool] = []
    if env.get("WSL_DISTRO_NAME") or env.get("WSL_INTEROP"):
        candidates.append(Tool(("clip.exe",), encoding="utf-16"))  # clip.exe reads UTF-16
    if platform == "darwin":
        candidates.append(Tool(("pbcopy",)))
    if platform == "win32":
        candidates.append(Tool(("clip",), encoding="utf-16"))
    if env.get("WAYLAND_DISPLAY"):
        candidates.append(Tool(("wl-copy",)))
    if env.get("DISPLAY"):
        candidates.append(Tool(("xclip", "-selection", "clipboard")))
        candidates.append(Tool(("xsel", "--clipboard", "--input")))
    path = env.get("PATH", "")
    found: list[Tool] = []
    for tool in candidates:
        executable = shutil.which(tool.name, path=path)
        if executable:
            found.append(Tool((executable, *tool.argv[1:]), tool.encoding))
    return found


def copy_with_tools(text: str, tools: Sequence[Tool], timeout: float | None = None) -> CopyResult:
    """Give `text` to the first tool that takes it. Blocks: run it in a thread."""
    problems: list[str] = []
    for tool in tools:
        label = tool.name.rsplit("/", 1)[-1]
        try:
            # No pipes but stdin: xclip, xsel and wl-copy stay behind to serve the clipboard,
            # and a pipe they inherit would keep us waiting for them.
            done = subprocess.run(
                tool.argv,
                input=text.encode(tool.encoding),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=TOOL_TIMEOUT if timeout is None else timeout,
                start_new_session=True,
                check=False,
            )
        except subprocess.TimeoutExpired:
            problems.append(f"{label} did not answer")
            continue
        except OSError as error:
            problems.append(f"{label}: {error.strerror or error}")
            continue
        if done.returncode == 0:
            return CopyResult(label)
        problems.append(f"{label} failed (exit {done.returncode})")
    return CopyResult(None, "; ".join(problems))


def not_copied_message(title: str, result: CopyResult, env: Mapping[str, str]) -> str:
    """Plain words when no tool took the text: it went to the terminal, which may drop it."""
    if "TMUX" in env:
        how = "In tmux: set -g set-clipboard on."
    else:
        how = "Allow OSC 52 in its settings, or install wl-copy or xclip."
    problem = f" ({result.problem})" if result.problem else ""
    return f"“{title}” went to the terminal{problem}, which may not pass it to the clipboard. {how}"


def copy_phrase(host: Host, text: str, title: str, env: Mapping[str, str]) -> None:
    """Copy `text` both ways and tell the agent the truth about it, without blocking the UI."""
    host.copy_to_clipboard(text)  # OSC 52: free, and enough in terminals that accept it
    tools = clipboard_tools(env)

    def run() -> None:
        result = copy_with_tools(text, tools)
        if result.tool is not None:
            host.call_from_thread(partial(host.notify, f"Copied “{title}”.", timeout=3))
        else:
            message = not_copied_message(title, result, env)
            host.call_from_thread(partial(host.notify, message, severity="warning", timeout=8))

    host.run_worker(run, thread=True, group="clipboard", name="copy phrase", exit_on_error=False)
