"""The Checker that turns format mistakes in a parsed YAML file into Problems, and its words."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from calldesk.core.library.problems import Problem, Severity
from calldesk.core.library.yamlsafe import Pos, YamlList, YamlMap

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""Phrase and checklist ids: lower-case letters, digits, '.', '_', '-'; a letter or digit first."""

_ID_RE = re.compile(ID_PATTERN[1:-1])


def describe(value: Any) -> str:
    """What a YAML value is, in words a trainer knows ("a number", "a list", ...)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a yes/no value)"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "a mapping (key: value lines)"
    if isinstance(value, list):
        return "a list"
    return "text"


class Checker:
    """Collects Problems for one file while validating its parsed values against a format."""

    def __init__(self, path: Path, problems: Sequence[Problem] = ()) -> None:
        self.path = path
        self.problems: list[Problem] = list(problems)
        # Kept as a counter: validators ask before and after every phrase.
        self.error_count = sum(1 for problem in self.problems if problem.is_error)

    def error(self, pos: Pos, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, pos[0], pos[1], message, hint))
        self.error_count += 1

    def warning(self, pos: Pos, message: str, hint: str = "") -> None:
        self.problems.append(
            Problem(self.path, pos[0], pos[1], message, hint, severity=Severity.WARNING)
        )

    def unknown_keys(self, mapping: YamlMap, known: Sequence[str], what: str) -> None:
        """An error per key not in `known`, with a "did you mean" so typos never vanish."""
        for key in mapping:
            if key in known:
                continue
            name = str(key)
            close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            self.error(mapping.key_pos[key], f"unknown key '{name}' in {what}", hint)

    def require(self, mapping: YamlMap, keys: Sequence[str], what: str) -> bool:
        missing = [key for key in keys if key not in mapping]
        for key in missing:
            self.error(mapping.pos, f"{what} has no '{key}'", f"add '{key}: ...'")
        return not missing

    def text(self, mapping: YamlMap, key: str) -> str | None:
        """The non-blank text under `key` (stripped), None if absent; an error if not text."""
        if key not in mapping:
            return None
        value = mapping[key]
        pos = mapping.where(key)
        if isinstance(value, str):
            if value.strip():
                return value.strip()
            self.error(pos, f"'{key}' is blank", "write the text, or remove the line")
        elif value is None:
            self.error(pos, f"'{key}' is empty", f"write the text after '{key}:', or remove it")
        elif isinstance(value, list | dict):
            self.error(
                pos,
                f"'{key}' must be text, not {describe(value)}",
                "for several lines of text write '|' after the key and indent the lines",
            )
        else:
            self.error(
                pos,
                f"'{key}' must be text, not {describe(value)}",
                "put the text in quotes",
            )
        return None

    def identifier(self, mapping: YamlMap, key: str = "id") -> str | None:
        value = mapping.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.error(mapping.where(key), f"'{key}' must be text, not a number", "quote it")
            return None
        text = self.text(mapping, key)
        if text is None:
            return None
        if not _ID_RE.fullmatch(text):
            suggestion = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
            hint = (
                "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit"
            )
            if suggestion and _ID_RE.fullmatch(suggestion):
                hint += f", e.g. '{suggestion}'"
            self.error(mapping.where(key), f"bad id {text!r}", hint)
            return None
        return text

    def text_list(self, mapping: YamlMap, key: str) -> tuple[str, ...] | None:
        """A list of non-blank texts (stripped, duplicates dropped); None and an error if not."""
        if key not in mapping:
            return ()
        value = mapping[key]
        pos = mapping.where(key)
        if isinstance(value, str):
            self.error(pos, f"'{key}' must be a list, not text", f"write {key}: [{value.strip()}]")
            return None
        if not isinstance(value, YamlList):
            self.error(
                pos, f"'{key}' must be a list, not {describe(value)}", f"write {key}: [a, b]"
            )
            return None
        items: list[str] = []
        good = True
        for item, item_pos in zip(value, value.item_pos, strict=True):
            if isinstance(item, str) and item.strip():
                if item.strip() not in items:
                    items.append(item.strip())
                continue
            good = False
            what = "blank" if isinstance(item, str) else describe(item)
            self.error(item_pos, f"each entry of '{key}' must be text, not {what}", "quote it")
        return tuple(items) if good else None

    def boolean(self, mapping: YamlMap, key: str, default: bool) -> bool | None:
        if key not in mapping:
            return default
        value = mapping[key]
        if isinstance(value, bool):
            return value
        self.error(
            mapping.where(key),
            f"'{key}' must be true or false, not {describe(value)}",
            f"write {key}: true or {key}: false",
        )
        return None
