"""The core is plain Python: importing any core module pulls in neither Textual nor Rich."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import calldesk.core


def core_modules() -> list[str]:
    return sorted(
        module.name
        for module in pkgutil.walk_packages(calldesk.core.__path__, prefix="calldesk.core.")
    )


def test_every_core_module_imports_without_textual_or_rich() -> None:
    modules = core_modules()
    assert "calldesk.core.db.database" in modules and "calldesk.core.library.phrases" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_phone_hooks_and_phrase_check_stay_light() -> None:
    code = (
        "import sys\n"
        "from calldesk.cli import main\n"
        "main.build_parser()\n"
        "heavy = ('textual', 'rich', 'yaml')\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in heavy)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
