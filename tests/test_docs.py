"""The user guide builds without a broken link, the README's links land, and no setting goes
undocumented."""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import inspect
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown.extensions.toc import slugify
from markdown_it import MarkdownIt
from textual.binding import Binding

import calldesk.tui
from calldesk.cli.main import add_global_options
from calldesk.config import CONFIG_ENV, ENVIRONMENT, Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
CONFIGURATION = (DOCS / "configuration.md").read_text(encoding="utf-8")


def build_guide(site: Path) -> subprocess.CompletedProcess[str]:
    command = ["-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml")]
    return subprocess.run(
        [sys.executable, *command, "-d", str(site)],
        cwd=ROOT,
        # The Material theme's end-of-life banner is not about this guide.
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_guide_builds_in_strict_mode_without_a_single_warning(tmp_path: Path) -> None:
    site = tmp_path / "site"
    result = build_guide(site)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not re.search(r"^(WARNING|ERROR)\b", output, flags=re.M), output
    # The first page takes the README's commands and key table in (pymdownx.snippets).
    home = (site / "index.html").read_text(encoding="utf-8")
    assert ".venv/bin/calldesk" in home
    assert "Your first call" in home
    assert "--8&lt;--" not in home and "--8<--" not in home
    for page in DOCS.glob("*.md"):
        built = site / ("index.html" if page.stem == "index" else f"{page.stem}/index.html")
        assert built.is_file(), f"{page.name} was not built"


def headings_slugs(markdown: str) -> set[str]:
    """Anchors as MkDocs (and, for plain headings, GitHub) make them."""
    tokens = MarkdownIt().parse(markdown)
    return {
        slugify(tokens[i + 1].content, "-")
        for i, token in enumerate(tokens)
        if token.type == "heading_open"
    }


def relative_links(markdown: str) -> list[str]:
    targets: list[str] = []

    def walk(tokens: list) -> None:  # type: ignore[type-arg]
        for token in tokens:
            if token.type == "link_open":
                targets.append(str(token.attrGet("href")))
            elif token.type == "image":
                targets.append(str(token.attrGet("src")))
            walk(token.children or [])

    walk(MarkdownIt().parse(markdown))
    return [target for target in targets if not urlsplit(target).scheme]


def test_every_relative_link_in_the_readme_points_at_something_that_exists() -> None:
    text = README.read_text(encoding="utf-8")
    links = relative_links(text)
    assert any(link.startswith("docs/") for link in links)  # the parse found the links
    for link in links:
        parts = urlsplit(link)
        target = (ROOT / unquote(parts.path)) if parts.path else README
        assert target.exists(), f"README links to {link}, and {target} does not exist"
        if parts.fragment and target.suffix == ".md":
            slugs = headings_slugs(target.read_text(encoding="utf-8"))
            assert parts.fragment in slugs, f"README links to {link}: no such heading there"


def test_the_readme_link_checker_sees_a_broken_link() -> None:
    links = relative_links("[gone](docs/no-such-page.md) [web](https://example.com/x.md)")
    assert links == ["docs/no-such-page.md"]
    assert not (ROOT / links[0]).exists()
    assert "your-first-call" in headings_slugs("## Your first call\n")


def setting_names(cls: type, prefix: str = "") -> list[tuple[str, str]]:
    """(table, key) for every setting a config file can hold; ("keymap", "") for a free table."""
    names: list[tuple[str, str]] = []
    for field in dataclasses.fields(cls):
        if field.name == "config_file":  # not settable in the file: $CALLDESK_CONFIG, --config
            continue
        default = field.default_factory() if callable(field.default_factory) else field.default
        if dataclasses.is_dataclass(default):
            names += setting_names(type(default), prefix=field.name)
        elif isinstance(default, dict):
            names.append((field.name, ""))
        else:
            names.append((prefix, field.name))
    return names


def section(table: str) -> str:
    """The configuration page's part about `[table]` (up to the next heading of its level)."""
    start = CONFIGURATION.index(f"\n### {table}\n")
    end = CONFIGURATION.find("\n##", start + 1)
    return CONFIGURATION[start : end if end > 0 else None]


@pytest.mark.parametrize(("table", "key"), setting_names(Settings), ids=lambda value: value or "-")
def test_the_configuration_page_describes_every_setting(table: str, key: str) -> None:
    example = CONFIGURATION[: CONFIGURATION.index("\n## Settings")]
    if not key:  # a table of free keys, such as [keymap]: a section of its own
        assert f"\n### {table}\n" in CONFIGURATION and f"\n[{table}]" in example
        return
    where = section(table) if table else CONFIGURATION[: CONFIGURATION.index("\n### ")]
    assert re.search(rf"^\| `{re.escape(key)}` \|", where, flags=re.M), (
        f"{table + '.' if table else ''}{key} has no row in docs/configuration.md"
    )
    assert re.search(rf"^{re.escape(key)} = ", example, flags=re.M), (
        f"{key} is missing from the complete config file example"
    )


def test_the_configuration_page_names_every_variable_and_flag() -> None:
    for variable in [CONFIG_ENV, *ENVIRONMENT]:
        assert f"| `{variable}` |" in CONFIGURATION, f"{variable} is not documented"
    parser = argparse.ArgumentParser(add_help=False)
    add_global_options(parser)
    flags = [flag for action in parser._actions for flag in action.option_strings]
    assert flags
    for flag in flags:
        assert re.search(rf"\| `{re.escape(flag)}[ `]", CONFIGURATION), f"{flag} is not documented"


def binding_ids() -> set[str]:
    ids: set[str] = set()
    for module_info in pkgutil.walk_packages(calldesk.tui.__path__, "calldesk.tui."):
        module = importlib.import_module(module_info.name)
        for cls in vars(module).values():
            if inspect.isclass(cls) and cls.__module__ == module.__name__:
                for binding in vars(cls).get("BINDINGS", []):
                    if isinstance(binding, Binding) and binding.id:
                        ids.add(binding.id)
    return ids


def test_every_binding_id_is_listed_for_the_keymap() -> None:
    ids = binding_ids()
    assert {"start-call", "phrase-copy", "checklist-done"} <= ids  # the walk found the screens
    keymap = CONFIGURATION[CONFIGURATION.index("\n### keymap") : CONFIGURATION.index("\n## Env")]
    missing = sorted(i for i in ids if f"`{i}`" not in keymap)
    assert not missing, f"binding ids missing from the keymap table: {missing}"
