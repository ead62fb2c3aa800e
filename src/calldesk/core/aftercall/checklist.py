"""The post-call checklist: its items, the built-in defaults, and reading checklist.yaml."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from calldesk.core.library.problems import Problem
from calldesk.core.library.yamlcheck import Checker
from calldesk.core.library.yamlfile import read_yaml
from calldesk.core.library.yamlsafe import YamlDocument, YamlList, YamlMap

CHECKLIST_FILE_NAMES = ("checklist.yaml", "checklist.yml")
"""A file with one of these names at the top of a phrase folder is the checklist, not phrases."""

FILE_KEYS = ("checklist",)
ITEM_KEYS = ("id", "label", "kind", "required", "help", "options", "applies_when", "suggest")
CONDITION_KEYS = ("outcome",)
SUGGEST_KEYS = ("phrase_tag", "note_tag", "answer", "promises")
UNDECIDED = "undecided"
"""The outcome a call has before the agent says how it went (Escape at the question)."""
OUTCOMES = ("fine", "bad", "abusive", UNDECIDED)
"""What `applies_when: {outcome: [...]}` may name: the outcomes of `calldesk.core.calls.model`."""
REQUIRED_ITEM_KEYS = ("id", "label")
MIN_CHOICE_OPTIONS = 2


class ItemKind(StrEnum):
    """How an item is answered."""

    CHECK = "check"
    """Ticked or not."""
    TEXT = "text"
    """A line or two of text."""
    CHOICE = "choice"
    """One of the item's options."""
    FIX = "fix"
    """Three texts: what the permanent fix is, where it is filed, who owns it."""


@dataclass(frozen=True, slots=True)
class SuggestRule:
    """Where an item's suggested answer comes from (`suggest:` in checklist.yaml).

    The trainer says it, not the code: which phrases count as taking the blame is the tag
    on the phrases (`phrase_tag: blame`), so a new blame phrase needs no change here.
    """

    note_tag: str = ""
    """A note with `#<note_tag>` in it: its words are the answer (a fix's "what")."""
    phrase_tag: str = ""
    """A phrase with this tag inserted on the call suggests `answer` (a check: ticked)."""
    answer: str = ""
    """The answer a tagged phrase suggests: one of a choice's options, or a text."""
    promises: bool = False
    """The promises made on the call are the answer ("call back 15:30")."""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One question the agent answers after a call."""

    id: str
    label: str
    kind: ItemKind = ItemKind.CHECK
    required: bool = False
    help: str = ""
    options: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    """The call outcomes this item is asked after (`applies_when: {outcome: [...]}`); empty:
    after every call."""
    suggest: SuggestRule | None = None
    """Where a suggested answer comes from; None: the agent answers from memory."""

    def applies_to(self, outcome: str | None) -> bool:
        """Whether the item is asked after a call that went `outcome` (None: not said yet)."""
        return not self.outcomes or (outcome or UNDECIDED) in self.outcomes


@dataclass(frozen=True, slots=True)
class Checklist:
    """The items in order, and the file they came from (None for the built-in defaults)."""

    items: tuple[ChecklistItem, ...]
    source: Path | None = None

    def get(self, item_id: str) -> ChecklistItem | None:
        return next((item for item in self.items if item.id == item_id), None)

    def for_outcome(self, outcome: str | None) -> Checklist:
        """The items asked after a call that went `outcome`: an abusive call gets the
        incident's questions, not the blame."""
        return Checklist(
            items=tuple(item for item in self.items if item.applies_to(outcome)),
            source=self.source,
        )


ANSWERED_CALL = ("fine", "bad", UNDECIDED)
ABUSIVE_CALL = ("abusive",)

DEFAULT_CHECKLIST = Checklist(
    items=(
        ChecklistItem(
            id="blame",
            label="Was any of it on us?",
            kind=ItemKind.CHOICE,
            required=True,
            help="If it was ours, say so: \"that one's on us\" costs nothing. If it wasn't, "
            "don't take blame that isn't there.",
            options=("It was on us, and I said so.", "Nothing on our side.", "Not yet."),
            outcomes=ANSWERED_CALL,
            suggest=SuggestRule(phrase_tag="blame", answer="It was on us, and I said so."),
        ),
        ChecklistItem(
            id="quick-fix",
            label="The quick fix I gave",
            kind=ItemKind.TEXT,
            required=True,
            help="What got them going today, written so the next agent could repeat it.",
            outcomes=ANSWERED_CALL,
            suggest=SuggestRule(note_tag="quick-fix"),
        ),
        ChecklistItem(
            id="permanent-fix",
            label="The permanent fix: what would stop this ever happening again",
            kind=ItemKind.FIX,
            required=True,
            help="What it is, where it is filed, who owns it. A fix nobody owns rings again "
            "next week.",
            outcomes=ANSWERED_CALL,
            suggest=SuggestRule(note_tag="fix", phrase_tag="permanent-fix"),
        ),
        ChecklistItem(
            id="basics-kindly",
            label='Any "check the basics" question was worded so the customer wasn\'t insulted.',
            kind=ItemKind.CHECK,
            help='"Humour me: could you check the cable at the back?" gets a yes; '
            '"Is it plugged in?" gets a hang-up.',
            outcomes=ANSWERED_CALL,
        ),
        ChecklistItem(
            id="pointed-onward",
            label="If it wasn't ours to fix, I pointed them somewhere useful.",
            kind=ItemKind.CHECK,
            help='"Not our problem" is not an answer. A name, a number or a link is.',
            outcomes=ANSWERED_CALL,
        ),
        ChecklistItem(
            id="promises-made",
            label="What I promised, and by when",
            kind=ItemKind.TEXT,
            help="Every callback you promised is in the promises list; say here if there was "
            "anything else.",
            outcomes=ANSWERED_CALL,
            suggest=SuggestRule(promises=True),
        ),
        ChecklistItem(
            id="warning-given",
            label="Did you give the warning before you ended it?",
            kind=ItemKind.CHOICE,
            required=True,
            help="One calm warning, then you end the call. A threat needs no warning.",
            options=(
                "Yes, once, then I ended it.",
                "No: it was a threat.",
                "No, and I should have.",
            ),
            outcomes=ABUSIVE_CALL,
        ),
        ChecklistItem(
            id="what-was-said",
            label="What they said, word for word",
            kind=ItemKind.TEXT,
            required=True,
            help="Write it down now, while you still remember the words. Exact words, "
            "not how it felt.",
            outcomes=ABUSIVE_CALL,
        ),
        ChecklistItem(
            id="who-was-told",
            label="Who you told",
            kind=ItemKind.TEXT,
            required=True,
            help="Your team lead, today. A threat goes to security as well. You don't carry "
            "this one alone.",
            outcomes=ABUSIVE_CALL,
        ),
    ),
    source=None,
)


def load_checklist_file(path: Path) -> tuple[Checklist | None, list[Problem]]:
    """Read one checklist.yaml: the checklist if it has no errors, and every problem found."""
    return checklist_from_document(read_yaml(path))


def checklist_from_document(doc: YamlDocument) -> tuple[Checklist | None, list[Problem]]:
    """Validate a parsed checklist file; None unless it is free of errors."""
    check = Checker(doc.path, doc.problems)
    root = doc.value
    if root is None:
        return None, check.problems
    if not isinstance(root, YamlMap):
        check.error(
            getattr(root, "pos", (1, 1)),
            "a checklist file must start with 'checklist:'",
            "put 'checklist:' on the first line and indent the list under it",
        )
        return None, check.problems
    check.unknown_keys(root, FILE_KEYS, "the checklist file")
    if not check.require(root, FILE_KEYS, "the checklist file"):
        return None, check.problems
    entries = root["checklist"]
    if not isinstance(entries, YamlList):
        check.error(
            root.where("checklist"),
            "'checklist' must be a list of items",
            "start each item with '- id: ...', indented under 'checklist:'",
        )
        return None, check.problems
    if not entries:
        check.error(
            root.where("checklist"),
            "the checklist has no items",
            "add items, or delete the file to use the built-in checklist",
        )
    items: list[ChecklistItem] = []
    first_seen: dict[str, YamlMap] = {}
    for entry, pos in zip(entries, entries.item_pos, strict=True):
        if not isinstance(entry, YamlMap):
            check.error(pos, "each checklist item must be a mapping", "start it with '- id: ...'")
            continue
        item = _item(check, entry)
        if item is None:
            continue
        if item.id in first_seen:
            other = first_seen[item.id].pos
            check.error(entry.where("id"), f"duplicate id '{item.id}' (first on line {other[0]})")
            check.error(other, f"duplicate id '{item.id}' (again on line {entry.pos[0]})")
            continue
        first_seen[item.id] = entry
        items.append(item)
    if check.error_count:
        return None, check.problems
    return Checklist(items=tuple(items), source=doc.path), check.problems


def _item(check: Checker, entry: YamlMap) -> ChecklistItem | None:
    before = check.error_count
    check.unknown_keys(entry, ITEM_KEYS, "a checklist item")
    check.require(entry, REQUIRED_ITEM_KEYS, "this checklist item")
    item_id = check.identifier(entry) if "id" in entry else None
    label = check.text(entry, "label")
    help_text = check.text(entry, "help") or ""
    required = check.boolean(entry, "required", default=False)
    kind = ItemKind.CHECK
    if "kind" in entry:
        raw = entry["kind"]
        try:
            kind = ItemKind(raw)
        except ValueError:
            names = ", ".join(kind.value for kind in ItemKind)
            check.error(entry.where("kind"), f"unknown kind {raw!r}", f"use one of: {names}")
    options: tuple[str, ...] | None = ()
    if "options" in entry:
        options = check.text_list(entry, "options")
        raw = entry["options"]
        if options is not None and isinstance(raw, YamlList) and len(options) < len(raw):
            # Two identical answers would be indistinguishable in the form.
            check.error(entry.where("options"), "the same option appears twice", "remove one")
        if kind is not ItemKind.CHOICE:
            check.error(
                entry.where("options"),
                "'options' only apply to kind: choice",
                "remove them, or set kind: choice",
            )
        elif options is not None and len(options) < MIN_CHOICE_OPTIONS:
            check.error(
                entry.where("options"),
                f"a choice needs at least {MIN_CHOICE_OPTIONS} different options",
                "add options",
            )
    elif kind is ItemKind.CHOICE:
        check.error(entry.pos, "a choice item needs 'options'", "add options: [one, two]")
    outcomes = _applies_when(check, entry)
    suggest = _suggest(check, entry, kind, options or ())
    if check.error_count > before or item_id is None or label is None or required is None:
        return None
    return ChecklistItem(
        id=item_id,
        label=label,
        kind=kind,
        required=required,
        help=help_text,
        options=options or (),
        outcomes=outcomes,
        suggest=suggest,
    )


def _suggest(
    check: Checker, entry: YamlMap, kind: ItemKind, options: tuple[str, ...]
) -> SuggestRule | None:
    """`suggest: {phrase_tag: blame, answer: ...}`: where the item's suggested answer comes from."""
    if "suggest" not in entry:
        return None
    rule = entry["suggest"]
    if not isinstance(rule, YamlMap):
        check.error(
            entry.where("suggest"),
            "'suggest' must be a mapping",
            "write suggest: {phrase_tag: blame, answer: ...} (see docs/after-the-call.md)",
        )
        return None
    before = check.error_count
    check.unknown_keys(rule, SUGGEST_KEYS, "suggest")
    note_tag = check.text(rule, "note_tag") or ""
    phrase_tag = check.text(rule, "phrase_tag") or ""
    answer = check.text(rule, "answer") or ""
    promises = check.boolean(rule, "promises", default=False)
    note_tag = note_tag.strip().lstrip("#").casefold()
    if check.error_count > before:
        return None
    if not (note_tag or phrase_tag or promises):
        check.error(
            entry.where("suggest"),
            "'suggest' names no source",
            "give note_tag, phrase_tag or promises: true",
        )
        return None
    if kind is ItemKind.CHOICE and (note_tag or promises):
        check.error(
            entry.where("suggest"),
            "a choice item can only be suggested from a phrase_tag and its answer",
            "remove note_tag and promises, or make the item kind: text",
        )
        return None
    if kind is ItemKind.CHOICE and phrase_tag and answer not in options:
        check.error(
            rule.where("answer") if "answer" in rule else entry.where("suggest"),
            "the suggested answer must be one of the item's options",
            "copy one of the options into 'answer'",
        )
        return None
    return SuggestRule(
        note_tag=note_tag, phrase_tag=phrase_tag.strip(), answer=answer, promises=bool(promises)
    )


def _applies_when(check: Checker, entry: YamlMap) -> tuple[str, ...]:
    """`applies_when: {outcome: [abusive]}`: the outcomes the item is asked after."""
    if "applies_when" not in entry:
        return ()
    condition = entry["applies_when"]
    names = ", ".join(OUTCOMES)
    if not isinstance(condition, YamlMap):
        check.error(
            entry.where("applies_when"),
            "'applies_when' must be a mapping",
            f"write applies_when: {{outcome: [abusive]}} (outcomes: {names})",
        )
        return ()
    check.unknown_keys(condition, CONDITION_KEYS, "applies_when")
    if "outcome" not in condition:
        check.error(
            entry.where("applies_when"),
            "'applies_when' needs 'outcome'",
            f"write applies_when: {{outcome: [abusive]}} (outcomes: {names})",
        )
        return ()
    outcomes = check.text_list(condition, "outcome")
    if outcomes is None:
        return ()
    unknown = [outcome for outcome in outcomes if outcome not in OUTCOMES]
    if unknown:
        check.error(
            condition.where("outcome"),
            f"unknown outcome {unknown[0]!r}",
            f"use some of: {names}",
        )
    elif not outcomes:
        check.error(condition.where("outcome"), "no outcome listed", f"use some of: {names}")
    return tuple(outcomes)


def missing_required(
    checklist: Checklist, answered_ids: Collection[str], skipped_ids: Collection[str]
) -> list[ChecklistItem]:
    """Required items the agent has neither answered nor deliberately skipped, in order."""
    return [
        item
        for item in checklist.items
        if item.required and item.id not in answered_ids and item.id not in skipped_ids
    ]


def is_answered(item: ChecklistItem, value: object) -> bool:
    """Whether `value` answers `item`: a ticked check, a non-empty text or choice, a fix's what."""
    if item.kind is ItemKind.CHECK:
        return value is True
    if item.kind is ItemKind.FIX:
        return isinstance(value, Mapping) and bool(str(value.get("what", "")).strip())
    return isinstance(value, str) and bool(value.strip())


def unfinished_items(
    checklist: Checklist, answers: Mapping[str, tuple[object, bool]]
) -> list[ChecklistItem]:
    """Required items still neither answered nor skipped; `answers` maps id -> (value, skipped)."""
    answered = {
        item.id
        for item in checklist.items
        if item.id in answers and is_answered(item, answers[item.id][0])
    }
    skipped = {item_id for item_id, (_, was_skipped) in answers.items() if was_skipped}
    return missing_required(checklist, answered, skipped)
