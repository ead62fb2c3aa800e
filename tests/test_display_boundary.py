"""The display boundary holds by construction: the TUI's source is checked, not only its output.

Outside text reaches the screen through `calldesk.tui.text` only: editable fields are
`LiteralInput` / `LiteralTextArea`, labels never read markup from a variable, border titles
that are not fixed words are `literal()` Text, and no window title is ever set. Toasts go
through the app's `notify` (see `test_tui_literal.py`); what the terminal finally receives is
checked byte by byte in `test_terminal_bytes.py`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import calldesk.tui

TUI = Path(calldesk.tui.__file__).parent
BOUNDARY = TUI / "text.py"
RAW_EDITORS = {"Input", "TextArea"}


def tui_sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(TUI.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def name_of(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(TUI.parent)}:{getattr(node, 'lineno', 0)}"


def is_fixed_text(node: ast.expr) -> bool:
    """A string written in the source (no outside text can be in it)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def test_the_tui_sources_are_found() -> None:
    names = {path.name for path, _ in tui_sources()}
    assert {"app.py", "text.py", "notes_pane.py", "history.py", "confirm.py"} <= names


def test_editable_fields_are_the_literal_ones() -> None:
    """A plain Input or TextArea would draw a pasted or stored ESC raw."""
    found = []
    for path, tree in tui_sources():
        if path == BOUNDARY:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and name_of(node.func) in RAW_EDITORS:
                found.append(f"{where(path, node)}: {name_of(node.func)}(...)")
            if isinstance(node, ast.ClassDef):
                bases = {name_of(base) for base in node.bases}
                if bases & RAW_EDITORS:
                    found.append(f"{where(path, node)}: class {node.name}({', '.join(bases)})")
    assert not found, "use LiteralInput / LiteralTextArea from calldesk.tui.text:\n" + "\n".join(
        found
    )


def test_labels_never_read_markup_from_a_variable() -> None:
    found = []
    for path, tree in tui_sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and name_of(node.func) in ("Label", "Static")):
                continue
            if not node.args or is_fixed_text(node.args[0]):
                continue
            markup = next((kw.value for kw in node.keywords if kw.arg == "markup"), None)
            if not (isinstance(markup, ast.Constant) and markup.value is False):
                found.append(where(path, node))
    assert not found, "pass markup=False (and literal() Text):\n" + "\n".join(found)


@pytest.mark.parametrize("attribute", ["border_title", "border_subtitle"])
def test_border_titles_are_fixed_words_or_literal_text(attribute: str) -> None:
    """A str border title is read as markup by Textual; outside text there must be Text."""
    found = []
    for path, tree in tui_sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Assign):
                continue
            if not any(name_of(target) == attribute for target in node.targets):
                continue
            value = node.value
            literal_call = isinstance(value, ast.Call) and name_of(value.func) == "literal"
            if not (is_fixed_text(value) or literal_call):
                found.append(where(path, node))
    assert not found, f"{attribute} = literal(...):\n" + "\n".join(found)


def test_no_window_title_is_ever_set_from_text() -> None:
    """Textual writes no terminal title; calldesk sets none either (OSC 0/2 is checked too)."""
    found = []
    for path, tree in tui_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    attribute = isinstance(target, ast.Attribute) and target.attr in (
                        "title",
                        "sub_title",
                    )
                    constant = isinstance(target, ast.Name) and target.id in ("TITLE", "SUB_TITLE")
                    if (attribute or constant) and not is_fixed_text(node.value):
                        found.append(where(path, node))
    assert not found, "\n".join(found)
