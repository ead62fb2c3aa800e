"""The rules of docs/architecture.md, checked: import contracts, no cycles, paths by data dir."""

from __future__ import annotations

import queue
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import grimp
import pytest

from calldesk import paths
from calldesk.core.phone.channel import MAX_SUN_PATH, socket_path
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.phone.server import EventServer

ROOT = Path(__file__).resolve().parents[1]
WAIT = 20.0


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    beside = Path(sys.executable).with_name("lint-imports")
    command = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is missing: pip install -e '.[test]'"
    return subprocess.run(
        [command, "--no-cache", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


# -- import contracts (pyproject.toml [tool.importlinter]) ----------------------------------


def test_the_import_contracts_hold() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: [1-9]\d* kept, 0 broken", result.stdout), result.stdout


def test_a_broken_contract_fails_the_check(tmp_path: Path) -> None:
    config = tmp_path / "contracts.ini"
    config.write_text(
        "[importlinter]\nroot_package = calldesk\ninclude_external_packages = True\n\n"
        "[importlinter:contract:broken]\nname = the tui without Textual (cannot hold)\n"
        "type = forbidden\nsource_modules = calldesk.tui\nforbidden_modules = textual\n",
        encoding="utf-8",
    )
    result = lint_imports("--config", str(config))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


# -- import cycles ----------------------------------------------------------------------------


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every group of calldesk modules that import each other round in a circle (Tarjan)."""
    modules = sorted(graph.modules)
    edges = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in edges[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return cycles


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Imports inside functions and under TYPE_CHECKING count too: a cycle is a cycle to a reader.
    return grimp.build_graph("calldesk")


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "a.x", "a.y", "a.z"):
        graph.add_module(module)
    graph.add_import(importer="a.x", imported="a.y")
    graph.add_import(importer="a.y", imported="a.x")
    graph.add_import(importer="a.y", imported="a.z")
    assert import_cycles(graph) == [["a.x", "a.y"]]


def test_no_import_cycle_outside_the_tui(graph: grimp.ImportGraph) -> None:
    outside = [
        cycle
        for cycle in import_cycles(graph)
        if not all(module.startswith("calldesk.tui.") for module in cycle)
    ]
    assert outside == []


def test_no_import_cycle_anywhere(graph: grimp.ImportGraph) -> None:
    assert import_cycles(graph) == []


# -- every path follows --data-dir ------------------------------------------------------------


def test_a_data_folder_of_its_own_gets_a_socket_and_a_crash_log_of_its_own(tmp_path: Path) -> None:
    other = tmp_path / "other-data"
    assert paths.runtime_dir() == paths.runtime_dir(paths.default_data_dir())
    assert paths.runtime_dir(other) != paths.runtime_dir()
    assert paths.runtime_dir(other) == paths.runtime_dir(tmp_path / "x" / ".." / "other-data")
    with paths.open_crash_log(other) as (_handle, log):
        assert log == other / "crash.log"


def test_a_hook_run_with_data_dir_reaches_the_calldesk_of_that_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "d"
    if len(str(socket_path(paths.runtime_dir(data_dir)))) > MAX_SUN_PATH:
        short = Path(tempfile.mkdtemp(prefix="cd-"))  # pytest's temp dirs can be too deep
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(short))
        request.addfinalizer(lambda: shutil.rmtree(short, ignore_errors=True))
    mine = socket_path(paths.runtime_dir(data_dir))
    events: queue.Queue[PhoneEvent] = queue.Queue()
    with EventServer(mine, events.put):
        result = subprocess.run(
            [sys.executable, "-m", "calldesk", "--data-dir", str(data_dir), "ring", "1001"],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert (result.returncode, result.stderr) == (0, "")
        assert events.get(timeout=WAIT).number == "1001"
        # The default folder's calldesk is another one: a hook without --data-dir misses this.
        missed = subprocess.run(
            [sys.executable, "-m", "calldesk", "ring", "1002"],
            capture_output=True,
            text=True,
            timeout=WAIT,
            check=False,
        )
        assert missed.returncode == 3
    assert events.empty()


_CRASH = """\
import sys
import calldesk.cli.export as export
def broken(args, settings):
    raise RuntimeError("boom")
export.run_export = broken
from calldesk.cli.main import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_the_crash_log_follows_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "d"
    result = subprocess.run(
        [sys.executable, "-c", _CRASH, "--data-dir", str(data_dir), "export", "--all"],
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert result.returncode == 70
    log = data_dir / "crash.log"
    assert f"Details were saved to {log}." in result.stderr
    assert "RuntimeError: boom" in log.read_text(encoding="utf-8")
    assert not (paths.default_data_dir() / "crash.log").exists()


# -- docs/architecture.md names files that exist ---------------------------------------------

_PATH = re.compile(r"(?<![\w./-])((?:[\w-]+/)+(?:[\w-]+\.(?:py|md|toml))?|[\w-]+\.(?:py|md|toml))")
_PLACES = (ROOT, ROOT / "src" / "calldesk", ROOT / "src" / "calldesk" / "core", ROOT / "docs")


def paths_named(text: str) -> set[str]:
    """File and folder paths in a Markdown text: `a/b.py`, `src/calldesk/tui/`, `x.toml`."""
    return {match for match in _PATH.findall(text) if "://" not in match}


def missing(named: set[str]) -> list[str]:
    return sorted(name for name in named if not any((place / name).exists() for place in _PLACES))


def test_the_path_finder_sees_paths_and_misses() -> None:
    text = "See `core/calls/desk.py`, `src/calldesk/tui/screens/` and `pyproject.toml`; `a.b()`."
    assert paths_named(text) == {
        "core/calls/desk.py",
        "src/calldesk/tui/screens/",
        "pyproject.toml",
    }
    assert missing(paths_named("`core/gone.py`")) == ["core/gone.py"]


def test_every_file_named_in_the_architecture_page_exists() -> None:
    named = paths_named((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    assert len(named) > 30
    assert missing(named) == []
