"""Time exporting 10,000 stored calls (5 notes each): the CLI to a folder, and rendering alone.

`--memory` instead measures the peak memory (max RSS) of `export --all` to stdout and to one
file, which must stay flat as calls grow: `--calls 200000 --memory` (goal: under 100 MB).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

from calldesk.cli.export import WRITERS
from calldesk.core.aftercall.fixes import save_answer
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.model import Outcome
from calldesk.core.clock import FakeClock
from calldesk.core.export.callrecord import load_records
from calldesk.core.export.markdown import render_call, render_many
from calldesk.core.storage import Database
from calldesk.paths import write_private_file

NOTES = (
    "Printer in room 4 shows offline since Monday; user already restarted it.",
    "Checked the cable & the switch port: link light on, no *IP* from DHCP.",
    "Customer upset: <3rd call this week>, wants a [permanent] fix.\nSecond line of the note.",
    "Renewed the lease, printed a test page - works. Ticket T-1234 updated.",
    "Agreed to call back tomorrow at 09:30 on +44 20 7946 0958.",
)
BUDGET_S = 5.0
MEMORY_BUDGET_MB = 100.0


def build_store(path: Path, calls: int) -> None:
    """`calls` calls of five notes, an outcome and a checklist answer, via the store API."""
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    store = Database.open(path, FakeClock(start))
    try:
        with store.batch():
            for index in range(calls):
                began = start + timedelta(minutes=7 * index)
                call = call_records.start_call(
                    store, f"Caller {index}", "+44 20 7946 0958", f"T-{index}", at=began
                )
                for number, text in enumerate(NOTES, 1):
                    call_records.add_note(
                        store, call.id, text, at=began + timedelta(seconds=30 * number)
                    )
                call_records.end_call(store, call.id, at=began + timedelta(minutes=4))
                call_records.set_outcome(store, call.id, Outcome.FINE if index % 5 else Outcome.BAD)
                save_answer(store, call.id, "took-blame", True)
    finally:
        store.close()


def disk_floor(folder: Path, files: int) -> float:
    """Seconds to write `files` 1 kB files the way export does, with nothing else to do."""
    folder.mkdir()
    os.sync()
    began = time.perf_counter()
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda i: write_private_file(folder / f"{i}.md", "x" * 1000), range(files)))
    return time.perf_counter() - began


def run_cli(env: dict[str, str], data_dir: Path, *args: str) -> float:
    """Seconds `calldesk export ARGS` takes as a fresh process, start-up included."""
    command = [sys.executable, "-m", "calldesk", "--data-dir", str(data_dir), "export", *args]
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"export failed: {result.stderr}")
    return took


def peak_mb(env: dict[str, str], data_dir: Path, *args: str, stdout: Path | None = None) -> float:
    """Peak resident memory in MB of `calldesk export ARGS` as a fresh process."""
    command = [sys.executable, "-m", "calldesk", "--data-dir", str(data_dir), "export", *args]
    with open(stdout or os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        error = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"export failed: {error}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def memory(env: dict[str, str], data_dir: Path, root: Path, calls: int) -> int:
    out = root / "all.md"
    to_stdout = peak_mb(env, data_dir, "--all")
    to_file = peak_mb(env, data_dir, "--all", "-o", str(out))
    size = out.stat().st_size / 1e6
    print(f"calldesk export --all > /dev/null: peak RSS {to_stdout:.0f} MB ({calls} calls)")
    print(f"calldesk export --all -o all.md: peak RSS {to_file:.0f} MB ({size:.0f} MB written)")
    worst = max(to_stdout, to_file)
    verdict = "within" if worst < MEMORY_BUDGET_MB else "OVER"
    print(f"export memory {verdict} the {MEMORY_BUDGET_MB:.0f} MB budget")
    return 0 if worst < MEMORY_BUDGET_MB else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--memory", action="store_true", help="measure peak memory instead")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="calldesk-bench-") as temp:
        root = Path(temp)
        # Keep the run away from the user's own config, data and phrase folders.
        env = {**os.environ}
        for variable, sub in (
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data-home"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
        ):
            env[variable] = str(root / sub)
        env.pop("CALLDESK_CONFIG", None)
        data_dir = root / "data"
        database = data_dir / "calldesk.db"

        began = time.perf_counter()
        build_store(database, options.calls)
        built_s = time.perf_counter() - began
        print(f"built {options.calls} calls x {len(NOTES)} notes in {built_s:.2f} s")
        if options.memory:
            return memory(env, data_dir, root, options.calls)

        # The floor the disk sets, before and after the export: the same number of files written
        # the same way with nothing else to do. On a busy shared disk it moves a lot.
        before_s = disk_floor(root / "floor-before", options.calls)
        # Flush what was left dirty, so the export does not pay for its writeback.
        os.sync()
        out = root / "exports"
        cli_s = run_cli(env, data_dir, "--all", "-o", f"{out}/")
        files = len(list(out.iterdir()))
        print(f"calldesk export --all -o DIR/: {cli_s:.2f} s for {files} files")
        after_s = disk_floor(root / "floor-after", options.calls)
        print(
            f"disk floor: write_private_file x{files} ({WRITERS} threads) alone: "
            f"{before_s:.2f} s before the export, {after_s:.2f} s after"
        )
        one_s = run_cli(env, data_dir, "--all", "-o", str(root / "all.md"))
        print(f"calldesk export --all -o all.md: {one_s:.2f} s")

        store = Database.open_readonly(database, FakeClock())
        try:
            began = time.perf_counter()
            calls = list(call_history.iter_calls(store))
            records = list(load_records(store, calls))
            load_s = time.perf_counter() - began
        finally:
            store.close()
        began = time.perf_counter()
        size = sum(len(render_call(record)) for record in records)
        render_s = time.perf_counter() - began
        began = time.perf_counter()
        many = render_many(records)
        many_s = time.perf_counter() - began
        print(
            f"in process: load {load_s:.2f} s, render_call x{len(records)} {render_s:.2f} s "
            f"({size / 1e6:.1f} MB), render_many {many_s:.2f} s ({len(many) / 1e6:.1f} MB)"
        )
        verdict = "within" if cli_s < BUDGET_S else "OVER"
        print(f"CLI export {verdict} the {BUDGET_S:.0f} s budget")
        return 0 if cli_s < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
