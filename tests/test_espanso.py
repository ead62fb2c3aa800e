"""Importing Espanso match files: what converts, what is reported, and the files written."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calldesk import paths
from calldesk.core.library.espanso import convert_espanso, output_names
from calldesk.core.library.espanso_text import TOKEN_RE
from calldesk.core.library.loader import load_library
from calldesk.core.library.phrases import render

FIXTURES = Path(__file__).parent / "fixtures" / "espanso"


def phrases_of(result: object) -> dict[str, tuple[str, str, tuple[str, ...]]]:
    return {
        p.id: (p.title, p.say, p.tags)
        for file in result.files  # type: ignore[attr-defined]
        for p in file.phrases
    }


def skipped_of(result: object) -> list[tuple[str, int, str, str]]:
    return [
        (n.path.name, n.line, n.trigger, n.message)
        for n in result.skipped  # type: ignore[attr-defined]
    ]


def notes_of(result: object, trigger: str) -> list[str]:
    return [n.message for n in result.notes if n.trigger == trigger]  # type: ignore[attr-defined]


def espanso_file(folder: Path, name: str, document: object) -> Path:
    """Write an Espanso file in flow style, every text double-quoted with YAML's escapes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(flow_yaml(document) + "\n", "utf-8")
    return path


def flow_yaml(value: object) -> str:
    # yaml.safe_dump writes some characters (U+0085, U+2028) raw and reads them back changed,
    # and JSON's surrogate pairs are not YAML: escape everything beyond printable ASCII.
    if isinstance(value, dict):
        return "{" + ", ".join(f"{flow_yaml(k)}: {flow_yaml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_yaml(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    out = []
    for char in str(value):
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif 0x20 <= code < 0x7F:
            out.append(char)
        else:
            out.append(
                f"\\x{code:02x}"
                if code < 0x100
                else f"\\u{code:04x}"
                if code < 0x10000
                else f"\\U{code:08x}"
            )
    return '"' + "".join(out) + '"'


# -- converting the documented match styles ------------------------------------------------------


def test_base_file_static_dynamic_and_unconvertible_matches() -> None:
    result = convert_espanso([FIXTURES / "base.yml"])
    phrases = phrases_of(result)
    assert phrases["espanso"] == (":espanso", "Hi there!", (":espanso",))
    assert phrases["sorry"] == (
        "Apologise for the wait",  # the label is the title
        "I'm sorry you had to wait so long.\nThank you for holding, I'm here now.",
        (":sorry",),
    )
    # A global echo variable named like the agent becomes {agent}; another is inlined.
    assert phrases["sig"][1] == "Best regards,\n{agent} from the Help Desk"
    # One phrase for a multi-trigger match; every trigger and search term is a tag.
    assert phrases["thx"] == (
        ":thx",
        "Thanks for calling, have a good day!",
        (":thx", ":thanks", "goodbye", "closing"),
    )
    assert phrases["alh"] == ("alh", "although", ("alh",))  # word/propagate_case: typing only
    assert phrases["callback"][1] == "I'll call you back on {number} before {cb_time}."
    # Literal braces are doubled; Espanso's escaped \{\{ \}\} are literal braces too.
    assert phrases["json"][1] == 'Please paste {{"debug": true}} into the settings box.'
    assert phrases["braces"][1] == "Type {{{{version}}}} exactly like that, braces and all."
    assert render(phrases["braces"][1], {}) == "Type {{version}} exactly like that, braces and all."
    assert phrases["link"][1] == "Here is the link: {clipb}"  # cursor hint dropped
    assert phrases["rich"][1] == "This *text* is **very rich**!"
    assert phrases["hold"][0] == "Putting the caller on hold (1 of 2)"
    assert phrases["hold-2"][1] == "May I put you on a short hold while I check?"
    assert phrases["nested"][1] == "This is a nested match"
    assert skipped_of(result) == [
        ("base.yml", 31, ":date", "nothing would be left to say: the text is only values "
         "calldesk cannot fill"),
        ("base.yml", 40, ":shell", "variable 'output' runs a shell command; calldesk phrases "
         "never run commands"),
        ("base.yml", 89, ":greet\\((?P<person>.*)\\)", "regex triggers cannot be converted: "
         "calldesk phrases are searched, not typed"),
        ("base.yml", 92, ":cat", "image matches cannot be converted: a phrase is words to say"),
        ("base.yml", 98, ":ric2", "HTML replacements are not converted: copy the words into a "
         "phrase by hand"),
        ("base.yml", 102, ":empty", "the replacement is empty"),
        ("base.yml", 127, ":ip", "variable 'output' runs a script; calldesk phrases never run "
         "programs"),
    ]  # fmt: skip
    assert result.matches == 20
    assert notes_of(result, ":link") == [
        "{{clipb}} (the clipboard in Espanso) stays as {clipb} for the agent to fill",
        "the cursor hint $|$ was removed",
    ]
    assert notes_of(result, ":rich") == ["markdown kept as plain text (its * and _ marks show)"]


def test_forms_become_placeholders() -> None:
    result = convert_espanso([FIXTURES / "forms.yml"])
    phrases = phrases_of(result)
    assert phrases["greet"][1] == "Hey {customer},\nHappy Birthday!"
    assert phrases["reset"] == (
        "Password reset done",
        "{customer}, your password for {system} has been reset.\nYour ticket is {ticket}.",
        (":reset",),
    )
    assert phrases["case"][1] == "Your case number is {ticket}, and {product} is on its way."
    assert phrases["old"][1] == "Hey {customer}, how are you?"  # Espanso 0.7's {{field}} form
    assert notes_of(result, ":reset") == [
        "form field [[name]] became {customer}",
        "form field [[system]] was a choice of Outlook, VPN, Payroll",
        "form field [[ticket_id]] became {ticket}",
    ]
    assert skipped_of(result) == [
        ("forms.yml", 32, ":rev", "variable 'reversed' runs a shell command; calldesk phrases "
         "never run commands"),
    ]  # fmt: skip
    file_notes = [(n.line, n.message) for n in result.notes if not n.trigger]
    assert file_notes == [
        (2, "imports are not followed: add _shared.yml to the command to import it too")
    ]
    assert notes_of(result, ":sig") == [
        "'filter_title' is ignored: app filters do not apply in calldesk"
    ]


def test_broken_and_config_files_are_reported_with_their_place() -> None:
    result = convert_espanso([FIXTURES / "broken.yml", FIXTURES / "vscode.yml"])
    assert result.files == ()
    assert [n.format() for n in result.skipped] == [
        f"{FIXTURES / 'broken.yml'}:5:1: skipped: a tab is used for indentation "
        "(YAML indents with spaces; replace the tab)",
        f"{FIXTURES / 'vscode.yml'}:2:1: skipped: no 'matches:' here "
        "(an Espanso config file holds settings, not matches)",
    ]


def test_unsafe_yaml_is_refused_not_run(tmp_path: Path) -> None:
    tagged = tmp_path / "tagged.yml"
    tagged.write_text(
        "matches:\n  - trigger: ':x'\n    replace: !!python/object/apply:os.system ['true']\n",
        encoding="utf-8",
    )
    bomb = tmp_path / "bomb.yml"
    lines = ["a: &a ['lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol', 'lol']"]
    for level in range(1, 9):
        previous = chr(ord("a") + level - 1)
        lines.append(
            f"{chr(ord('a') + level)}: &{chr(ord('a') + level)} [{', '.join(['*' + previous] * 9)}]"
        )
    lines.append("matches: []")
    bomb.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = convert_espanso([tagged, bomb])
    assert result.files == ()
    messages = [n.message for n in result.skipped]
    assert (
        "unsupported tag !!python/object/apply:os.system (only plain YAML is read here: "
        "remove the tag)" in messages
    )
    assert any("aliases expand to more than" in message for message in messages)


def test_ids_are_unique_and_never_take_a_library_id(tmp_path: Path) -> None:
    path = espanso_file(
        tmp_path,
        "dupes.yml",
        {
            "matches": [
                {"trigger": ":Sorry!", "replace": "Sorry."},
                {"trigger": ":sorry", "replace": "So sorry."},
                {"trigger": "\x05", "replace": "Control key trigger, no label"},
                {"trigger": ":café", "replace": "Coffee."},
            ]
        },
    )
    result = convert_espanso([path], taken_ids={"sorry"})
    assert list(phrases_of(result)) == [
        "sorry-2",
        "sorry-3",
        "control-key-trigger-no-label",
        "cafe",
    ]
    assert phrases_of(result)["control-key-trigger-no-label"][0] == "Control key trigger, no label"
    assert notes_of(result, ":Sorry!") == ["the id 'sorry' is taken; this phrase is 'sorry-2'"]


def test_output_names_are_unique_and_never_the_checklist() -> None:
    names = output_names(
        [Path("match/base.yml"), Path("other/base.yml"), Path("checklist.yml"), Path("_x.yml")]
    )
    assert list(names.values()) == ["base.yaml", "base-2.yaml", "checklist-espanso.yaml", "x.yaml"]


def test_output_names_are_never_the_teams_synonyms() -> None:
    names = output_names([Path("match/synonyms.yml")])
    assert list(names.values()) == ["synonyms-espanso.yaml"]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.lists(
        st.one_of(
            # What trips YAML writers and the placeholder syntax up, often enough to matter.
            st.sampled_from(
                [
                    *("{", "}", "{{", "}}", "{customer}", "[", "]", "$", "|", "\\", ": ", "- "),
                    *("#", "'", '"', "\n", "\t", "\r", "\x85", "\u2028", "\ufeff", "0", "𐀀"),
                ]
            ),
            st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00")),
        ),
        min_size=1,
        max_size=12,
    ).map("".join),
    label=st.one_of(st.none(), st.text(min_size=1, max_size=20)),
)
def test_any_replacement_text_reads_back_as_written(
    tmp_path: Path, text: str, label: str | None
) -> None:
    """Whatever the Espanso text, the phrase file says exactly it (or the match is reported)."""
    if TOKEN_RE.search(text) or not text.strip():
        return  # variables, fields and cursor hints are covered above
    match: dict[str, object] = {"trigger": ":t", "replace": text}
    if label is not None:
        match["label"] = label
    path = espanso_file(tmp_path, "fuzz.yml", {"matches": [match]})
    result = convert_espanso([path])
    if result.skipped:
        # Only the YAML reader may refuse it (control characters), never the conversion.
        assert all(n.trigger == "" for n in result.skipped), result.skipped
        return
    [imported] = result.files
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (out / imported.name).write_text(imported.to_yaml(), encoding="utf-8")
    library = load_library([out], optional=())
    assert library.errors == []
    [phrase] = library.phrases
    assert render(phrase.say, {}) == text.strip()


# -- the command ----------------------------------------------------------------------------------


def calldesk(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calldesk", *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def test_command_writes_checkable_files_and_reports_skips(tmp_path: Path) -> None:
    out = tmp_path / "team" / "espanso"
    result = calldesk(
        "phrases", "import-espanso", FIXTURES / "base.yml", FIXTURES / "forms.yml", "-o", out
    )
    assert result.returncode == 1  # some matches were skipped; the rest is written
    lines = result.stdout.splitlines()
    assert (
        f'{FIXTURES / "base.yml"}:92:5: skipped ":cat": image matches cannot be converted: '
        "a phrase is words to say" in lines
    )
    assert sum(": skipped " in line for line in lines) == 8
    assert result.stderr == (
        f"imported 19 phrases from 26 matches into {out} (base.yaml, forms.yaml); skipped 8\n"
    )
    assert sorted(p.name for p in out.iterdir()) == ["base.yaml", "forms.yaml"]
    assert stat.S_IMODE((out / "base.yaml").stat().st_mode) == 0o600
    text = (out / "base.yaml").read_text(encoding="utf-8")
    assert text.startswith(
        "# Imported from Espanso (base.yml) by calldesk phrases import-espanso.\n"
    )
    assert "  # base.yml:50 :sorry\n  - id: sorry\n    title: Apologise for the wait\n" in text
    check = calldesk("--no-bundled-phrases", "phrases", "check", out)
    assert check.returncode == 0, check.stdout
    assert check.stderr == "checked 2 files: 19 phrases, 0 errors, 4 warnings\n"
    # The imported folder works as a team folder.
    listed = calldesk("--phrase-dir", out, "phrases", "search", "tag:espanso sorry", "--json")
    assert listed.returncode == 0, listed.stderr
    assert '"id": "sorry"' in listed.stdout


def test_command_never_overwrites_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "forms.yaml").write_text("# mine, hands off\n", encoding="utf-8")
    refused = calldesk("phrases", "import-espanso", FIXTURES / "forms.yml", "-o", out)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"calldesk: error: {out / 'forms.yaml'} already exists; use --force to overwrite\n"
    )
    assert (out / "forms.yaml").read_text(encoding="utf-8") == "# mine, hands off\n"
    forced = calldesk(
        "phrases", "import-espanso", FIXTURES / "forms.yml", "-o", out, "--force",
        "--category", "Forms",
    )  # fmt: skip
    assert forced.returncode == 1, forced.stderr  # :rev is still skipped
    library = load_library([out], optional=())
    assert {phrase.category for phrase in library} == {"Forms"}
    assert library.get("greet") is not None


def test_command_keeps_library_ids_but_reuses_its_own_on_reimport(tmp_path: Path) -> None:
    bundled = load_library([paths.bundled_phrase_dir()], optional=()).phrases[0]
    source = espanso_file(
        tmp_path, "clash.yml", {"matches": [{"trigger": f":{bundled.id}", "replace": "Mine."}]}
    )
    out = tmp_path / "out"
    first = calldesk("--phrase-dir", out, "phrases", "import-espanso", source, "-o", out)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (
        f"note \":{bundled.id}\": the id '{bundled.id}' is taken; this phrase is "
        f"'{bundled.id}-2'" in first.stdout
    )
    # Importing again over its own output keeps the same ids (its files are being replaced).
    again = calldesk("--phrase-dir", out, "phrases", "import-espanso", source, "-o", out, "--force")
    assert again.returncode == 0, again.stdout + again.stderr
    assert load_library([out], optional=()).get(f"{bundled.id}-2") is not None
    assert f"'{bundled.id}-3'" not in again.stdout


def test_command_reads_a_whole_match_folder(tmp_path: Path) -> None:
    match = tmp_path / "espanso" / "match"
    espanso_file(match, "base.yml", {"matches": [{"trigger": ":a", "replace": "A."}]})
    espanso_file(match / "packages" / "pack", "package.yml", {"matches": [
        {"trigger": ":b", "replace": "B."}
    ]})  # fmt: skip
    out = tmp_path / "out"
    result = calldesk("phrases", "import-espanso", match, "-o", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["base.yaml", "package.yaml"]
    missing = calldesk("phrases", "import-espanso", tmp_path / "nope.yml", "-o", out)
    assert missing.returncode == 2
    assert missing.stderr == f"calldesk: error: {tmp_path / 'nope.yml'}: no such file or folder\n"
