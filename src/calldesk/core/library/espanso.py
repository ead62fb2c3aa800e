"""Converting Espanso match files into calldesk phrase files, reporting what cannot convert."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from calldesk.core.aftercall.checklist import CHECKLIST_FILE_NAMES
from calldesk.core.library.phrases import KNOWN_PLACEHOLDERS, phrases_from_document
from calldesk.core.library.thesaurus import SYNONYM_FILE_NAMES
from calldesk.core.library.yamlsafe import YamlList, YamlMap, parse_yaml, read_yaml

FILE_TAG = "espanso"
"""Every imported phrase gets this tag, so `tag:espanso` finds them."""

MAX_VARIANTS = 50
"""A choice or random variable becomes one phrase per value, up to this many."""

MAX_DEPTH = 8
"""How deep variables may refer to variables (echo inside echo...) before we give up."""

# Form fields and variables with these names become calldesk's own placeholders, filled from
# the live call instead of typed by hand. Names are compared lower-case with '_' for any
# run of other characters.
PLACEHOLDER_SYNONYMS: Mapping[str, str] = {
    name: placeholder
    for placeholder, names in (
        (
            "customer",
            "name customer customer_name customername client client_name caller caller_name"
            " first_name firstname full_name fullname",
        ),
        ("number", "number phone phone_number phonenumber telephone tel mobile caller_number"),
        (
            "ticket",
            "ticket ticket_id ticket_number ticket_no ticketid case case_id case_number"
            " reference ref incident incident_number",
        ),
        ("agent", "agent agent_name my_name myname me yourname your_name"),
    )
    for name in names.split()
}

MATCH_KEYS = frozenset(
    (
        *("trigger", "triggers", "regex", "replace", "markdown", "html", "image_path"),
        *("form", "form_fields", "vars", "label", "search_terms", "comment"),
        *("word", "left_word", "right_word", "propagate_case", "uppercase_style"),
        *("force_mode", "force_clipboard", "paragraph", "passive_only"),
    )
)
"""Keys of an Espanso match we understand; the typing-behaviour ones have no meaning here."""

_TOKEN_RE = re.compile(
    r"(?P<escaped>\\[{}])"
    r"|\[\[\s*(?P<field>[^\[\]\n]+?)\s*\]\]"
    r"|\{\{\s*(?P<ref>[^{}\n]+?)\s*\}\}"
    r"|(?P<cursor>\$\|\$)"
)
_NAME_RE = re.compile(r"[^a-z0-9]+")


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
        about = f" {_quoted(self.trigger)}" if self.trigger else ""
        return f"{where}: {what}{about}: {self.message}"


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


class _Skip(Exception):
    """This match cannot be converted; the message says why."""


@dataclass
class _Var:
    name: str
    kind: str
    params: Any


@dataclass
class _Context:
    """What converting one match needs: its variables, the file's globals, other matches."""

    path: Path
    pos: tuple[int, int]
    local: dict[str, _Var]
    globals: dict[str, _Var]
    static: Mapping[str, str]
    form_fields: Mapping[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    variants: tuple[str, list[tuple[str, str]]] | None = None


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
) -> tuple[list[tuple[Any, tuple[int, int]]] | None, dict[str, _Var], list[Notice]]:
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


def _vars(value: Any) -> dict[str, _Var]:
    if not isinstance(value, YamlList):
        return {}
    found: dict[str, _Var] = {}
    for item in value:
        if isinstance(item, YamlMap) and isinstance(item.get("name"), str):
            kind = str(item.get("type") or "")
            found[item["name"]] = _Var(item["name"], kind, item.get("params"))
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
    globals_: dict[str, _Var],
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
    context = _Context(path, pos, {}, globals_, static)
    try:
        phrases = _phrases(entry, triggers, context, used_ids)
    except _Skip as reason:
        skipped.append(Notice(path, *pos, str(reason), shown))
        return []
    notes.extend(Notice(path, *pos, text, shown, False) for text in dict.fromkeys(context.notes))
    return phrases


def _phrases(
    entry: YamlMap, triggers: list[str], context: _Context, used_ids: set[str]
) -> list[ImportedPhrase]:
    if "regex" in entry:
        raise _Skip("regex triggers cannot be converted: calldesk phrases are searched, not typed")
    if not triggers:
        raise _Skip("the match has no trigger")
    if "image_path" in entry:
        raise _Skip("image matches cannot be converted: a phrase is words to say")
    if "html" in entry:
        raise _Skip("HTML replacements are not converted: copy the words into a phrase by hand")
    body_key = next((key for key in ("replace", "form", "markdown") if key in entry), None)
    if body_key is None:
        raise _Skip("the match has no 'replace' (nor 'form' or 'markdown')")
    body = entry[body_key]
    if isinstance(body, int | float) and not isinstance(body, bool):
        body = str(body)
    if not isinstance(body, str):
        raise _Skip(f"'{body_key}' must be text")
    if not body.strip():
        raise _Skip("the replacement is empty")
    if body_key == "markdown":
        context.notes.append("markdown kept as plain text (its * and _ marks show)")
    for key in entry:
        if str(key).startswith("filter_"):
            context.notes.append(f"'{key}' is ignored: app filters do not apply in calldesk")
        elif key not in MATCH_KEYS:
            context.notes.append(f"'{key}' is ignored")
    local = entry.get("vars")
    if local is not None and not isinstance(local, YamlList):
        raise _Skip("'vars' must be a list of variables")
    context.local = _vars(local)
    fields = entry.get("form_fields")
    context.form_fields = fields if isinstance(fields, Mapping) else {}
    segments = _convert_text(body, context, depth=0, form=body_key == "form")
    title_base = _title(entry, triggers, segments)
    tags = _tags(entry, triggers)
    if context.variants is None:
        say = _render(segments)
        _require_words(segments)
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
        _require_words(filled)
        suffix = _escape(label) if label else f"{index} of {len(values)}"
        phrases.append(
            ImportedPhrase(
                _unique_id(base_id, used_ids, context.notes if index == 1 else None),
                f"{title_base} ({suffix})",
                _render(filled),
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


Segment = tuple[str, str]
"""("text", literal text) | ("placeholder", name) | ("variant", variable name)."""


def _convert_text(text: str, context: _Context, depth: int, form: bool = False) -> list[Segment]:
    """Espanso text -> literal text and placeholders; `form` for a form layout."""
    if depth > MAX_DEPTH:
        raise _Skip("variables refer to each other too deeply (or in a loop)")
    segments: list[Segment] = []
    last = 0
    for match in _TOKEN_RE.finditer(text):
        if match.start() > last:
            segments.append(("text", text[last : match.start()]))
        last = match.end()
        if match["escaped"]:
            segments.append(("text", match["escaped"][1]))
        elif match["cursor"]:
            context.notes.append("the cursor hint $|$ was removed")
        elif match["field"] is not None:
            if form:
                segments.append(("placeholder", _field_placeholder(match["field"], context)))
            else:
                segments.append(("text", match.group(0)))
        else:
            segments.extend(_reference(match["ref"], context, depth, form))
    if last < len(text):
        segments.append(("text", text[last:]))
    return segments


def _reference(ref: str, context: _Context, depth: int, form: bool) -> list[Segment]:
    """What `{{ref}}` becomes, or _Skip."""
    name, _, member = ref.partition(".")
    var = context.local.get(name) or context.globals.get(name)
    if var is not None and var.kind == "global":
        var = context.globals.get(name)
        if var is None:
            raise _Skip(f"variable '{name}' refers to a global variable that is not in this file")
    if var is None:
        if form and not member:
            # Espanso before 2.0 wrote form fields as {{name}}.
            return [("placeholder", _field_placeholder(name, context))]
        placeholder = _placeholder_name(ref)
        fills = "calldesk fills it from the call" if placeholder in KNOWN_PLACEHOLDERS else ""
        context.notes.append(
            f"variable {{{{{ref}}}}} is not defined in this file; it became {{{placeholder}}}"
            + (f" ({fills})" if fills else " for the agent to fill")
        )
        return [("placeholder", placeholder)]
    kind = var.kind
    params = var.params if isinstance(var.params, Mapping) else {}
    if kind == "form":
        if not member:
            raise _Skip(f"form variable '{name}' is used without a field ({{{{{name}.field}}}})")
        fields = params.get("fields")
        context.form_fields = fields if isinstance(fields, Mapping) else {}
        return [("placeholder", _field_placeholder(member, context))]
    if member:
        raise _Skip(f"'{{{{{ref}}}}}': only form variables have fields")
    if kind == "echo":
        mapped = _synonym(name)
        if mapped == "agent":
            context.notes.append(
                f"echo variable {{{{{name}}}}} became {{agent}}, filled from each agent's config"
            )
            return [("placeholder", "agent")]
        value = params.get("echo")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise _Skip(f"echo variable '{name}' has no 'echo' text")
        return _convert_text(str(value), context, depth + 1)
    if kind in ("date", "clipboard"):
        placeholder = _placeholder_name(name)
        what = "a date" if kind == "date" else "the clipboard"
        context.notes.append(
            f"{{{{{name}}}}} ({what} in Espanso) stays as {{{placeholder}}} for the agent to fill"
        )
        return [("placeholder", placeholder)]
    if kind in ("choice", "random"):
        values = _variant_values(var, params)
        if context.variants is not None and context.variants[0] != name:
            raise _Skip("more than one choice or random variable: split the match first")
        context.variants = (name, values)
        return [("variant", name)]
    if kind == "match":
        trigger = params.get("trigger")
        if isinstance(trigger, str) and trigger in context.static:
            return _convert_text(context.static[trigger], context, depth + 1)
        raise _Skip(
            f"nested match variable '{name}' points to {_quoted(str(trigger))}, which is not a "
            "plain text match in the imported files"
        )
    if kind == "shell":
        raise _Skip(f"variable '{name}' runs a shell command; calldesk phrases never run commands")
    if kind == "script":
        raise _Skip(f"variable '{name}' runs a script; calldesk phrases never run programs")
    raise _Skip(f"variable '{name}' has type '{kind}', which has no calldesk equivalent")


def _variant_values(var: _Var, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = params.get("choices" if var.kind == "random" else "values")
    if isinstance(raw, str):
        raw = [line.strip() for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list) or not raw:
        raise _Skip(f"{var.kind} variable '{var.name}' has no values")
    values: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            label = item.get("label")
            values.append((str(label) if isinstance(label, str) else "", item["id"]))
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            values.append(("", str(item)))
        else:
            raise _Skip(f"{var.kind} variable '{var.name}' has a value that is not text")
    if len(values) > MAX_VARIANTS:
        raise _Skip(f"{var.kind} variable '{var.name}' has more than {MAX_VARIANTS} values")
    return values


def _field_placeholder(raw: str, context: _Context) -> str:
    name = _placeholder_name(raw)
    spec = context.form_fields.get(raw)
    if isinstance(spec, Mapping) and spec.get("type") in ("choice", "list"):
        values = spec.get("values")
        if isinstance(values, str):
            values = [line.strip() for line in values.splitlines() if line.strip()]
        if isinstance(values, list) and values:
            shown = ", ".join(str(value) for value in values[:5])
            more = ", ..." if len(values) > 5 else ""
            context.notes.append(f"form field [[{raw}]] was a choice of {shown}{more}")
    if name != raw:
        context.notes.append(f"form field [[{raw}]] became {{{name}}}")
    return name


def _synonym(raw: str) -> str | None:
    key = _NAME_RE.sub("_", raw.lower()).strip("_")
    return PLACEHOLDER_SYNONYMS.get(key)


def _placeholder_name_raw(raw: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", raw.strip()).strip("_") or "value"
    return f"_{name}" if name[0].isdigit() else name


def _placeholder_name(raw: str) -> str:
    """A calldesk placeholder name for an Espanso field or variable name."""
    return _synonym(raw) or _placeholder_name_raw(raw)


def _require_words(segments: list[Segment]) -> None:
    if not any(kind == "text" and text.strip() for kind, text in segments):
        raise _Skip("nothing would be left to say: the text is only values calldesk cannot fill")


def _render(segments: Iterable[Segment]) -> str:
    out: list[str] = []
    for kind, text in segments:
        out.append(_escape(text) if kind == "text" else f"{{{text}}}")
    return "".join(out).strip()


def _escape(text: str) -> str:
    """Literal braces as calldesk writes them: `{{` and `}}`."""
    return text.replace("{", "{{").replace("}", "}}")


def _title(entry: YamlMap, triggers: list[str], segments: list[Segment]) -> str:
    label = entry.get("label")
    if isinstance(label, str) and label.strip():
        return _escape(label.strip().splitlines()[0].strip())
    trigger = triggers[0].strip()
    if trigger and trigger.isprintable():
        return _escape(trigger)
    words = " ".join(_render(segments).split())
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


def _quoted(text: str) -> str:
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return f'"{shown}"'


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
