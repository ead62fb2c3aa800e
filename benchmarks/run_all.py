"""Run every benchmark script in benchmarks/ in turn and print their figures.

Run: .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--skip NAME ...]

Each `*_bench.py` beside this file runs as its own process with this interpreter and its
default settings (the same command its docstring gives); its output is printed under a heading
with the wall-clock time it took. Exit status: 0 when every benchmark exited 0, else 1, with
the failures listed at the end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def scripts(only: list[str], skip: list[str]) -> list[Path]:
    found = sorted(HERE.glob("*_bench.py"))
    if only:
        found = [path for path in found if path.stem.removesuffix("_bench") in only]
    return [path for path in found if path.stem.removesuffix("_bench") not in skip]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = ", ".join(path.stem.removesuffix("_bench") for path in scripts([], []))
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help=f"one of: {names}")
    parser.add_argument("--skip", nargs="+", default=[], metavar="NAME")
    args = parser.parse_args()
    failed: list[str] = []
    for script in scripts(args.only, args.skip):
        print(f"== {script.name}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        took = time.perf_counter() - started
        print(f"-- {script.name}: exit {result.returncode}, {took:.1f} s\n", flush=True)
        if result.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
