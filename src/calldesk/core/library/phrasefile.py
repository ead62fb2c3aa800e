"""Validating one parsed phrase file: its fields, ids, promises and placeholders, as problems."""

from __future__ import annotations

import difflib
import re

from calldesk.core.library.phrases import (
    KNOWN_PLACEHOLDERS,
    PLACEHOLDER_RE,
    Phrase,
    Promise,
    parse_due,
    placeholders,
)
from calldesk.core.library.problems import Problem
from calldesk.core.library.yamlcheck import Checker, describe
from calldesk.core.library.yamlsafe import YamlDocument, YamlList, YamlMap

FILE_KEYS = ("category", "tags", "sets", "phrases")
PHRASE_KEYS = (
    "id",
    "title",
    "say",
    "when",
    "instead_of",
    "tags",
    "category",
    "sets",
    "key",
    "priority",
    "promise",
    "keywords",
)
PROMISE_KEYS = ("what", "due")
MAX_PRIORITY = 9999
REQUIRED_PHRASE_KEYS = ("id", "title", "say")


def phrases_from_document(doc: YamlDocument) -> tuple[list[Phrase], list[Problem]]:
    """Validate a parsed phrase file: its phrases (none if it has errors) and every problem."""
    check = Checker(doc.path, doc.problems)
    root = doc.value
    if root is None:
        return [], check.problems
    if not isinstance(root, YamlMap):
        check.error(
            getattr(root, "pos", (1, 1)),
            "a phrase file must be a mapping with 'phrases:'",
            "start with 'category: ...' and 'phrases:', then the list (see docs/phrase-format.md)",
        )
        return [], check.problems
    check.unknown_keys(root, FILE_KEYS, "the phrase file")
    category = check.text(root, "category")
    file_tags = check.text_list(root, "tags") or ()
    file_sets = check.text_list(root, "sets") or ()
    if "phrases" not in root:
        check.error(root.pos, "the file has no 'phrases:' list", "add 'phrases:' and the phrases")
        return [], check.problems
    entries = root["phrases"]
    if not isinstance(entries, YamlList):
        check.error(
            root.where("phrases"),
            "'phrases' must be a list",
            "start each phrase with '- id: ...', indented under 'phrases:'",
        )
        return [], check.problems
    if not entries:
        check.warning(root.where("phrases"), "the file has no phrases yet", "")
    lines: list[str] = []  # the file's lines, split only if a placeholder needs locating
    phrases: list[Phrase] = []
    id_lines: dict[str, int] = {}  # every id written in the file, even on a broken phrase
    for entry, pos in zip(entries, entries.item_pos, strict=True):
        if not isinstance(entry, YamlMap):
            check.error(pos, "each phrase must be a mapping", "start it with '- id: ...'")
            continue
        phrase = _phrase(check, entry, category, file_tags, file_sets, doc, lines)
        if phrase is not None:
            phrases.append(phrase)
        _check_unique_id(check, entry, id_lines, doc.path.name)
    # A file with any error is skipped as a whole (hot reload keeps its last good version).
    return ([] if check.error_count else phrases), check.problems


def _check_unique_id(check: Checker, entry: YamlMap, id_lines: dict[str, int], name: str) -> None:
    """An error on both phrases when an id comes twice in one file, so the file is skipped."""
    phrase_id = entry.get("id")
    if not isinstance(phrase_id, str):
        return
    line = entry.pos[0]
    first = id_lines.setdefault(phrase_id, line)
    if first == line:
        return
    hint = "ids must be unique within a folder; rename one"
    check.error((line, 1), f"duplicate id '{phrase_id}' (also at {name}:{first})", hint)
    check.error((first, 1), f"duplicate id '{phrase_id}' (also at {name}:{line})", hint)


def _phrase(
    check: Checker,
    entry: YamlMap,
    file_category: str | None,
    file_tags: tuple[str, ...],
    file_sets: tuple[str, ...],
    doc: YamlDocument,
    lines: list[str],
) -> Phrase | None:
    before = check.error_count
    check.unknown_keys(entry, PHRASE_KEYS, "a phrase")
    check.require(entry, REQUIRED_PHRASE_KEYS, "this phrase")
    phrase_id = check.identifier(entry) if "id" in entry else None
    title = check.text(entry, "title")
    say = check.text(entry, "say")
    when = check.text(entry, "when") or ""
    instead_of = check.text(entry, "instead_of") or ""
    category = check.text(entry, "category") or file_category
    tags = check.text_list(entry, "tags")
    sets = check.text_list(entry, "sets")
    key_clause = check.text(entry, "key") or ""
    if key_clause and say is not None and _squash(key_clause) not in _squash(say):
        check.error(
            entry.where("key"),
            "'key' must be words quoted from 'say'",
            "copy the clause that matters most from 'say' (case and spacing may differ)",
        )
    priority = _priority(check, entry)
    promise = _promise(check, entry)
    keywords = check.text_list(entry, "keywords")
    if category is None and "category" not in entry:
        check.error(
            entry.pos,
            "this phrase has no category",
            "add 'category: ...' to it, or once at the top of the file",
        )
    for key, text in (("title", title), ("say", say)):
        if text is not None:
            _check_placeholders(check, entry, key, text, doc, lines)
    if (
        check.error_count > before
        or phrase_id is None
        or title is None
        or say is None
        or category is None
        or tags is None
        or sets is None
        or keywords is None
    ):
        return None
    positions = tuple((str(name), *entry.where(name)) for name in entry if isinstance(name, str))
    return Phrase(
        id=phrase_id,
        title=title,
        say=say,
        category=category,
        tags=_merge(file_tags, tags),
        when=when,
        instead_of=instead_of,
        sets=_merge(file_sets, sets),
        keywords=keywords,
        source=doc.path,
        line=entry.pos[0],
        key=key_clause,
        priority=priority,
        promise=promise,
        positions=positions,
    )


def _squash(text: str) -> str:
    """`text` compared loosely: no case, and runs of spacing as one space."""
    return " ".join(text.casefold().split())


def _priority(check: Checker, entry: YamlMap) -> int | None:
    if "priority" not in entry:
        return None
    value = entry["priority"]
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_PRIORITY:
        return value
    what = repr(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
    check.error(
        entry.where("priority"),
        f"'priority' must be a whole number from 1 to {MAX_PRIORITY}, "
        f"not {what or describe(value)}",
        "1 is taught first; phrases without a priority come after those with one",
    )
    return None


def _promise(check: Checker, entry: YamlMap) -> Promise | None:
    """`promise: call back with the RMA` or `promise: {what: ..., due: 2h}`; errors if neither."""
    if "promise" not in entry:
        return None
    value = entry["promise"]
    if isinstance(value, str):
        what = check.text(entry, "promise")
        return None if what is None else Promise(what)
    if not isinstance(value, YamlMap):
        check.error(
            entry.where("promise"),
            f"'promise' must be text or a mapping, not {describe(value)}",
            'write promise: {what: "call back with the RMA number", due: "2h"}',
        )
        return None
    check.unknown_keys(value, PROMISE_KEYS, "'promise'")
    if not check.require(value, ("what",), "'promise'"):
        return None
    what = check.text(value, "what")
    due: str | None = ""
    if "due" in value:
        raw = value["due"]
        if not isinstance(raw, str):
            check.error(
                value.where("due"),
                f"'due' must be a time from now such as 2h, not {describe(raw)}",
                'write due: "30m", "2h" or "1d" (minutes, hours or days)',
            )
            due = None
        elif parse_due(raw) is None:
            check.error(
                value.where("due"),
                f"'due' must be a time from now such as 30m, 2h or 1d, not {raw!r}",
                "minutes (m), hours (h) or days (d), e.g. due: 2h or due: 1h 30m",
            )
            due = None
        else:
            due = raw.strip()
    if what is None or due is None:
        return None
    return Promise(what, due)


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    if not first:
        return second
    return tuple(dict.fromkeys(first + second))


def _check_placeholders(
    check: Checker, entry: YamlMap, key: str, text: str, doc: YamlDocument, lines: list[str]
) -> None:
    if "{" not in text and "}" not in text:
        return
    for name in placeholders(text):
        if name in KNOWN_PLACEHOLDERS:
            continue
        close = difflib.get_close_matches(name.lower(), list(KNOWN_PLACEHOLDERS), n=1)
        hint = (
            f"did you mean {{{close[0]}}}?"
            if close
            else f"known placeholders: {', '.join(f'{{{n}}}' for n in KNOWN_PLACEHOLDERS)}"
        )
        pos = _locate(doc, lines, entry.where(key), "{" + name + "}")
        check.warning(pos, f"unknown placeholder {{{name}}} stays as it is", hint)
    leftover = PLACEHOLDER_RE.sub("", text)
    for brace in "{}":
        if brace in leftover:
            pos = _locate(doc, lines, entry.where(key), brace, skip=PLACEHOLDER_RE)
            check.warning(
                pos,
                f"a lone '{brace}' is shown as it is",
                f"write {brace * 2} for a literal brace, or {{customer}} for a placeholder",
            )
            break


def _locate(
    doc: YamlDocument,
    lines: list[str],
    start: tuple[int, int],
    needle: str,
    skip: re.Pattern[str] | None = None,
) -> tuple[int, int]:
    """Where `needle` first appears at or after `start` in the file; `start` if not found.

    With `skip`, text matching it (placeholders, `{{`) is passed over, so a lone brace is
    found where it stands rather than at the first placeholder's brace.
    """
    if not lines:
        lines.extend(doc.text.splitlines())
    line, column = start
    for number in range(line, min(len(lines), line + 200) + 1):
        text = lines[number - 1]
        if skip is not None:
            text = skip.sub(lambda match: " " * len(match.group()), text)
        found = text.find(needle, column - 1 if number == line else 0)
        if found >= 0:
            return (number, found + 1)
    return start
