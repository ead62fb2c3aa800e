"""Wall-clock time of `calldesk ring ...` as a softphone runs it: median and p95 over 20 runs.

Run with the project's interpreter:  .venv/bin/python benchmarks/hook_bench.py [--runs 20]

Three cases, each in fresh private temp dirs (never the user's real ones):
  listening   a calldesk event socket is served (in this process): the hook delivers, exit 0
  no-app      nothing listens and there is no database yet: kept in the pending file, exit 3
  no-app+db   nothing listens, a call database exists: kept in the same spool file, exit 3

Each case runs twice: with the bytecode cache as the environment has it (with
PYTHONDONTWRITEBYTECODE=1 every run compiles calldesk's sources again) and with a warm cache in
a temp PYTHONPYCACHEPREFIX, which is how an installed calldesk runs (pip writes .pyc files).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOOK_ARGS = [
    "ring",
    "--number",
    '"Pat Smith" <sip:+44 20 7946 0958@pbx.example>',
    "--call-id",
    "b1",
]


def hook_command() -> list[str]:
    """The installed `calldesk` script beside this interpreter, as a softphone would run it."""
    script = Path(sys.executable).with_name("calldesk")
    return [str(script)] if script.exists() else [sys.executable, "-m", "calldesk"]


@contextmanager
def private_env(cached: bool) -> Iterator[dict[str, str]]:
    root = Path(tempfile.mkdtemp(prefix="cd-bench-"))
    env = dict(os.environ)
    if cached:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    for variable, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_RUNTIME_DIR", "run"),
        ("HOME", "home"),
    ):
        (root / sub).mkdir(mode=0o700)
        env[variable] = str(root / sub)
    for variable in [name for name in env if name.startswith("CALLDESK_")]:
        del env[variable]
    try:
        yield env
    finally:
        shutil.rmtree(root, ignore_errors=True)


def time_runs(env: dict[str, str], runs: int, expect: int) -> list[float]:
    command = [*hook_command(), *HOOK_ARGS]
    subprocess.run(command, env=env, capture_output=True, check=False)  # warm-up, not timed
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(command, env=env, capture_output=True, check=False)
        times.append((time.perf_counter() - started) * 1000)
        if result.returncode != expect:
            raise SystemExit(
                f"expected exit {expect}, got {result.returncode}: {result.stderr.decode()}"
            )
    return times


def report(case: str, times: list[float]) -> None:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{case:<11} median {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   "
        f"min {ordered[0]:6.1f} ms   max {ordered[-1]:6.1f} ms   (n={len(ordered)})"
    )


def run_cases(runs: int, cached: bool) -> None:
    with private_env(cached) as env:
        saved = dict(os.environ)
        os.environ.update({k: env[k] for k in ("XDG_RUNTIME_DIR", "XDG_DATA_HOME", "HOME")})
        from calldesk.core.phone.channel import socket_path
        from calldesk.core.phone.server import EventServer
        from calldesk.paths import runtime_dir

        received: list[object] = []
        try:
            with EventServer(socket_path(runtime_dir()), received.append):
                report("listening", time_runs(env, runs, expect=0))
        finally:
            os.environ.clear()
            os.environ.update(saved)

    with private_env(cached) as env:
        report("no-app", time_runs(env, runs, expect=3))

    with private_env(cached) as env:
        from calldesk.core.clock import SystemClock
        from calldesk.core.storage import Database

        database = Path(env["XDG_DATA_HOME"]) / "calldesk" / "calldesk.db"
        Database.open(database, SystemClock()).close()
        report("no-app+db", time_runs(env, runs, expect=3))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"command: {' '.join(hook_command())} {' '.join(HOOK_ARGS)}")

    baseline: list[float] = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        baseline.append((time.perf_counter() - started) * 1000)
    report("python -c", baseline)

    for cached in (False, True):
        print(f"-- bytecode {'cached' if cached else 'as in this environment'}")
        run_cases(args.runs, cached)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
