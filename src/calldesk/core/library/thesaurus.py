"""The thesaurus of support situations: what agents type, and the phrases it leads to.

calldesk bundles one (data/thesaurus.yaml); a team adds its own as `synonyms.yaml` in any
phrase folder, in the same format. A group either leads its words to phrases (by category,
tag or id: one way only, "leave" finds cancelling, "cancel" does not find "leave"), or, with
no `leads_to`, makes its words stand for each other ("hub" finds "router" and back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from calldesk.core.library.problems import Problem
from calldesk.core.library.words import fold, words
from calldesk.core.library.yamlcheck import Checker
from calldesk.core.library.yamlsafe import YamlDocument, YamlList, YamlMap

SYNONYM_FILE_NAMES = ("synonyms.yaml", "synonyms.yml")
FILE_KEYS = ("groups", "spellings")
GROUP_KEYS = ("name", "leads_to", "words")
LEADS_TO_KEYS = ("categories", "tags", "phrases")
BUNDLED_NAME = "data/thesaurus.yaml"


@dataclass(frozen=True, slots=True)
class SynonymGroup:
    """Words agents type for one situation, and where they lead.

    `categories` and `tags` are folded (case, accents and spacing ignored); with none of
    `categories`, `tags` and `phrases`, the group's words stand for each other.
    """

    name: str
    entries: tuple[tuple[str, ...], ...]  # each entry as its folded words ("money back")
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    source: Path = Path()
    line: int = 0
    column: int = 0

    @property
    def leads(self) -> bool:
        """Whether it leads to named phrases, categories or tags (else: words for each other)."""
        return bool(self.categories or self.tags or self.phrases)


def normal(text: str) -> str:
    """A category or tag as matched: folded, spacing collapsed."""
    return " ".join(fold(text).split())


def thesaurus_from_document(doc: YamlDocument) -> tuple[tuple[SynonymGroup, ...], list[Problem]]:
    """Validate a parsed synonyms file: its groups (none if it has errors) and every problem."""
    check = Checker(doc.path, doc.problems)
    root = doc.value
    if root is None:
        return (), check.problems
    if not isinstance(root, YamlMap):
        check.error(
            getattr(root, "pos", (1, 1)),
            "a synonyms file must be a mapping with 'groups:'",
            "start with 'groups:', then '- name: ...' (see docs/phrase-format.md)",
        )
        return (), check.problems
    check.unknown_keys(root, FILE_KEYS, "the synonyms file")
    groups: list[SynonymGroup] = []
    seen: dict[tuple[str, ...], str] = {}
    entries = root.get("groups", YamlList(root.pos))
    if not isinstance(entries, YamlList):
        check.error(
            root.where("groups"), "'groups' must be a list", "start each with '- name: ...'"
        )
        entries = YamlList(root.pos)
    for entry, pos in zip(entries, entries.item_pos, strict=True):
        if not isinstance(entry, YamlMap):
            check.error(pos, "each group must be a mapping", "start it with '- name: ...'")
            continue
        group = _group(check, entry, doc.path, seen)
        if group is not None:
            groups.append(group)
    spellings = root.get("spellings", YamlList(root.pos))
    if not isinstance(spellings, YamlList):
        check.error(
            root.where("spellings"), "'spellings' must be a list", "write - [colour, color]"
        )
        spellings = YamlList(root.pos)
    for entry, pos in zip(spellings, spellings.item_pos, strict=True):
        pair = entry if isinstance(entry, YamlList) else None
        texts = [words(item) for item in pair if isinstance(item, str)] if pair else []
        if pair is None or len(texts) != len(pair) or len(texts) < 2 or not all(texts):
            check.error(
                pos,
                "each spelling must be a list of two or more ways to write a word",
                "write - [colour, color]",
            )
            continue
        groups.append(
            SynonymGroup(
                name=" / ".join(" ".join(text) for text in texts),
                entries=tuple(dict.fromkeys(tuple(text) for text in texts)),
                source=doc.path,
                line=pos[0],
                column=pos[1],
            )
        )
    if "groups" not in root and "spellings" not in root:
        check.warning(root.pos, "the synonyms file has no groups yet", "add 'groups:'")
    return (() if check.error_count else tuple(groups)), check.problems


def _group(
    check: Checker, entry: YamlMap, path: Path, seen: dict[tuple[str, ...], str]
) -> SynonymGroup | None:
    before = check.error_count
    check.unknown_keys(entry, GROUP_KEYS, "a synonym group")
    check.require(entry, ("name", "words"), "this group")
    name = check.text(entry, "name")
    texts = check.text_list(entry, "words")
    leads: dict[str, tuple[str, ...]] = {key: () for key in LEADS_TO_KEYS}
    if "leads_to" in entry:
        target = entry["leads_to"]
        if isinstance(target, YamlMap):
            check.unknown_keys(target, LEADS_TO_KEYS, "'leads_to'")
            for key in LEADS_TO_KEYS:
                leads[key] = check.text_list(target, key) or ()
            if not any(leads.values()) and not check.error_count > before:
                check.error(
                    entry.where("leads_to"),
                    "'leads_to' names nothing",
                    "list categories, tags or phrases (ids), or remove 'leads_to'",
                )
        else:
            check.error(
                entry.where("leads_to"),
                "'leads_to' must be a mapping",
                "write 'leads_to:' then 'phrases: [id, ...]', 'tags: [...]' or 'categories: [...]'",
            )
    found: list[tuple[str, ...]] = []
    words_list = entry.get("words")
    raw = list(zip(words_list, words_list.item_pos, strict=True)) if texts else []
    for text, pos in raw:
        folded = tuple(words(text))
        if not folded:
            check.error(pos, f"{text!r} has no letters or digits to search for", "remove it")
            continue
        other = seen.get(folded)
        if other is not None and other != name:
            check.warning(
                pos,
                f"'{text}' is also in the group '{other}'",
                "keep a word in one group, so it leads one way",
            )
        seen.setdefault(folded, name or "")
        found.append(folded)
    if texts is not None and not texts and "words" in entry:
        check.error(entry.where("words"), "'words' is empty", "list what agents type")
    if check.error_count > before or name is None or not found:
        return None
    if not leads["phrases"] and not leads["tags"] and not leads["categories"] and len(found) < 2:
        check.warning(
            entry.pos,
            f"the group '{name}' has one word and no 'leads_to'",
            "add the words it stands for, or 'leads_to:' the phrases it finds",
        )
    return SynonymGroup(
        name=name,
        entries=tuple(dict.fromkeys(found)),
        categories=tuple(normal(c) for c in leads["categories"]),
        tags=tuple(normal(t) for t in leads["tags"]),
        phrases=leads["phrases"],
        source=path,
        line=entry.pos[0],
        column=entry.pos[1],
    )


def unknown_targets(
    groups: Sequence[SynonymGroup],
    phrase_ids: set[str],
    categories: set[str],
    tags: set[str],
) -> list[Problem]:
    """Warnings for team groups that lead to phrases, categories or tags nobody has."""
    from calldesk.core.library.problems import Severity

    problems: list[Problem] = []
    for group in groups:
        missing = [f"phrase '{p}'" for p in group.phrases if p not in phrase_ids]
        missing += [f"category '{c}'" for c in group.categories if c not in categories]
        missing += [f"tag '{t}'" for t in group.tags if t not in tags]
        if missing:
            problems.append(
                Problem(
                    group.source,
                    group.line,
                    group.column,
                    f"the group '{group.name}' leads to no {', '.join(missing)}",
                    "check the spelling; `calldesk phrases list` shows ids and categories",
                    Severity.WARNING,
                )
            )
    return problems


@cache
def bundled_thesaurus() -> tuple[SynonymGroup, ...]:
    """The thesaurus calldesk ships, read once on the first search index built.

    Read with PyYAML's safe loader (C speed where available): it is our own file, checked
    in full by the tests with the same rules as a team's synonyms.yaml.
    """
    import yaml

    resource = resources.files("calldesk.core.library").joinpath(BUNDLED_NAME)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(resource.read_text(encoding="utf-8"), Loader=loader)
    groups = [
        SynonymGroup(
            name=str(group["name"]),
            entries=tuple(dict.fromkeys(tuple(words(str(word))) for word in group["words"])),
            categories=tuple(normal(c) for c in group.get("leads_to", {}).get("categories", ())),
            tags=tuple(normal(t) for t in group.get("leads_to", {}).get("tags", ())),
            phrases=tuple(group.get("leads_to", {}).get("phrases", ())),
            source=Path(BUNDLED_NAME),
        )
        for group in data.get("groups", ())
    ]
    groups += [
        SynonymGroup(
            name=" / ".join(str(word) for word in pair),
            entries=tuple(dict.fromkeys(tuple(words(str(word))) for word in pair)),
            source=Path(BUNDLED_NAME),
        )
        for pair in data.get("spellings", ())
    ]
    return tuple(groups)


def bundled_text() -> str:
    """The bundled thesaurus file's text (for `phrases check` of it, and the tests)."""
    return resources.files("calldesk.core.library").joinpath(BUNDLED_NAME).read_text("utf-8")
