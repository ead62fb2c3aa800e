"""The phrase library: the Phrase model, placeholders, and loading and validating phrase folders."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from calldesk import paths
from calldesk.core.aftercall.checklist import (
    CHECKLIST_FILE_NAMES,
    DEFAULT_CHECKLIST,
    Checklist,
    checklist_from_document,
)
from calldesk.core.library.problems import Problem, Severity
from calldesk.core.library.thesaurus import (
    SYNONYM_FILE_NAMES,
    SynonymGroup,
    normal,
    thesaurus_from_document,
    unknown_targets,
)
from calldesk.core.library.words import fold
from calldesk.core.library.yamlcheck import Checker, describe
from calldesk.core.library.yamlsafe import YamlDocument, YamlList, YamlMap, read_yaml

PHRASE_SUFFIXES = (".yaml", ".yml")
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

KNOWN_PLACEHOLDERS: Mapping[str, str] = {
    "customer": "the caller's name",
    "number": "the caller's phone number",
    "ticket": "the ticket reference for this call",
    "agent": "your own name, from the config (agent_name)",
}
"""Placeholder name -> what fills it, one line each."""

_PLACEHOLDER_RE = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


_DUE_PART = r"(\d{1,4})\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?)"
_DUE_RE = re.compile(rf"\s*(?:{_DUE_PART}\s*)+", re.IGNORECASE)
DUE_PATTERN = (
    r"^\s*([0-9]{1,4}\s*([mM]|[mM][iI][nN][sS]?|[mM][iI][nN][uU][tT][eE][sS]?|[hH]|[hH][rR][sS]?"
    r"|[hH][oO][uU][rR][sS]?|[dD]|[dD][aA][yY][sS]?)\s*)+$"
)
"""`due` as a JSON Schema pattern (which has no ignore-case flag)."""
_DUE_PART_RE = re.compile(_DUE_PART, re.IGNORECASE)
_DUE_UNITS = {"m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Promise:
    """What a phrase commits the agent to (a callback, an email), so calldesk can remind them."""

    what: str
    """The promise in a few words: "call back with the RMA number"."""
    due: str = ""
    """The suggested time to keep it, as the trainer wrote it ("2h", "1d"); empty for none."""

    @property
    def due_seconds(self) -> int | None:
        """`due` in seconds (None when there is none)."""
        return parse_due(self.due) if self.due else None


def parse_due(text: str) -> int | None:
    """`30m`, `2h`, `1d`, `1h 30m` (or `2 hours`, `1 day`) in seconds; None if not one of those."""
    if not _DUE_RE.fullmatch(text):
        return None
    total = sum(
        int(number) * _DUE_UNITS[unit[0].lower()] for number, unit in _DUE_PART_RE.findall(text)
    )
    return total or None


@dataclass(frozen=True, slots=True)
class Phrase:
    """One thing worth saying on a call, as the trainer wrote it (placeholders unfilled)."""

    id: str
    title: str
    say: str
    category: str
    tags: tuple[str, ...] = ()
    when: str = ""
    instead_of: str = ""
    sets: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # what agents type for it, searched like the title
    source: Path = Path()
    line: int = 0
    key: str = ""
    """The clause that carries the phrase, quoted from `say` (empty: practice picks one)."""
    priority: int | None = None
    """The trainer's teaching order: new practice cards with a lower number come first."""
    promise: Promise | None = None
    """What saying this phrase commits the agent to; None when it promises nothing."""
    positions: tuple[tuple[str, int, int], ...] = field(default=(), compare=False, repr=False)
    """(field, line, column) of each field's value in its file, for the style lint."""

    def position(self, name: str) -> tuple[int, int]:
        """Where the value of field `name` starts in the file; the phrase's own line if unknown."""
        for key, line, column in self.positions:
            if key == name:
                return (line, column)
        return (self.line, 1)


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, in order of first use (`{{` and `}}` are not ones)."""
    names: list[str] = []
    for match in _PLACEHOLDER_RE.finditer(text):
        name = match.group(1)
        if name and name not in names:
            names.append(name)
    return names


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill known placeholders that have a value; the rest stay visible as `{name}`."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)[0]  # `{{` -> `{`, `}}` -> `}`
        value = values.get(name, "") if name in KNOWN_PLACEHOLDERS else ""
        return value if value else match.group(0)

    return _PLACEHOLDER_RE.sub(fill, text)


def sort_key(phrase: Phrase) -> tuple[str, str, str]:
    """The library's default order: by category, then title."""
    return (fold(phrase.category), fold(phrase.title), phrase.id)


@dataclass(frozen=True, slots=True)
class FileResult:
    """What one file gave: its phrases (or checklist), its problems, and its stat for caching.

    `kept` means the file is broken now and `phrases`/`checklist` are its last good version.
    """

    path: Path
    phrases: tuple[Phrase, ...] = ()
    problems: tuple[Problem, ...] = ()
    stamp: tuple[int, int] | None = None
    checklist: Checklist | None = None
    kept: bool = False
    synonyms: tuple[SynonymGroup, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(problem.is_error for problem in self.problems)

    @property
    def is_checklist(self) -> bool:
        return self.path.name in CHECKLIST_FILE_NAMES

    @property
    def is_synonyms(self) -> bool:
        return self.path.name in SYNONYM_FILE_NAMES


@dataclass(frozen=True)
class PhraseLibrary:
    """Every phrase from every folder after overrides, in default order, and what went wrong."""

    phrases: tuple[Phrase, ...] = ()
    problems: tuple[Problem, ...] = ()
    checklist: Checklist = DEFAULT_CHECKLIST
    files: Mapping[Path, FileResult] = field(default_factory=dict)
    folders: tuple[Path, ...] = ()
    synonyms: tuple[SynonymGroup, ...] = ()  # the teams' synonyms.yaml groups, in folder order
    _by_id: dict[str, Phrase] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {phrase.id: phrase for phrase in self.phrases})

    def get(self, phrase_id: str) -> Phrase | None:
        return self._by_id.get(phrase_id)

    def __len__(self) -> int:
        return len(self.phrases)

    def __iter__(self) -> Iterator[Phrase]:
        return iter(self.phrases)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]


def load_phrase_file(path: Path) -> FileResult:
    """Read and validate one phrase file (or checklist file, by its name); never raises."""
    stamp = _stamp(path)
    doc = read_yaml(path)
    if path.name in CHECKLIST_FILE_NAMES:
        checklist, problems = checklist_from_document(doc)
        return FileResult(path, (), tuple(problems), stamp, checklist)
    if path.name in SYNONYM_FILE_NAMES:
        groups, problems = thesaurus_from_document(doc)
        return FileResult(path, (), tuple(problems), stamp, synonyms=groups)
    phrases, problems = phrases_from_document(doc)
    return FileResult(path, tuple(phrases), tuple(problems), stamp)


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
    leftover = _PLACEHOLDER_RE.sub("", text)
    for brace in "{}":
        if brace in leftover:
            pos = _locate(doc, lines, entry.where(key), brace, skip=_PLACEHOLDER_RE)
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


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _folder_files(folder: Path) -> list[Path]:
    """Phrase and checklist files under `folder`, sorted, skipping hidden files and folders."""
    found: list[Path] = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        found.extend(
            Path(root, name)
            for name in names
            if name.endswith(PHRASE_SUFFIXES) and not name.startswith(".")
        )
    return sorted(found, key=lambda path: path.relative_to(folder).parts)


def load_library(
    folders: Sequence[Path],
    previous: PhraseLibrary | None = None,
    *,
    optional: Collection[Path] | None = None,
) -> PhraseLibrary:
    """Load every phrase folder in order; a later folder's phrase replaces an earlier one by id.

    A folder entry may also be a single file. Folders in `optional` may be missing without a
    warning (the user's own folder). With `previous`, unchanged files (same mtime and size) are
    reused, and a file that loaded before but is broken now keeps its last good phrases.
    `optional` defaults to the platform's user phrase folder.
    """
    if optional is None:
        optional = (paths.user_phrase_dir(),)
    old_files = previous.files if previous is not None else {}
    problems: list[Problem] = []
    files: dict[Path, FileResult] = {}
    by_id: dict[str, Phrase] = {}
    checklist_paths: list[Path] = []
    synonyms: list[SynonymGroup] = []
    seen_folders: set[Path] = set()
    for folder in folders:
        key = folder.resolve() if folder.exists() else folder
        if key in seen_folders:
            continue
        seen_folders.add(key)
        if folder.is_file() or (folder.exists() and not folder.is_dir()):
            found = [folder]  # a FIFO or device named directly: read_yaml refuses it, unopened
        elif folder.is_dir():
            found = _folder_files(folder)
        else:
            if folder not in optional:
                problems.append(
                    Problem(
                        folder,
                        0,
                        0,
                        "phrase folder does not exist",
                        "create it, or remove it from the configured phrase folders",
                        Severity.WARNING,
                    )
                )
            continue
        in_folder: dict[str, Phrase] = {}
        for path in found:
            nested_checklist = path.name in CHECKLIST_FILE_NAMES and path.parent != folder
            if nested_checklist and folder.is_dir():
                problems.append(
                    Problem(
                        path,
                        0,
                        0,
                        "a checklist is only read at the top of a phrase folder",
                        f"move it to {folder}",
                        Severity.WARNING,
                    )
                )
                continue
            result = _load_cached(path, old_files.get(path))
            files[path] = result
            if result.is_checklist:
                checklist_paths.append(path)
                continue
            if result.is_synonyms:
                synonyms.extend(result.synonyms)
                continue
            for phrase in result.phrases:
                first = in_folder.get(phrase.id)
                if first is None:
                    in_folder[phrase.id] = phrase
                    continue
                problems.extend(_duplicate_problems(first, phrase))
        by_id.update(in_folder)
    checklist = _choose_checklist(checklist_paths, files, previous)
    for result in files.values():
        problems.extend(result.problems)
    phrases = by_id.values()
    problems.extend(
        unknown_targets(
            synonyms,
            set(by_id),
            {normal(phrase.category) for phrase in phrases},
            {normal(tag) for phrase in phrases for tag in phrase.tags},
        )
    )
    problems.sort(key=lambda p: (str(p.path), p.line, p.column, p.message))
    return PhraseLibrary(
        phrases=tuple(sorted(by_id.values(), key=sort_key)),
        problems=tuple(problems),
        checklist=checklist,
        files=files,
        folders=tuple(folders),
        synonyms=tuple(synonyms),
    )


def _load_cached(path: Path, old: FileResult | None) -> FileResult:
    if old is not None and old.stamp is not None and old.stamp == _stamp(path):
        return old
    result = load_phrase_file(path)
    if result.ok or old is None:
        return result
    if old.phrases or old.checklist is not None or old.synonyms:
        # Mid-edit a trainer's file is often broken; the agent keeps the last good version.
        kept = Problem(
            path,
            0,
            0,
            "this file has errors; its last good version stays in use until they are fixed",
            "",
            Severity.WARNING,
        )
        return replace(
            result,
            phrases=old.phrases,
            checklist=old.checklist,
            synonyms=old.synonyms,
            problems=(*result.problems, kept),
            kept=True,
        )
    return result


def _duplicate_problems(first: Phrase, second: Phrase) -> list[Problem]:
    def where(phrase: Phrase) -> str:
        return f"{phrase.source.name}:{phrase.line}"

    return [
        Problem(
            second.source,
            second.line,
            1,
            f"duplicate id '{second.id}' (also at {where(first)})",
            "ids must be unique within a folder; rename one",
        ),
        Problem(
            first.source,
            first.line,
            1,
            f"duplicate id '{first.id}' (also at {where(second)})",
            "ids must be unique within a folder; rename one",
        ),
    ]


def _choose_checklist(
    paths: list[Path], files: Mapping[Path, FileResult], previous: PhraseLibrary | None
) -> Checklist:
    """The last folder's checklist that works; a broken one falls back to the one before."""
    for path in reversed(paths):
        result = files[path]
        if result.checklist is not None:
            return result.checklist
    if previous is not None and previous.checklist.source in paths:
        return previous.checklist
    return DEFAULT_CHECKLIST


def load_configured_library(
    folders: Sequence[Path], user_folder: Path, previous: PhraseLibrary | None = None
) -> PhraseLibrary:
    """The library from the configured `folders`; the user's own folder may not exist yet."""
    return load_library(folders, previous, optional=(user_folder,))
