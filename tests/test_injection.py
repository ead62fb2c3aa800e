"""Hostile text in phrases and notes is shown and exported literally, and never drives the terminal.

Rich markup, ANSI and OSC escape sequences, 10 kB lines, right-to-left scripts, combining marks
and emoji arrive from trainers (phrase files) and from agents (pasted notes). Everywhere they
are shown (note list, phrase results and preview, history list and detail, status line) they
must read exactly as written, with control characters as visible `\\x1b`-style text; in the real
terminal no escape sequence from them may reach the screen; and `calldesk export` must give the
same text back. Snapshots show the desk at 80x24 with such a note and such a phrase.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from rich.text import Text
from tests.pty_app import PtyApp, app_env
from tests.tui_helpers import build_app, started_up, wait_until
from textual import events
from textual.content import Content
from textual.widgets import Input, OptionList, Static, TextArea

from calldesk.cli.main import main
from calldesk.config import Settings, load_settings
from calldesk.core.calls import history as call_history
from calldesk.core.calls import records as call_records
from calldesk.core.calls.bigtext import preview
from calldesk.core.clock import FakeClock
from calldesk.core.storage import Database
from calldesk.tui.app import CalldeskApp
from calldesk.tui.text import visible
from calldesk.tui.widgets.note_input import NoteInput
from calldesk.tui.widgets.notes_pane import NoteItem
from calldesk.tui.widgets.phrase_pane import PhrasePane
from calldesk.tui.widgets.status_bar import StatusBar

MARKUP = "[bold]not bold[/bold] [link=https://x]click[/link] [/] [red on blue]x"
ANSI = "\x1b[31mRED\x1b[0m \x1b]0;pwned title\x07 \x1b[2J cleared?"
LONG = ("ten kilobytes of one line " * 400)[:10_000]
RTL = "مرحبا بالعالم — שלום עולם"
COMBINING = "Zoë Zoe\u0308 a\u0301\u0301\u0301 Z\u0324\u0354\u0367\u0311a\u0308\u0356\u032d"
EMOJI = "👩🏽‍💻 🇬🇧 ☎️ 1️⃣ 🙂"
HOSTILE = {
    "markup": MARKUP,
    "ansi": ANSI,
    "long": LONG,
    "rtl": RTL,
    "combining": COMBINING,
    "emoji": EMOJI,
}
ESCAPES = ("\x1b", "\x07", "\x9b")


def yaml_string(text: str) -> str:
    """A double-quoted YAML scalar; JSON's escapes (\\u001b) are valid YAML escapes too."""
    return json.dumps(text, ensure_ascii=False)


def write_phrase_folder(folder: Path) -> None:
    """One phrase per hostile text, in title, say, when, tags and category."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["category: " + yaml_string("Hostile " + ANSI[:9]), "phrases:"]
    for name, text in HOSTILE.items():
        lines += [
            f"  - id: hostile-{name}",
            f"    title: {yaml_string(f'zz {name} ' + text[:200])}",
            f"    say: {yaml_string(text)}",
            f"    when: {yaml_string(text[:300])}",
            f"    tags: [{yaml_string(name)}, {yaml_string(ANSI[:5])}]",
        ]
    (folder / "hostile.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def hostile_settings(private_dirs: Path) -> Settings:
    team = private_dirs / "team"
    write_phrase_folder(team)
    return load_settings(overrides={"phrase_dirs": (team,), "load_bundled_phrases": False})


def plain(renderable: object) -> str:
    """The characters a widget shows, without styles."""
    if isinstance(renderable, Text | Content):
        return renderable.plain
    return str(renderable)


def assert_literal(shown: str, text: str) -> None:
    """`text` is shown exactly, its control characters as visible escapes and never raw."""
    assert visible(text) in shown
    assert not any(char in shown for char in ESCAPES), repr(shown[:200])


def assert_no_markup_styles(renderable: object) -> None:
    """Markup in user text became neither a link nor a style."""
    if isinstance(renderable, Text):
        assert not any("link" in str(span.style) for span in renderable.spans)
    if isinstance(renderable, Content):
        assert not any("link" in str(span.style) for span in renderable.spans)


async def wait_for_library(app: CalldeskApp, pilot) -> PhrasePane:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: started_up(app))  # the status line too, for snapshots
    assert app.library is not None and not app.library.problems, app.library.problems
    return app.screen.query_one(PhrasePane)


async def paste(app: CalldeskApp, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Paste as the terminal driver delivers it (a bracketed paste), to the focused widget."""
    app.post_message(events.Paste(text))
    await pilot.pause()


# -- notes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_pasted_note_is_shown_literally_and_stored_exactly(
    name: str, settings: Settings, clock: FakeClock
) -> None:
    text = HOSTILE[name]
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await paste(app, pilot, text)
        note_input = app.screen.query_one(NoteInput)
        assert note_input.true_text == text  # kept exactly
        assert note_input.text == visible(text)  # and shown escaped
        await pilot.press("enter")
        await pilot.pause()
        assert [note.text for note in app.desk.call.notes] == [text.rstrip()]
        label = app.screen.query_one(NoteItem).query_one("Label")
        rendered = label.render()
        assert_literal(plain(rendered), preview(text.rstrip()).text)  # a long one: its start
        assert_no_markup_styles(rendered)
        assert app.desk.writes.writer.flush()
    store = Database.open_readonly(settings.database_path, clock)
    try:
        call = call_history.open_call(store)
    finally:
        store.close()
    assert call is not None and [note.text for note in call.notes] == [text.rstrip()]


async def test_a_hostile_caller_name_is_shown_literally_in_the_status_line(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f4")
        await paste(app, pilot, "\x1b[31mAnn[/] [bold]")
        assert app.desk.call.caller_name == "\x1b[31mAnn[/] [bold]"
        status = plain(app.screen.query_one(StatusBar).query_one("#status-call").render())
        assert_literal(status, "\x1b[31mAnn[/] [bold]")


# -- phrases ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
async def test_a_hostile_phrase_is_listed_and_previewed_literally(
    name: str, hostile_settings: Settings, clock: FakeClock
) -> None:
    text = HOSTILE[name]
    app = build_app(hostile_settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        pane = await wait_for_library(app, pilot)
        await pilot.press("f3")
        await paste(app, pilot, f"zz {name}")
        assert pane.selected is not None and pane.selected.id == f"hostile-{name}"
        assert pane.selected.say == text.strip()  # the loader kept the trainer's text
        results = pane.query_one(OptionList)
        prompt = plain(results.get_option_at_index(results.highlighted or 0).prompt)
        assert_literal(prompt, f"zz {name} " + text[:20].strip())
        preview = pane.query_one("#phrase-preview-text", Static).render()
        for part in (text.strip(), text[:300].strip(), ANSI[:5], "Hostile " + ANSI[:9]):
            assert_literal(plain(preview), part)
        assert_no_markup_styles(preview)


async def test_an_inserted_hostile_phrase_goes_into_the_note_unchanged(
    hostile_settings: Settings, clock: FakeClock
) -> None:
    app = build_app(hostile_settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_library(app, pilot)
        await pilot.press("f2", "f3")
        await paste(app, pilot, "zz ansi")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one(NoteInput).true_text == ANSI
        await pilot.press("enter")
        await pilot.pause()
        shown = plain(app.screen.query_one(NoteItem).query_one("Label").render())
        assert_literal(shown, ANSI)


# -- history ---------------------------------------------------------------------------------


def seed_hostile_call(settings: Settings, clock: FakeClock) -> int:
    with Database.open(settings.database_path, clock) as store:
        call = call_records.start_call(
            store, "[bold]\x1b[31mEve", "+44 20 7946 0000", "\x1b]0;T\x07"
        )
        for text in HOSTILE.values():
            clock.advance(seconds=10)
            call_records.add_note(store, call.id, text)
        call_records.save_draft(store, call.id, ANSI)
        clock.advance(minutes=2)
        call_records.end_call(store, call.id)
        return call.id


async def test_history_lists_and_details_a_hostile_call_literally(
    settings: Settings, clock: FakeClock
) -> None:
    seed_hostile_call(settings, clock)
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5")
        detail = app.screen.query_one("#history-detail-text", Static)
        await wait_until(pilot, lambda: "Eve" in plain(detail.render()))
        listing = app.screen.query_one("#history-list", OptionList)
        assert_literal(plain(listing.get_option_at_index(0).prompt), "[bold]\x1b[31mEve")
        shown = plain(detail.render())
        for text in (*HOSTILE.values(), "[bold]\x1b[31mEve", "\x1b]0;T\x07"):
            assert_literal(shown, text)
        assert_no_markup_styles(detail.render())


# -- export ----------------------------------------------------------------------------------


def markdown_text(document: str) -> str:
    """The text a Markdown renderer shows, failing on any link, HTML or code it would make."""
    body = document.split("\n---\n", 1)[1]
    parts: list[str] = []
    for token in MarkdownIt("commonmark").parse(body):
        for child in token.children or []:
            assert child.type not in ("link_open", "html_inline", "image", "code_inline"), child
            if child.type == "text":
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append("\n")
        if token.type in ("html_block", "code_block", "fence"):
            raise AssertionError(f"user text made a {token.type}: {token.content[:80]!r}")
    return "\n".join(parts)


def test_calldesk_export_gives_every_hostile_note_back_literally(
    settings: Settings, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    call_id = seed_hostile_call(settings, clock)
    assert main(["export", "--call", str(call_id)]) == 0
    document = capsys.readouterr().out
    assert not any(char in document for char in ESCAPES)
    shown = markdown_text(document)
    for text in (*HOSTILE.values(), "[bold]\x1b[31mEve"):
        for line in visible(text).splitlines():
            assert " ".join(line.split()) in " ".join(shown.split()), line[:80]


# -- the real terminal -------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_no_escape_sequence_from_a_phrase_or_a_paste_reaches_the_terminal(
    private_dirs: Path,
) -> None:
    team = private_dirs / "team"
    team.mkdir()
    (team / "t.yaml").write_text(
        "category: Hostile\nphrases:\n  - id: marker\n    title: zz marker\n"
        '    say: "\\e[31mREDMARK \\e]0;TITLEMARK\\a \\e[2J"\n',
        encoding="utf-8",
    )
    raw = bytearray()
    app = PtyApp(app_env(private_dirs), args=("--phrase-dir", str(team)))
    feed = app.stream.feed

    def record(data: bytes) -> None:
        raw.extend(data)
        feed(data)

    app.stream.feed = record  # type: ignore[method-assign]
    try:
        assert app.wait_for("NO CALL", timeout=30), app.text()
        app.press("f2", "f3")
        app.type("zz marker", per_key=0.02)
        assert app.wait_for("REDMARK"), app.text()
        app.press("escape")
        # A bracketed paste, as a terminal sends it, with escape sequences inside.
        os.write(app.master, b"\x1b[200~\x1b[31mPASTEMARK \x1b]0;PASTETITLE\x07\x1b[201~")
        assert app.wait_for("PASTEMARK"), app.text()
        app.press("enter")
        app.pump(0.5)
        screen = app.text()
    finally:
        app.kill()
    assert "\\x1b[31mREDMARK" in screen and "\\x1b]0;TITLEMARK\\x07" in screen, screen
    assert "PASTEMARK" in screen, screen  # how the terminal layer shows a pasted ESC is Textual's
    for marker in (b"\x1b[31mREDMARK", b"\x1b]0;TITLEMARK", b"\x1b[31mPASTEMARK", b"\x1b]0;PASTE"):
        assert marker not in raw, marker


# -- snapshots -------------------------------------------------------------------------------


def no_blink(app: CalldeskApp) -> None:
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, Input | TextArea):
            widget.cursor_blink = False


def test_snapshot_desk_with_a_markup_and_escape_note_and_phrase(
    snap_compare, hostile_settings: Settings, clock: FakeClock
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await wait_for_library(app, pilot)
        await pilot.press("f2")
        await paste(app, pilot, MARKUP + " " + ANSI)
        await pilot.press("enter")
        await pilot.press("f3")
        await paste(app, pilot, "zz ansi")
        no_blink(app)
        await pilot.pause()

    app = build_app(hostile_settings, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_snapshot_desk_with_a_right_to_left_combining_emoji_note_and_phrase(
    snap_compare, hostile_settings: Settings, clock: FakeClock
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        app = pilot.app
        await wait_for_library(app, pilot)
        await pilot.press("f2")
        await paste(app, pilot, f"{RTL} {COMBINING} {EMOJI}")
        await pilot.press("enter")
        await paste(app, pilot, LONG[:300])
        await pilot.press("f3")
        await paste(app, pilot, "zz rtl")
        no_blink(app)
        await pilot.pause()

    app = build_app(hostile_settings, clock)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_a_bidi_override_in_a_note_does_not_reach_the_terminal(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await paste(app, pilot, "invoice \u202egpj.exe\u202c done")
        await pilot.press("enter")
        await pilot.pause()
        label = app.screen.query_one(NoteItem).query_one("Label")
        shown = "".join(strip.text for strip in label.render_lines(label.region.reset_offset))
        assert "gpj.exe" in shown
        assert "\u202e" not in shown and "\u202c" not in shown
