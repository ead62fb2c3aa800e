"""`calldesk phrases check|search|list|schema`, run as the real command, and the JSON Schemas."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calldesk import paths
from calldesk.core.aftercall.checklist import ITEM_KEYS, checklist_from_document
from calldesk.core.library.loader import load_library
from calldesk.core.library.phrasefile import FILE_KEYS, PHRASE_KEYS, phrases_from_document
from calldesk.core.library.schema import checklist_schema, phrase_file_schema
from calldesk.core.library.yamlfile import read_yaml
from calldesk.core.library.yamlsafe import parse_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "phrases"
ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning): .+$")


def calldesk(
    *args: str | Path, phrase_dirs: list[Path] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real command with only the given phrase folders (never the user's own)."""
    env = dict(os.environ)  # already pointed at tmp dirs by the autouse fixture
    if phrase_dirs is not None:
        env["CALLDESK_PHRASE_DIRS"] = os.pathsep.join(str(path) for path in phrase_dirs)
    return subprocess.run(
        [sys.executable, "-m", "calldesk", "--no-bundled-phrases", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


# -- check -------------------------------------------------------------------------------------


def test_check_good_files_exits_zero_with_a_summary() -> None:
    result = calldesk("phrases", "check", FIXTURES / "good")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.strip() == "checked 3 files: 5 phrases, 0 errors, 0 warnings"


def test_check_broken_and_good_files_together() -> None:
    result = calldesk("phrases", "check", FIXTURES / "broken", FIXTURES / "good")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    keys = [(m["file"], int(m["line"]), int(m["col"])) for m in map(LINE.match, lines) if m]
    assert keys == sorted(keys)
    broken = FIXTURES / "broken"
    assert lines == [
        f"{broken}/latin1.yaml:5:32: error: the file is not valid UTF-8 (byte 0xe9) "
        "(save the file as UTF-8)",
        f"{broken}/placeholder.yaml:6:47: warning: unknown placeholder {{custmer}} stays as it "
        "is (did you mean {customer}?)",
        f"{broken}/tab.yaml:4:1: error: a tab is used for indentation "
        "(YAML indents with spaces; replace the tab)",
        f"{broken}/unknown-key.yaml:3:5: error: this phrase has no 'say' (add 'say: ...')",
        f"{broken}/unknown-key.yaml:5:5: error: unknown key 'sya' in a phrase "
        "(did you mean 'say'?)",
    ]
    # The good files, and the good phrases beside the broken ones, still load: 5 + 2.
    assert result.stderr.strip() == "checked 8 files: 7 phrases, 4 errors, 1 warning"


def test_check_warnings_alone_exit_zero() -> None:
    result = calldesk("phrases", "check", FIXTURES / "broken" / "placeholder.yaml")
    assert result.returncode == 0
    assert "warning: unknown placeholder" in result.stdout
    assert result.stderr.strip() == "checked 1 file: 1 phrase, 0 errors, 1 warning"


def test_check_a_missing_path_is_an_error() -> None:
    result = calldesk("phrases", "check", "no/such/folder")
    assert result.returncode == 1
    assert result.stdout == "no/such/folder: error: no such file or folder (check the path)\n"


def test_check_without_paths_uses_the_configured_folders(tmp_path: Path) -> None:
    result = calldesk("phrases", "check", phrase_dirs=[FIXTURES / "good", tmp_path / "gone"])
    assert result.returncode == 0
    assert result.stdout == f"{tmp_path / 'gone'}: warning: phrase folder does not exist " + (
        "(create it, or remove it from the configured phrase folders)\n"
    )
    assert result.stderr.strip() == "checked 3 files: 5 phrases, 0 errors, 1 warning"


def test_check_never_prints_a_traceback_for_a_hostile_file(tmp_path: Path) -> None:
    (tmp_path / "bomb.yaml").write_text("a: &a [" + "[" * 5000 + "\n")
    (tmp_path / "exec.yaml").write_text("a: !!python/object/apply:os.system ['echo pwned']\n")
    result = calldesk("phrases", "check", tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "pwned" not in result.stdout
    assert "levels deep" in result.stdout and "unsupported tag" in result.stdout


# -- search and list ---------------------------------------------------------------------------


def test_search_json_with_a_typo() -> None:
    result = calldesk("phrases", "search", "refnd", "--json", phrase_dirs=[FIXTURES / "good"])
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["total"] == 2
    assert {hit["id"] for hit in data["hits"]} == {"refund-on-its-way", "double-charge"}
    hit = next(hit for hit in data["hits"] if hit["id"] == "refund-on-its-way")
    assert hit["tags"] == ["billing", "refund", "money"]
    assert hit["source"] == str(FIXTURES / "good" / "billing.yaml") and hit["line"] == 4


def test_search_tag_and_limit() -> None:
    result = calldesk(
        "phrases", "search", "sorry", "--tag", "apology", "--json", phrase_dirs=[FIXTURES / "good"]
    )
    assert [hit["id"] for hit in json.loads(result.stdout)["hits"]] == ["blame-our-mistake"]
    limited = calldesk(
        "phrases", "search", "", "--limit", "2", "--json", phrase_dirs=[FIXTURES / "good"]
    )
    data = json.loads(limited.stdout)
    assert data["total"] == 5 and len(data["hits"]) == 2


def test_search_with_no_hits_exits_one() -> None:
    result = calldesk("phrases", "search", "xylophone", phrase_dirs=[FIXTURES / "good"])
    assert result.returncode == 1 and result.stdout == ""


def test_search_human_output_is_aligned() -> None:
    result = calldesk("phrases", "search", "refund", phrase_dirs=[FIXTURES / "good"])
    # "refund" is a title word in one and a tag in the other: the title comes first.
    assert result.stdout.splitlines() == [
        "refund-on-its-way  Billing and refunds  The refund is on its way",
        "double-charge      Billing and refunds  Charged twice",
    ]


def test_list_json_and_category_filter() -> None:
    result = calldesk("phrases", "list", "--json", phrase_dirs=[FIXTURES / "good"])
    assert [p["id"] for p in json.loads(result.stdout)] == [
        "double-charge",
        "refund-on-its-way",
        "cafe-wifi",
        "blame-not-your-fault",
        "blame-our-mistake",
    ]
    network = calldesk("phrases", "list", "--category", "NET", phrase_dirs=[FIXTURES / "good"])
    assert network.stdout == "cafe-wifi  Network  Café wifi blocks the VPN\n"


def test_list_prints_trainer_text_literally(tmp_path: Path) -> None:
    (tmp_path / "odd.yaml").write_text(
        'category: "[bold]Odd[/bold]"\nphrases:\n'
        '  - {id: esc, title: "Evil \\e[31mred", say: "x"}\n'
        '  - {id: multi, title: "two\\nlines", say: "y"}\n',
        encoding="utf-8",
    )
    result = calldesk("phrases", "list", phrase_dirs=[tmp_path])
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert result.stdout.splitlines() == [
        "esc    [bold]Odd[/bold]  Evil \\x1b[31mred",
        "multi  [bold]Odd[/bold]  two lines",
    ]


def test_search_warns_about_a_broken_library_but_still_searches() -> None:
    result = calldesk("phrases", "search", "anything", phrase_dirs=[FIXTURES / "broken"])
    assert result.returncode == 0
    assert result.stdout.startswith("close-anything-else")
    assert "the phrase library has 4 errors" in result.stderr


# -- schema ------------------------------------------------------------------------------------


def test_schema_command_prints_the_phrase_file_schema() -> None:
    result = calldesk("phrases", "schema")
    assert result.returncode == 0
    schema = json.loads(result.stdout)
    assert schema == phrase_file_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    phrase = schema["properties"]["phrases"]["items"]
    assert phrase["required"] == ["id", "title", "say"]
    assert phrase["properties"]["id"]["pattern"] == "^[a-z0-9][a-z0-9._-]*$"
    assert phrase["additionalProperties"] is False


def test_schema_checklist_option() -> None:
    result = calldesk("phrases", "schema", "--checklist")
    assert json.loads(result.stdout) == checklist_schema()


def test_schema_and_loader_know_the_same_keys() -> None:
    schema = phrase_file_schema()
    assert set(schema["properties"]) == set(FILE_KEYS)
    assert set(schema["properties"]["phrases"]["items"]["properties"]) == set(PHRASE_KEYS)
    item = checklist_schema()["properties"]["checklist"]["items"]
    assert set(item["properties"]) == set(ITEM_KEYS)


def draft_2020_12() -> Any:
    """The jsonschema validator class, or skip: the loaders need no jsonschema, only these tests."""
    module = pytest.importorskip(
        "jsonschema", reason="jsonschema is not installed; schema validation tests need it"
    )
    return module.Draft202012Validator


def validate(data: Any, schema: dict[str, Any]) -> list[str]:
    return [error.message for error in draft_2020_12()(schema).iter_errors(data)]


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def test_the_schemas_are_valid_draft_2020_12() -> None:
    draft_2020_12().check_schema(phrase_file_schema())
    draft_2020_12().check_schema(checklist_schema())


@pytest.mark.parametrize(
    "folder", [paths.bundled_phrase_dir(), FIXTURES / "good", FIXTURES / "override"]
)
def test_good_files_validate_against_the_schema(folder: Path) -> None:
    files = yaml_files(folder)
    if not files:
        pytest.skip(f"{folder} has no phrase files yet")
    assert not load_library([folder]).errors
    for path in files:
        schema = checklist_schema() if path.name == "checklist.yaml" else phrase_file_schema()
        assert validate(read_yaml(path).value, schema) == [], path


GOOD_PHRASE = {"id": "a", "title": "A", "say": "Hello."}


@pytest.mark.parametrize(
    "document",
    [
        {"phrases": [GOOD_PHRASE]},  # no category anywhere
        {"category": "C", "phrases": [{**GOOD_PHRASE, "sya": "x"}]},
        {"category": "C", "phrases": [{"id": "a", "title": "A"}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "id": "Bad Id"}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "id": 404}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "say": 42}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "title": "   "}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "tags": "blame"}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "when": None}]},
        {"category": "C", "tags": [1], "phrases": [GOOD_PHRASE]},
        {"category": "C"},
        {"category": "C", "phrases": {"id": "a"}},
        {"category": "C", "extra": 1, "phrases": [GOOD_PHRASE]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "priority": 0}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "priority": "1"}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "promise": {"due": "2h"}}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "promise": {"what": "x", "due": "soon"}}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "promise": {"what": "x", "by": "2h"}}]},
        {"category": "C", "phrases": [{**GOOD_PHRASE, "promise": ["x"]}]},
    ],
)
def test_schema_rejects_what_the_loader_rejects(document: dict[str, Any]) -> None:
    text = json.dumps(document)  # JSON is YAML: the loader reads the very same document
    doc = parse_yaml(text, Path("p.yaml"))
    _, problems = phrases_from_document(doc)
    assert any(problem.is_error for problem in problems)
    assert validate(document, phrase_file_schema())


@pytest.mark.parametrize(
    "document",
    [
        {"category": "C", "phrases": [GOOD_PHRASE]},
        {"phrases": [{**GOOD_PHRASE, "category": "C"}]},
        {"category": "C", "phrases": []},
        {
            "category": "C",
            "tags": ["x", "x"],
            "sets": ["s"],
            "phrases": [{**GOOD_PHRASE, "id": "a.b_c-9", "when": "w", "instead_of": "i"}],
        },
        {
            "category": "C",
            "phrases": [
                {**GOOD_PHRASE, "priority": 2, "key": "hello", "promise": "call back"},
                {**GOOD_PHRASE, "id": "b", "promise": {"what": "call", "due": "1H 30 mins"}},
            ],
        },
    ],
)
def test_schema_accepts_what_the_loader_accepts(document: dict[str, Any]) -> None:
    doc = parse_yaml(json.dumps(document), Path("p.yaml"))
    _, problems = phrases_from_document(doc)
    assert not any(problem.is_error for problem in problems)
    assert validate(document, phrase_file_schema()) == []


ITEM = {"id": "a", "label": "A"}


@pytest.mark.parametrize(
    ("document", "loader_ok"),
    [
        ({"checklist": [ITEM]}, True),
        ({"checklist": [{**ITEM, "kind": "choice", "options": ["x", "y"]}]}, True),
        ({"checklist": [{**ITEM, "kind": "fix", "required": True, "help": "h"}]}, True),
        ({"checklist": []}, False),
        ({"checklist": [{**ITEM, "kind": "choice"}]}, False),
        ({"checklist": [{**ITEM, "kind": "choice", "options": ["x"]}]}, False),
        ({"checklist": [{**ITEM, "kind": "choice", "options": ["x", "x"]}]}, False),
        ({"checklist": [{**ITEM, "options": ["x", "y"]}]}, False),
        ({"checklist": [{**ITEM, "kind": "tick"}]}, False),
        ({"checklist": [{**ITEM, "required": "yes"}]}, False),
        ({"checklist": [{"id": "a"}]}, False),
        ({"checklist": [{**ITEM, "lable": "x"}]}, False),
    ],
)
def test_checklist_schema_agrees_with_the_loader(document: dict[str, Any], loader_ok: bool) -> None:
    checklist, _ = checklist_from_document(parse_yaml(json.dumps(document), Path("c.yaml")))
    assert (checklist is not None) is loader_ok
    assert (validate(document, checklist_schema()) == []) is loader_ok


def test_check_of_a_team_synonyms_file_knows_the_other_configured_phrases(tmp_path: Path) -> None:
    team = tmp_path / "team"
    team.mkdir()
    (team / "synonyms.yaml").write_text(
        "groups:\n  - name: legal\n    leads_to: {phrases: [threat-legal-action, nobody]}\n"
        "    words: [ombudsman]\n",
        encoding="utf-8",
    )
    result = subprocess.run(  # with the bundled library, where threat-legal-action is
        [sys.executable, "-m", "calldesk", "phrases", "check", str(team)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{team / 'synonyms.yaml'}:2:5: warning: the group 'legal' leads to no phrase 'nobody' "
        "(check the spelling; `calldesk phrases list` shows ids and categories)"
    ]


def test_schema_synonyms_option() -> None:
    from calldesk.core.library.schema import synonyms_schema

    result = calldesk("phrases", "schema", "--synonyms")
    assert json.loads(result.stdout) == synonyms_schema()
    assert json.loads((ROOT / "docs" / "synonyms.schema.json").read_text()) == synonyms_schema()
    assert json.loads((ROOT / "docs" / "phrases.schema.json").read_text()) == phrase_file_schema()
