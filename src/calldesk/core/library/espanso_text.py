"""Espanso text into calldesk phrase text: variables, form fields and placeholders."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calldesk.core.library.phrases import KNOWN_PLACEHOLDERS

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


NAME_RE = re.compile(r"[^a-z0-9]+")
TOKEN_RE = re.compile(
    r"(?P<escaped>\\[{}])"
    r"|\[\[\s*(?P<field>[^\[\]\n]+?)\s*\]\]"
    r"|\{\{\s*(?P<ref>[^{}\n]+?)\s*\}\}"
    r"|(?P<cursor>\$\|\$)"
)


class Skip(Exception):
    """This match cannot be converted; the message says why."""


@dataclass
class Var:
    name: str
    kind: str
    params: Any


@dataclass
class Context:
    """What converting one match needs: its variables, the file's globals, other matches."""

    path: Path
    pos: tuple[int, int]
    local: dict[str, Var]
    globals: dict[str, Var]
    static: Mapping[str, str]
    form_fields: Mapping[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    variants: tuple[str, list[tuple[str, str]]] | None = None


Segment = tuple[str, str]
"""("text", literal text) | ("placeholder", name) | ("variant", variable name)."""


def convert_text(text: str, context: Context, depth: int, form: bool = False) -> list[Segment]:
    """Espanso text -> literal text and placeholders; `form` for a form layout."""
    if depth > MAX_DEPTH:
        raise Skip("variables refer to each other too deeply (or in a loop)")
    segments: list[Segment] = []
    last = 0
    for match in TOKEN_RE.finditer(text):
        if match.start() > last:
            segments.append(("text", text[last : match.start()]))
        last = match.end()
        if match["escaped"]:
            segments.append(("text", match["escaped"][1]))
        elif match["cursor"]:
            context.notes.append("the cursor hint $|$ was removed")
        elif match["field"] is not None:
            if form:
                segments.append(("placeholder", field_placeholder(match["field"], context)))
            else:
                segments.append(("text", match.group(0)))
        else:
            segments.extend(reference(match["ref"], context, depth, form))
    if last < len(text):
        segments.append(("text", text[last:]))
    return segments


def reference(ref: str, context: Context, depth: int, form: bool) -> list[Segment]:
    """What `{{ref}}` becomes, or Skip."""
    name, _, member = ref.partition(".")
    var = context.local.get(name) or context.globals.get(name)
    if var is not None and var.kind == "global":
        var = context.globals.get(name)
        if var is None:
            raise Skip(f"variable '{name}' refers to a global variable that is not in this file")
    if var is None:
        if form and not member:
            # Espanso before 2.0 wrote form fields as {{name}}.
            return [("placeholder", field_placeholder(name, context))]
        placeholder = placeholder_name(ref)
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
            raise Skip(f"form variable '{name}' is used without a field ({{{{{name}.field}}}})")
        fields = params.get("fields")
        context.form_fields = fields if isinstance(fields, Mapping) else {}
        return [("placeholder", field_placeholder(member, context))]
    if member:
        raise Skip(f"'{{{{{ref}}}}}': only form variables have fields")
    if kind == "echo":
        mapped = synonym(name)
        if mapped == "agent":
            context.notes.append(
                f"echo variable {{{{{name}}}}} became {{agent}}, filled from each agent's config"
            )
            return [("placeholder", "agent")]
        value = params.get("echo")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise Skip(f"echo variable '{name}' has no 'echo' text")
        return convert_text(str(value), context, depth + 1)
    if kind in ("date", "clipboard"):
        placeholder = placeholder_name(name)
        what = "a date" if kind == "date" else "the clipboard"
        context.notes.append(
            f"{{{{{name}}}}} ({what} in Espanso) stays as {{{placeholder}}} for the agent to fill"
        )
        return [("placeholder", placeholder)]
    if kind in ("choice", "random"):
        values = variant_values(var, params)
        if context.variants is not None and context.variants[0] != name:
            raise Skip("more than one choice or random variable: split the match first")
        context.variants = (name, values)
        return [("variant", name)]
    if kind == "match":
        trigger = params.get("trigger")
        if isinstance(trigger, str) and trigger in context.static:
            return convert_text(context.static[trigger], context, depth + 1)
        raise Skip(
            f"nested match variable '{name}' points to {quoted(str(trigger))}, which is not a "
            "plain text match in the imported files"
        )
    if kind == "shell":
        raise Skip(f"variable '{name}' runs a shell command; calldesk phrases never run commands")
    if kind == "script":
        raise Skip(f"variable '{name}' runs a script; calldesk phrases never run programs")
    raise Skip(f"variable '{name}' has type '{kind}', which has no calldesk equivalent")


def variant_values(var: Var, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    raw = params.get("choices" if var.kind == "random" else "values")
    if isinstance(raw, str):
        raw = [line.strip() for line in raw.splitlines() if line.strip()]
    if not isinstance(raw, list) or not raw:
        raise Skip(f"{var.kind} variable '{var.name}' has no values")
    values: list[tuple[str, str]] = []
    for item in raw:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            label = item.get("label")
            values.append((str(label) if isinstance(label, str) else "", item["id"]))
        elif isinstance(item, str | int | float) and not isinstance(item, bool):
            values.append(("", str(item)))
        else:
            raise Skip(f"{var.kind} variable '{var.name}' has a value that is not text")
    if len(values) > MAX_VARIANTS:
        raise Skip(f"{var.kind} variable '{var.name}' has more than {MAX_VARIANTS} values")
    return values


def field_placeholder(raw: str, context: Context) -> str:
    name = placeholder_name(raw)
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


def synonym(raw: str) -> str | None:
    key = NAME_RE.sub("_", raw.lower()).strip("_")
    return PLACEHOLDER_SYNONYMS.get(key)


def placeholder_name_raw(raw: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]+", "_", raw.strip()).strip("_") or "value"
    return f"_{name}" if name[0].isdigit() else name


def placeholder_name(raw: str) -> str:
    """A calldesk placeholder name for an Espanso field or variable name."""
    return synonym(raw) or placeholder_name_raw(raw)


def require_words(segments: list[Segment]) -> None:
    if not any(kind == "text" and text.strip() for kind, text in segments):
        raise Skip("nothing would be left to say: the text is only values calldesk cannot fill")


def render_segments(segments: Iterable[Segment]) -> str:
    out: list[str] = []
    for kind, text in segments:
        out.append(escape_braces(text) if kind == "text" else f"{{{text}}}")
    return "".join(out).strip()


def escape_braces(text: str) -> str:
    """Literal braces as calldesk writes them: `{{` and `}}`."""
    return text.replace("{", "{{").replace("}", "}}")


def quoted(text: str) -> str:
    shown = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    return f'"{shown}"'
