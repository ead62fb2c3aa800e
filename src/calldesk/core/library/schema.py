"""JSON Schemas (draft 2020-12) of phrase files and checklist.yaml, built from the loaders' rules.

Editors use them for completion and inline errors. They say exactly what the loaders accept,
except what JSON Schema cannot express: ids unique within a folder (or a checklist), and
unknown placeholders, which are only warnings.
"""

from __future__ import annotations

from typing import Any

from calldesk.core.aftercall.checklist import (
    CONDITION_KEYS,
    MIN_CHOICE_OPTIONS,
    OUTCOMES,
    REQUIRED_ITEM_KEYS,
    ItemKind,
)
from calldesk.core.aftercall.checklist import FILE_KEYS as CHECKLIST_FILE_KEYS
from calldesk.core.library.phrasefile import MAX_PRIORITY, REQUIRED_PHRASE_KEYS
from calldesk.core.library.phrases import DUE_PATTERN, KNOWN_PLACEHOLDERS
from calldesk.core.library.yamlcheck import ID_PATTERN

DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Text must have something besides whitespace: the loaders strip it and refuse blanks.
_TEXT: dict[str, Any] = {"type": "string", "pattern": r"\S"}
_PLACEHOLDER_NOTE = "Placeholders: " + ", ".join(
    f"{{{name}}} ({meaning})" for name, meaning in KNOWN_PLACEHOLDERS.items()
)


def _text(description: str) -> dict[str, Any]:
    return {**_TEXT, "description": description}


def _text_list(description: str) -> dict[str, Any]:
    return {"type": "array", "items": dict(_TEXT), "description": description}


def _id(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": ID_PATTERN, "description": description}


def phrase_file_schema() -> dict[str, Any]:
    """The schema of one phrase file (every *.yaml in a phrase folder but checklist.yaml)."""
    phrase_properties: dict[str, Any] = {
        "id": _id(
            "Stable id, unique within the folder; a later folder's phrase with the same id "
            "replaces this one."
        ),
        "title": _text("The short name shown in lists. " + _PLACEHOLDER_NOTE),
        "say": _text("The words to say; use | for several lines. " + _PLACEHOLDER_NOTE),
        "when": _text("When to reach for this phrase."),
        "instead_of": _text("The tempting wording this phrase replaces."),
        "tags": _text_list("Tags, added to the file's tags."),
        "category": _text("Overrides the file's category for this phrase."),
        "sets": _text_list("Practice drill sets, added to the file's sets."),
        "key": _text(
            "The clause that carries the phrase, quoted from 'say': practice scores an attempt "
            "on it and blanks it in cloze cards."
        ),
        "priority": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_PRIORITY,
            "description": "Teaching order in practice: 1 is taught first; phrases without "
            "a priority come after those with one.",
        },
        "promise": {
            "description": "What saying this phrase commits the agent to, so calldesk can "
            "remind them: text, or {what, due}.",
            "oneOf": [
                _TEXT,
                {
                    "type": "object",
                    "properties": {
                        "what": _text("The promise in a few words: 'call back with the RMA'."),
                        "due": {
                            "type": "string",
                            "pattern": DUE_PATTERN,
                            "description": "Suggested time to keep it, from now: 30m, 2h, 1d.",
                        },
                    },
                    "required": ["what"],
                    "additionalProperties": False,
                },
            ],
        },
        "keywords": _text_list(
            "What agents type for this phrase mid-call; searched like the title, never shown."
        ),
    }
    phrase = {
        "type": "object",
        "properties": phrase_properties,
        "required": list(REQUIRED_PHRASE_KEYS),
        "additionalProperties": False,
    }
    file_properties: dict[str, Any] = {
        "category": _text("Default category of every phrase in this file."),
        "tags": _text_list("Tags added to every phrase in this file."),
        "sets": _text_list("Practice drill sets every phrase in this file belongs to."),
        "phrases": {"type": "array", "items": phrase, "description": "The phrases."},
    }
    return {
        "$schema": DRAFT,
        "title": "calldesk phrase file",
        "description": "A file of phrases for calldesk (see docs/phrase-format.md).",
        "type": "object",
        "properties": file_properties,
        "required": ["phrases"],
        "additionalProperties": False,
        # A category is required once at the top, or on every phrase.
        "anyOf": [
            {"required": ["category"]},
            {"properties": {"phrases": {"items": {"required": ["category"]}}}},
        ],
    }


def checklist_schema() -> dict[str, Any]:
    """The schema of checklist.yaml."""
    item_properties: dict[str, Any] = {
        "id": _id("Stable id, unique in the checklist."),
        "label": _text("What the agent answers, as they see it."),
        "kind": {
            "enum": [kind.value for kind in ItemKind],
            "default": ItemKind.CHECK.value,
            "description": "check: a tick; text: a line of text; choice: one of the options; "
            "fix: what the permanent fix is, where it is filed, who owns it.",
        },
        "required": {"type": "boolean", "default": False, "description": "Must be answered."},
        "help": _text("A hint shown with the item."),
        "options": {
            **_text_list("The answers to choose from (kind: choice only)."),
            "minItems": MIN_CHOICE_OPTIONS,
            "uniqueItems": True,
        },
        "applies_when": {
            "type": "object",
            "description": "Ask the item only after these calls; without it, after every call.",
            "properties": {
                "outcome": {
                    "type": "array",
                    "items": {"enum": list(OUTCOMES)},
                    "minItems": 1,
                    "uniqueItems": True,
                    "description": "How the call went: fine, bad, abusive, or undecided (the "
                    "agent has not said yet).",
                }
            },
            "required": list(CONDITION_KEYS),
            "additionalProperties": False,
        },
        "suggest": {
            "type": "object",
            "description": "Suggest an answer from what happened on the call; the agent accepts "
            "or changes it (docs/after-the-call.md).",
            "properties": {
                "note_tag": _text(
                    "A #tag the agent types in a note (fix for #fix): the note's words are "
                    "the answer."
                ),
                "phrase_tag": _text("A phrase with this tag inserted on the call suggests."),
                "answer": _text(
                    "What a tagged phrase suggests: one of a choice's options, or a text."
                ),
                "promises": {
                    "type": "boolean",
                    "description": "The promises made on the call are the answer.",
                },
            },
            "minProperties": 1,
            "additionalProperties": False,
        },
    }
    item = {
        "type": "object",
        "properties": item_properties,
        "required": list(REQUIRED_ITEM_KEYS),
        "additionalProperties": False,
        "if": {"properties": {"kind": {"const": ItemKind.CHOICE.value}}, "required": ["kind"]},
        "then": {"required": ["options"]},
        "else": {"not": {"required": ["options"]}},
    }
    return {
        "$schema": DRAFT,
        "title": "calldesk checklist",
        "description": "The post-call checklist (checklist.yaml at the top of a phrase folder).",
        "type": "object",
        "properties": {
            "checklist": {"type": "array", "items": item, "minItems": 1},
        },
        "required": list(CHECKLIST_FILE_KEYS),
        "additionalProperties": False,
    }


def synonyms_schema() -> dict[str, Any]:
    """The schema of synonyms.yaml, a team's thesaurus in a phrase folder."""
    word_list = {
        **_text_list("Words or short phrases, as folded words."),
        "minItems": 1,
    }
    group = {
        "type": "object",
        "properties": {
            "name": _text("What the preview shows: 'matched: lawyer → legal threat'."),
            "leads_to": {
                "type": "object",
                "properties": {
                    "categories": _text_list("Every phrase in these categories."),
                    "tags": _text_list("Every phrase with one of these tags."),
                    "phrases": {
                        "type": "array",
                        "items": _id("A phrase id."),
                        "description": "These phrases, best first.",
                    },
                },
                "additionalProperties": False,
                "minProperties": 1,
                "description": "Where the words lead (one way only). Without it, the words "
                "stand for each other.",
            },
            "words": {**word_list, "description": "What agents type for this situation."},
        },
        "required": ["name", "words"],
        "additionalProperties": False,
    }
    return {
        "$schema": DRAFT,
        "title": "calldesk synonyms",
        "description": "A team's thesaurus (synonyms.yaml in any phrase folder; see "
        "docs/phrase-format.md).",
        "type": "object",
        "properties": {
            "groups": {"type": "array", "items": group},
            "spellings": {
                "type": "array",
                "items": {**_text_list("Ways to write one word."), "minItems": 2},
                "description": "Spellings of the same word: [colour, color].",
            },
        },
        "additionalProperties": False,
    }
