"""The phrase files an Espanso import makes, written as YAML the loader reads back exactly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from calldesk.core.library.phrasefile import phrases_from_document
from calldesk.core.library.yamlsafe import parse_yaml

FILE_TAG = "espanso"
"""Every imported phrase gets this tag, so `tag:espanso` finds them."""


@dataclass(frozen=True, slots=True)
class ImportedPhrase:
    """One calldesk phrase made from an Espanso match."""

    id: str
    title: str
    say: str
    tags: tuple[str, ...]
    line: int
    """Where the match starts in the Espanso file."""
    trigger: str


@dataclass(frozen=True)
class ImportedFile:
    """The calldesk phrase file made from one Espanso match file."""

    source: Path
    name: str
    """File name to write in the output folder."""
    category: str
    phrases: tuple[ImportedPhrase, ...]

    def to_yaml(self) -> str:
        """The phrase file's text (docs/phrase-format.md), checked by reading it back."""
        lines = [
            f"# Imported from Espanso ({self.source.name}) by calldesk phrases import-espanso.",
            "# Edit freely: calldesk never reads the Espanso file again.",
            _dump({"category": self.category}),
            f"tags: [{FILE_TAG}]",
            "phrases:",
        ]
        for phrase in self.phrases:
            lines.append(
                f"  # {self.source.name}:{phrase.line} {_comment(phrase.trigger)}".rstrip()
            )
            entry: dict[str, Any] = {"id": phrase.id, "title": phrase.title, "say": phrase.say}
            if phrase.tags:
                entry["tags"] = list(phrase.tags)
            lines.extend("  " + line if line else line for line in _dump([entry]).splitlines())
        text = "\n".join(lines) + "\n"
        self._verify(text)
        return text

    def _verify(self, text: str) -> None:
        # The writer and the loader must agree, whatever odd text an Espanso file held.
        doc = parse_yaml(text, Path(self.name))
        loaded, problems = phrases_from_document(doc)
        errors = [problem.format() for problem in problems if problem.is_error]
        expected = [
            (p.id, p.title, p.say, tuple(dict.fromkeys((FILE_TAG, *p.tags)))) for p in self.phrases
        ]
        got = [(p.id, p.title, p.say, p.tags) for p in loaded]
        if errors or got != expected:
            raise AssertionError(f"converted phrase file does not read back: {errors or got}")


def _comment(trigger: str) -> str:
    return trigger if trigger.isprintable() else trigger.encode("unicode_escape").decode("ascii")


# -- writing YAML the loader reads back exactly ------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text; quotes where YAML 1.2 (the loader) would read a number."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as docs/phrase-format.md shows them.
        super().increase_indent(flow, False)


# PyYAML writes these raw in plain, single-quoted and block styles, and reads them back as
# line breaks or drops them; double quotes escape them.
_NEEDS_ESCAPES = frozenset("\r\x85\u2028\u2029\ufeff")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if any(char in _NEEDS_ESCAPES for char in value) or not (
        value.replace("\n", "").replace("\t", "").isprintable()
    ):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if value[:1] in "-+.0123456789" or value.lower() in ("null", "true", "false", "~", ""):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


def _dump(data: Any) -> str:
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    return text.rstrip("\n")
