"""Reading phrase folders into a PhraseLibrary: file by file, overrides by id, last good files."""

from __future__ import annotations

import os
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
from calldesk.core.library.phrasefile import phrases_from_document
from calldesk.core.library.phrases import Phrase, sort_key
from calldesk.core.library.problems import Problem, Severity
from calldesk.core.library.thesaurus import (
    SYNONYM_FILE_NAMES,
    SynonymGroup,
    normal,
    thesaurus_from_document,
    unknown_targets,
)
from calldesk.core.library.yamlfile import read_yaml

PHRASE_SUFFIXES = (".yaml", ".yml")


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
