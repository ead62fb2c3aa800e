"""The README tells the truth: its first commands are what CI runs; its key table is complete."""

from __future__ import annotations

import re
from pathlib import Path

from calldesk.tui.keys import binding_help

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def code_blocks(text: str) -> list[str]:
    return [
        block.strip() for block in re.findall(r"```(?:sh|console)?\n(.*?)```", text, flags=re.S)
    ]


def test_the_readme_opens_with_the_install_and_the_test_command_and_ci_runs_the_same() -> None:
    install, tests = code_blocks(README)[:2]
    assert install.endswith(".venv/bin/calldesk")
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_command = next(
        line for line in ci.splitlines() if "pytest" in line and not line.startswith("#")
    )
    assert ci_command.replace(" -q", "") == tests


def test_every_key_of_the_app_is_in_the_readme_key_table() -> None:
    start = README.index("\n## Keys\n")
    table = README[start : README.index("\n## ", start + 1)].lower()
    assert "| --- | --- | --- |" in table
    for row in binding_help():
        for key in re.split(r"\s*/\s*", row.keys):
            assert key.lower() in table, (
                f"{key} ({row.action}) is missing from the README key table"
            )
