"""Converting Espanso match files into calldesk phrase files, reporting what cannot convert."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calldesk.core.aftercall.checklist import CHECKLIST_FILE_NAMES
from calldesk.core.library.espanso_text import (
    Context,
    Segment,
    Skip,
    Var,
    convert_text,
    escape_braces,
    quoted,
    render_segments,
    require_words,
)
from calldesk.core.library.espanso_write import FILE_TAG, ImportedFile, ImportedPhrase
from calldesk.core.library.thesaurus import SYNONYM_FILE_NAMES
from calldesk.core.library.yamlfile import read_yaml
from calldesk.core.library.yamlsafe import YamlList, YamlMap

MATCH_KEYS = frozenset(
    (
        *("trigger", "triggers", "regex", "replace", "markdown", "html", "image_path"),
        *("form", "form_fields", "vars", "label", "search_terms", "comment"),
        *("word", "left_word", "right_word", "propagate_case", "uppercase_style"),
        *("force_mode", "force_clipboard", "paragraph", "passive_only"),
    )
)
"""Keys of an Espanso match we understand; the typing-behaviour ones have no meaning here."""


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Notice:
    """A match (or file) that was skipped, or converted with a change worth knowing."""

    path: Path
    line: int
    column: int
    message: str
    trigger: str = ""
    skipped: bool = True

    def format(self) -> str:
        """`file:line:col: skipped ":ip": why`, one line, as compilers print."""
        where = f"{self.path}:{self.line}:{self.column}" if self.line else str(self.path)
        what = "skipped" if self.skipped else "note"
        about = f" {quoted(self.trigger)}" if self.trigger else ""
        return f"{where}: {what}{about}: {self.message}"


@dataclass(frozen=True)
class EspansoImport:
    """Everything an import made, skipped and noticed."""

    files: tuple[ImportedFile, ...]
    skipped: tuple[Notice, ...]
    notes: tuple[Notice, ...]
    matches: int
    """Matches seen in all files."""

    @property
    def phrase_count(self) -> int:
        return sum(len(file.phrases) for file in self.files)


# -- converting -------------------------------------------------------------------------------


def convert_espanso(
    paths: Sequence[Path],
    *,
    category: str | None = None,
    taken_ids: Collection[str] = (),
) -> EspansoImport:
    """Convert Espanso match files into phrase files named by `output_names`.

    Ids are made unique across everything imported and `taken_ids` (the phrases already in
    the library, so an import never silently replaces one). Never raises for bad input:
    whatever cannot be converted is in `skipped`, with the reason.
    """
    paths = list(dict.fromkeys(paths))
    names = output_names(paths)
    skipped: list[Notice] = []
    notes: list[Notice] = []
    documents: list[tuple[Path, Any]] = []
    for path in paths:
        doc = read_yaml(path)
        if not doc.ok or doc.value is None:
            for problem in doc.problems:
                if problem.is_error:
                    skipped.append(
                        Notice(path, problem.line, problem.column, _problem_text(problem))
                    )
            continue
        documents.append((path, doc.value))
    static = _static_replacements(value for _, value in documents)
    used_ids = set(taken_ids)
    files: list[ImportedFile] = []
    matches = 0
    for path, root in documents:
        entries, globals_, file_notes = _file_parts(path, root, skipped)
        notes.extend(file_notes)
        if entries is None:
            continue
        phrases: list[ImportedPhrase] = []
        for entry, pos in entries:
            matches += 1
            phrases.extend(
                _convert_match(path, entry, pos, globals_, static, used_ids, skipped, notes)
            )
        if not phrases:
            continue
        files.append(
            ImportedFile(
                source=path,
                name=names[path],
                category=category or f"Espanso: {path.stem}",
                phrases=tuple(phrases),
            )
        )
    return EspansoImport(tuple(files), tuple(skipped), tuple(notes), matches)


def output_names(paths: Sequence[Path]) -> dict[Path, str]:
    """The phrase file each Espanso file becomes: `base.yml` -> `base.yaml`, made unique."""
    used: set[str] = set()
    return {path: _unique_name(_file_name(path), used) for path in dict.fromkeys(paths)}


def _problem_text(problem: Any) -> str:
    return f"{problem.message} ({problem.hint})" if problem.hint else problem.message


def _file_parts(
    path: Path, root: Any, skipped: list[Notice]
) -> tuple[list[tuple[Any, tuple[int, int]]] | None, dict[str, Var], list[Notice]]:
    """The match entries of one file (None if there are none), its global vars, and notes."""
    notes: list[Notice] = []
    if isinstance(root, YamlList):
        # Espanso's documentation shows matches as a bare list; accept it as if under `matches:`.
        notes.append(
            Notice(
                path,
                *root.pos,
                "read as a list of matches (Espanso expects 'matches:')",
                skipped=False,
            )
        )
        return list(zip(root, root.item_pos, strict=True)), {}, notes
    if not isinstance(root, YamlMap):
        skipped.append(Notice(path, 1, 1, "not an Espanso match file (expected 'matches:')"))
        return None, {}, notes
    globals_ = _vars(root.get("global_vars"))
    for key in root:
        pos = root.key_pos[key]
        if key == "imports":
            for item in root["imports"] if isinstance(root["imports"], list) else []:
                notes.append(
                    Notice(
                        path,
                        *pos,
                        f"imports are not followed: add {item} to the command to import it too",
                        skipped=False,
                    )
                )
        elif str(key).startswith("filter_") or key in ("extra_includes", "includes", "excludes"):
            notes.append(
                Notice(
                    path,
                    *pos,
                    f"'{key}' is ignored: app filters do not apply in calldesk",
                    skipped=False,
                )
            )
        elif key not in ("matches", "global_vars", "anchors"):
            notes.append(Notice(path, *pos, f"'{key}' is ignored", skipped=False))
    entries = root.get("matches")
    if entries is None:
        skipped.append(
            Notice(
                path,
                *root.pos,
                "no 'matches:' here (an Espanso config file holds settings, not matches)",
            )
        )
        return None, globals_, notes
    if not isinstance(entries, YamlList):
        skipped.append(Notice(path, *root.where("matches"), "'matches' must be a list"))
        return None, globals_, notes
    return list(zip(entries, entries.item_pos, strict=True)), globals_, notes


def _vars(value: Any) -> dict[str, Var]:
    if not isinstance(value, YamlList):
        return {}
    found: dict[str, Var] = {}
    for item in value:
        if isinstance(item, YamlMap) and isinstance(item.get("name"), str):
            kind = str(item.get("type") or "")
            found[item["name"]] = Var(item["name"], kind, item.get("params"))
    return found


def _static_replacements(roots: Iterable[Any]) -> dict[str, str]:
    """Trigger -> text for plain matches, so a nested `match` variable can be inlined."""
    found: dict[str, str] = {}
    for root in roots:
        entries = root.get("matches") if isinstance(root, YamlMap) else root
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("vars"):
                continue
            text = entry.get("replace")
            if not isinstance(text, str) or "{{" in text or "$|$" in text:
                continue
            for trigger in _triggers(entry):
                found.setdefault(trigger, text)
    return found


def _triggers(entry: Mapping[str, Any]) -> list[str]:
    raw: Any = entry.get("triggers")
    if raw is None:
        raw = [entry.get("trigger")] if "trigger" in entry else []
    if not isinstance(raw, list):
        raw = [raw]
    return [str(item) for item in raw if isinstance(item, str | int | float) and str(item)]


def _convert_match(
    path: Path,
    entry: Any,
    pos: tuple[int, int],
    globals_: dict[str, Var],
    static: Mapping[str, str],
    used_ids: set[str],
    skipped: list[Notice],
    notes: list[Notice],
) -> list[ImportedPhrase]:
    if not isinstance(entry, YamlMap):
        skipped.append(Notice(path, *pos, "each match must be a mapping ('- trigger: ...')"))
        return []
    triggers = _triggers(entry)
    shown = triggers[0] if triggers else str(entry.get("regex", ""))
    context = Context(path, pos, {}, globals_, static)
    try:
        phrases = _phrases(entry, triggers, context, used_ids)
    except Skip as reason:
        skipped.append(Notice(path, *pos, str(reason), shown))
        return []
    notes.extend(Notice(path, *pos, text, shown, False) for text in dict.fromkeys(context.notes))
    return phrases


def _phrases(
    entry: YamlMap, triggers: list[str], context: Context, used_ids: set[str]
) -> list[ImportedPhrase]:
    if "regex" in entry:
        raise Skip("regex triggers cannot be converted: calldesk phrases are searched, not typed")
    if not triggers:
        raise Skip("the match has no trigger")
    if "image_path" in entry:
        raise Skip("image matches cannot be converted: a phrase is words to say")
    if "html" in entry:
        raise Skip("HTML replacements are not converted: copy the words into a phrase by hand")
    body_key = next((key for key in ("replace", "form", "markdown") if key in entry), None)
    if body_key is None:
        raise Skip("the match has no 'replace' (nor 'form' or 'markdown')")
    body = entry[body_key]
    if isinstance(body, int | float) and not isinstance(body, bool):
        body = str(body)
    if not isinstance(body, str):
        raise Skip(f"'{body_key}' must be text")
    if not body.strip():
        raise Skip("the replacement is empty")
    if body_key == "markdown":
        context.notes.append("markdown kept as plain text (its * and _ marks show)")
    for key in entry:
        if str(key).startswith("filter_"):
            context.notes.append(f"'{key}' is ignored: app filters do not apply in calldesk")
        elif key not in MATCH_KEYS:
            context.notes.append(f"'{key}' is ignored")
    local = entry.get("vars")
    if local is not None and not isinstance(local, YamlList):
        raise Skip("'vars' must be a list of variables")
    context.local = _vars(local)
    fields = entry.get("form_fields")
    context.form_fields = fields if isinstance(fields, Mapping) else {}
    segments = convert_text(body, context, depth=0, form=body_key == "form")
    title_base = _title(entry, triggers, segments)
    tags = _tags(entry, triggers)
    if context.variants is None:
        say = render_segments(segments)
        require_words(segments)
        phrase_id = _unique_id(_slug(triggers[0]) or _slug(title_base), used_ids, context.notes)
        return [ImportedPhrase(phrase_id, title_base, say, tags, context.pos[0], triggers[0])]
    # One phrase per value of the match's choice/random variable.
    marker, values = context.variants
    phrases: list[ImportedPhrase] = []
    base_id = _slug(triggers[0]) or _slug(title_base)
    for index, (label, value) in enumerate(values, start=1):
        filled = [
            segment if segment != ("variant", marker) else ("text", value) for segment in segments
        ]
        require_words(filled)
        suffix = escape_braces(label) if label else f"{index} of {len(values)}"
        phrases.append(
            ImportedPhrase(
                _unique_id(base_id, used_ids, context.notes if index == 1 else None),
                f"{title_base} ({suffix})",
                render_segments(filled),
                tags,
                context.pos[0],
                triggers[0],
            )
        )
    context.notes.append(
        f"became {len(values)} phrases, one per value of '{marker}' (calldesk has no random "
        "or choice variables)"
    )
    return phrases


def _title(entry: YamlMap, triggers: list[str], segments: list[Segment]) -> str:
    label = entry.get("label")
    if isinstance(label, str) and label.strip():
        return escape_braces(label.strip().splitlines()[0].strip())
    trigger = triggers[0].strip()
    if trigger and trigger.isprintable():
        return escape_braces(trigger)
    words = " ".join(render_segments(segments).split())
    return words if len(words) <= 60 else words[:59].rstrip() + "…"


def _tags(entry: YamlMap, triggers: list[str]) -> tuple[str, ...]:
    tags = [trigger.strip() for trigger in triggers if trigger.strip().isprintable()]
    terms = entry.get("search_terms")
    if isinstance(terms, list):
        tags.extend(str(term).strip() for term in terms if isinstance(term, str | int))
    return tuple(dict.fromkeys(tag for tag in tags if tag and tag != FILE_TAG))


def _slug(text: str) -> str:
    """A phrase id from a trigger or title: ':Date-Now!' -> 'date-now'."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9._-]+", "-", folded.lower())
    slug = re.sub(r"-{2,}", "-", slug).strip("-._")
    return slug[:60].rstrip("-._")


def _unique_id(base: str, used: set[str], notes: list[str] | None) -> str:
    base = base or "espanso-match"
    candidate = base
    number = 2
    while candidate in used:
        candidate = f"{base}-{number}"
        number += 1
    if candidate != base and notes is not None:
        notes.append(f"the id '{base}' is taken; this phrase is '{candidate}'")
    used.add(candidate)
    return candidate


def _file_name(path: Path) -> str:
    stem = _slug(path.stem.lstrip("._")) or "espanso"
    name = f"{stem}.yaml"
    if name in CHECKLIST_FILE_NAMES or name in SYNONYM_FILE_NAMES:
        # checklist.yaml would be read as the post-call checklist, synonyms.yaml as the
        # team's thesaurus, not as phrases.
        name = f"{stem}-espanso.yaml"
    return name


def _unique_name(name: str, used: set[str]) -> str:
    stem = name.removesuffix(".yaml")
    candidate = name
    number = 2
    while candidate.lower() in used:
        candidate = f"{stem}-{number}.yaml"
        number += 1
    used.add(candidate.lower())
    return candidate
