"""Benchmark: time to first paint and peak memory of the real calldesk against a bare Textual app.

Run: .venv/bin/python benchmarks/startup_bench.py [--runs 10] [--phrases 1000] [--calls 1000]

Both programs run on a pseudo-terminal (80x24) in the same run, alternately, and are timed from
the moment they are started to the first screen that shows their content, read with pyte as a
user would see it: "NO CALL" for calldesk (the desk is painted), the label text for a minimal
Textual app (one `Label` on a `Screen`). calldesk gets a generated phrase folder (`--phrase-dir`,
plus the bundled library) and a database with `--calls` stored calls, made with the Database API.
Also measured for calldesk: when the phrase library (loaded in a worker after the first paint)
shows in the phrase pane, and the peak resident memory (VmHWM from /proc before it quits).

By default the bytecode cache is warm (a private PYTHONPYCACHEPREFIX, written by one untimed
run), as for an installed calldesk; `--cold` runs with PYTHONDONTWRITEBYTECODE=1 and no cache,
so every run compiles calldesk's sources. The figure to watch is the ratio of medians
(target: at most 1.25).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import random
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyte

COLUMNS, LINES = 80, 24
TARGET_RATIO = 1.25
MINIMAL_APP = '''\
"""A minimal Textual app: the yardstick calldesk's start-up is measured against."""

from textual.app import App, ComposeResult
from textual.widgets import Label


class Minimal(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("MINIMAL READY")


if __name__ == "__main__":
    Minimal().run()
'''
WORD_TEXT = (
    "printer toner refund invoice password reset account locked network wifi router vpn "
    "email mailbox phishing escalate manager callback ticket cable restart update laptop "
    "phone headset warranty delivery sorry understand check again moment quick permanent"
)
WORDS = WORD_TEXT.split()


@dataclass
class Run:
    first_paint_s: float
    library_s: float | None = None
    peak_kib: int | None = None


def write_phrases(folder: Path, count: int, per_file: int = 250) -> None:
    """`count` valid phrases in YAML files of `per_file` phrases each."""
    rng = random.Random(7)
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, count, per_file):
        lines = [f"category: Generated {start // per_file}", "tags: [bench]", "phrases:"]
        for number in range(start, min(start + per_file, count)):
            title = " ".join(rng.choices(WORDS, k=4)).capitalize()
            say = " ".join(rng.choices(WORDS, k=18)).capitalize() + "."
            lines += [
                f"  - id: bench-{number:05d}",
                f"    title: {json.dumps(title)}",
                "    say: |",
                f"      {{customer}}, {say}",
                f"    tags: [{', '.join(rng.sample(WORDS, 2))}]",
                f"    when: {json.dumps(' '.join(rng.choices(WORDS, k=8)))}",
            ]
        (folder / f"bench-{start // per_file:03d}.yaml").write_text("\n".join(lines) + "\n")


def write_calls(data_dir: Path, count: int) -> None:
    """`count` ended calls with a few notes each, stored as calldesk stores them."""
    from calldesk.core.calls import records as call_records
    from calldesk.core.calls.model import Outcome
    from calldesk.core.clock import FakeClock
    from calldesk.core.storage import Database

    rng = random.Random(11)
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    store = Database.open(data_dir / "calldesk.db", FakeClock(start))
    try:
        with store.batch():
            for number in range(count):
                at = start + timedelta(minutes=20 * number)
                call = call_records.start_call(
                    store, f"Caller {number}", f"+44 20 7946 {number:04d}", f"T-{number}", at=at
                )
                for index in range(rng.randint(2, 6)):
                    text = " ".join(rng.choices(WORDS, k=rng.randint(4, 16)))
                    call_records.add_note(
                        store, call.id, text, at=at + timedelta(seconds=30 * (index + 1))
                    )
                call_records.end_call(store, call.id, at=at + timedelta(minutes=6))
                call_records.set_outcome(store, call.id, rng.choice(list(Outcome)))
    finally:
        store.close()


def private_env(root: Path, cold: bool) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CALLDESK_")}
    for variable, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_RUNTIME_DIR", "runtime"),
        ("HOME", "home"),
    ):
        (root / sub).mkdir(mode=0o700, exist_ok=True)
        env[variable] = str(root / sub)
    if cold:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    env.update(TERM="xterm-256color", COLUMNS=str(COLUMNS), LINES=str(LINES), TZ="UTC")
    return env


def peak_kib(pid: int) -> int | None:
    """The process's peak resident set (VmHWM), in KiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def run_once(
    command: list[str], env: dict[str, str], ready: str, loaded: str | None, timeout: float = 60
) -> Run:
    """Start `command` on a pty; seconds until `ready` (then `loaded`) is on screen."""
    screen = pyte.Screen(COLUMNS, LINES)
    stream = pyte.ByteStream(screen)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    result: Run | None = None
    deadline = started + timeout
    try:
        while time.perf_counter() < deadline:
            ready_fds, _, _ = select.select([master], [], [], 0.05)
            if not ready_fds:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            stream.feed(data)
            text = "\n".join(screen.display)
            now = time.perf_counter()
            if result is None and ready in text:
                result = Run(now - started)
                if loaded is None:
                    break
            if result is not None and loaded is not None and loaded in text:
                result.library_s = now - started
                break
        if result is None:
            raise SystemExit(
                f"{command[-1]}: {ready!r} not on screen:\n" + "\n".join(screen.display)
            )
        result.peak_kib = peak_kib(process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        os.close(master)
    return result


def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def bundled_phrase_count() -> int:
    """How many phrases the bundled library holds: the pane shows it with the generated ones.
    (A fixed count here went stale as the library grew, and every run then waited 60 s.)"""
    from calldesk.core.library.loader import load_library

    bundled = Path(__file__).resolve().parent.parent / "phrases"
    return len(load_library([bundled], optional=[]).phrases)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--phrases", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--cold", action="store_true", help="no bytecode cache: compile every run")
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="cd-startup-"))
    try:
        env = private_env(root, args.cold)
        phrase_dir, data_dir = root / "team-phrases", root / "data" / "calldesk"
        write_phrases(phrase_dir, args.phrases)
        data_dir.mkdir(parents=True, mode=0o700)
        write_calls(data_dir, args.calls)
        minimal = root / "minimal_app.py"
        minimal.write_text(MINIMAL_APP)
        calldesk = [sys.executable, "-m", "calldesk", "--phrase-dir", str(phrase_dir)]
        calldesk += ["--data-dir", str(data_dir)]
        bare = [sys.executable, str(minimal)]
        bundled = bundled_phrase_count()  # the bundled library rides along, as for an agent
        phrase_total = args.phrases + bundled
        if not args.cold:  # fill the bytecode cache; not timed
            run_once(calldesk, env, "NO CALL", None)
            run_once(bare, env, "MINIMAL READY", None)
        desk_runs: list[Run] = []
        bare_runs: list[Run] = []
        for _ in range(args.runs):
            desk_runs.append(run_once(calldesk, env, "NO CALL", f"{phrase_total}"))
            bare_runs.append(run_once(bare, env, "MINIMAL READY", None))
    finally:
        shutil.rmtree(root, ignore_errors=True)

    desk_ms = median_ms([run.first_paint_s for run in desk_runs])
    bare_ms = median_ms([run.first_paint_s for run in bare_runs])
    library = [run.library_s for run in desk_runs if run.library_s is not None]
    peaks = [run.peak_kib for run in desk_runs if run.peak_kib is not None]
    bare_peaks = [run.peak_kib for run in bare_runs if run.peak_kib is not None]
    ratio = desk_ms / bare_ms
    cache = "cold (no bytecode cache)" if args.cold else "warm bytecode cache"
    print(f"startup, {args.runs} runs each, {cache}, {COLUMNS}x{LINES} pty")
    contents = f"{args.phrases} phrases + {bundled} bundled, {args.calls} calls"
    print(f"  calldesk first paint ({contents}):")
    print(f"    median {desk_ms:.0f} ms (min {min(r.first_paint_s for r in desk_runs) * 1000:.0f})")
    print(f"  minimal Textual app first paint: median {bare_ms:.0f} ms")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"  ratio calldesk / minimal: {ratio:.2f} (target <= {TARGET_RATIO}: {verdict})")
    if library:
        print(f"  phrase library on screen: median {median_ms(library):.0f} ms after start")
    if peaks:
        print(f"  calldesk peak memory (VmHWM): median {statistics.median(peaks) / 1024:.1f} MiB")
    if bare_peaks:
        print(f"  minimal app peak memory: median {statistics.median(bare_peaks) / 1024:.1f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
