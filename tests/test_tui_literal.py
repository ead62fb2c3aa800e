"""Outside text in the widgets an agent edits and in toasts: shown escaped, kept exactly.

The caller fields, the note being typed and the edit-note dialog show `visible()` text while
the model keeps the true text; editing keeps every escape the agent leaves whole. The real
terminal's byte stream is checked in `test_terminal_bytes.py`.
"""

from __future__ import annotations

from tests.tui_helpers import build_app, type_text, wait_for_screen, wait_until
from textual import events
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Label, RadioButton

from calldesk.config import Settings
from calldesk.core.aftercall.checklist import Checklist, ChecklistItem, ItemKind
from calldesk.core.calls.model import Call
from calldesk.core.clock import FakeClock
from calldesk.core.phone.events import PhoneEvent
from calldesk.core.textsafe import has_hidden, visible
from calldesk.tui.app import CalldeskApp
from calldesk.tui.dialogs.confirm import ConfirmDialog
from calldesk.tui.dialogs.edit_note import EditNoteDialog
from calldesk.tui.dialogs.outcome import OutcomeDialog
from calldesk.tui.screens.checklist import ChecklistScreen
from calldesk.tui.text import LiteralInput, LiteralTextArea
from calldesk.tui.widgets.note_input import NoteInput

OSC52 = "\x1b]52;c;Y3VybCBldmlsIHwgc2g=\x07"
NAME = f"Eve{OSC52}\x1b[2J\x1b[41m\u202eRED\u2028\x9b"


def shown_lines(widget: Widget) -> str:
    """What the widget draws, cell text only, as the terminal would get it."""
    return "\n".join(
        "".join(segment.text for segment in widget.render_line(y))
        for y in range(widget.size.height)
    )


def assert_shown_literally(shown: str, text: str) -> None:
    assert visible(text) in shown, shown
    assert not has_hidden(shown), repr(shown)


async def ring(app: CalldeskApp, name: str, number: str = "1001") -> None:
    await app.phone_event(PhoneEvent.create("ring", number=number, name=name, call_id="c1"))


def toasts(app: CalldeskApp) -> list[tuple[str, str]]:
    return [(note.title, note.message) for note in app._notifications]


# -- the caller fields ----------------------------------------------------------------------


async def test_a_hostile_caller_name_is_shown_escaped_and_stored_exactly(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ring(app, NAME, "1001\u202e")
        await pilot.pause()
        assert app.desk.call is not None and app.desk.call.caller_name == NAME
        name_field = app.screen.query_one("#caller_name", LiteralInput)
        assert name_field.true_value == NAME
        assert_shown_literally(name_field.value, NAME)
        number_field = app.screen.query_one("#caller_number", LiteralInput)
        assert app.desk.call.caller_number == number_field.true_value == "1001\u202e"
        for field in (name_field, number_field):
            field.styles.width = 200  # the whole text in view
            field.cursor_position = 0
        await wait_until(pilot, lambda: visible(NAME) in shown_lines(name_field))
        assert_shown_literally(shown_lines(name_field), NAME)
        await wait_until(pilot, lambda: "1001\\u202e" in shown_lines(number_field))
        assert_shown_literally(shown_lines(number_field), "1001\u202e")
        ringing = [message for title, message in toasts(app) if title == "Ringing"]
        assert ringing and not has_hidden(ringing[0]) and "\\x1b]52" in ringing[0]


async def test_line_breaks_and_tabs_in_a_caller_field_are_shown_as_escapes(
    settings: Settings, clock: FakeClock
) -> None:
    """A one-line field cannot show a newline: it drew raw and broke the pane's border."""
    app = build_app(settings, clock)
    name = "Line1\nLine2\r\tTab\x85"
    async with app.run_test(size=(80, 24)) as pilot:
        await ring(app, name, "10\t01\n")
        await pilot.pause()
        assert app.desk.call is not None
        assert app.desk.call.caller_name == name and app.desk.call.caller_number == "10\t01\n"
        name_field = app.screen.query_one("#caller_name", LiteralInput)
        number_field = app.screen.query_one("#caller_number", LiteralInput)
        assert name_field.true_value == name
        assert name_field.value == "Line1\\x0aLine2\\x0d\\x09Tab\\x85"
        assert number_field.value == "10\\x0901\\x0a"
        name_field.cursor_position = 0
        await wait_until(pilot, lambda: "Line1\\x0aLine2" in shown_lines(name_field))
        for field in (name_field, number_field):
            drawn = shown_lines(field)
            assert "\t" not in drawn and "\r" not in drawn, drawn
            assert drawn.count("\n") == field.size.height - 1, drawn
        # Editing the field keeps the escapes left whole: still the exact text.
        await pilot.press("f4", "end")
        await type_text(pilot, "!")
        await wait_until(pilot, lambda: app.desk.call.caller_name == name + "!")


async def test_editing_a_hostile_caller_name_keeps_what_the_agent_did_not_touch(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ring(app, "Eve\x1b[31m")
        await pilot.pause()
        await pilot.press("f4", "end")
        await type_text(pilot, " Smith")
        await wait_until(pilot, lambda: app.desk.call.caller_name == "Eve\x1b[31m Smith")
        name_field = app.screen.query_one("#caller_name", LiteralInput)
        assert name_field.value == "Eve\\x1b[31m Smith"
        await pilot.press(*["backspace"] * 10)  # " Smith" and "[31m": the escape stays whole
        await wait_until(pilot, lambda: app.desk.call.caller_name == "Eve\x1b")
        # One more cuts into the escape: what is left is the text the agent sees, no ESC.
        await pilot.press("backspace")
        await wait_until(pilot, lambda: app.desk.call.caller_name == "Eve\\x1")
        assert name_field.value == "Eve\\x1"


async def test_a_pasted_escape_in_a_caller_field_is_kept_and_shown_escaped(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2", "f4")
        app.post_message(events.Paste("\x1b]0;title\x07Pat"))
        await wait_until(pilot, lambda: app.desk.call.caller_name == "\x1b]0;title\x07Pat")
        name_field = app.screen.query_one("#caller_name", LiteralInput)
        assert name_field.value == "\\x1b]0;title\\x07Pat"


async def test_the_call_ended_toast_and_the_outcome_dialog_show_the_caller_escaped(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await ring(app, NAME)
        await app.phone_event(PhoneEvent.create("answer", call_id="c1"))
        await pilot.pause()
        await app.phone_event(PhoneEvent.create("hangup", call_id="c1"))
        dialog = await wait_for_screen(pilot, OutcomeDialog)
        ended = [message for _, message in toasts(app) if "ended after" in message]
        assert ended, toasts(app)
        assert_shown_literally(ended[0], NAME)
        title = dialog.query_one(".dialog-title", Label)
        assert_shown_literally(str(title.render()), NAME)


async def test_notify_shows_message_and_title_literally(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify(f"[bold]{OSC52}", title="\u202etitle\x1b[2J")
        await pilot.pause()
        title, message = toasts(app)[-1]
        assert (message, title) == (visible(f"[bold]{OSC52}"), "\\u202etitle\\x1b[2J")
        await wait_until(pilot, lambda: bool(app.screen.query("Toast")))
        rendered = app.screen.query_one("Toast").render()
        assert isinstance(rendered, Content) and "[bold]" in rendered.plain
        assert not has_hidden(rendered.plain)


# -- notes ------------------------------------------------------------------------------------


async def test_the_note_being_typed_shows_a_paste_escaped_and_keeps_it_through_undo(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        note = app.screen.query_one(NoteInput)
        app.post_message(events.Paste(f"a{OSC52}b\r\nline two \u202e"))
        expected = f"a{OSC52}b\nline two \u202e"
        await wait_until(pilot, lambda: note.true_text == expected)
        assert note.text == visible(expected)
        assert not has_hidden(shown_lines(note))
        await type_text(pilot, "!")
        await wait_until(pilot, lambda: app.desk.call.draft == expected + "!")
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: note.true_text == expected)
        await pilot.press("ctrl+z")
        await wait_until(pilot, lambda: note.true_text == "")
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: note.true_text == expected)
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.desk.call.notes) == 1)
        assert app.desk.call.notes[0].text == expected


async def test_the_edit_note_dialog_shows_the_note_escaped_and_keeps_it_exact(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        app.post_message(events.Paste(f"pay {OSC52}now"))
        await pilot.pause()
        await pilot.press("enter", "shift+tab")
        await wait_until(pilot, lambda: len(app.desk.call.notes) == 1)
        await pilot.press("up", "enter")
        dialog = await wait_for_screen(pilot, EditNoteDialog)
        area = dialog.query_one(LiteralTextArea)
        assert area.text == visible(f"pay {OSC52}now")
        assert not has_hidden(shown_lines(area))
        await type_text(pilot, " please")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.desk.call.notes[0].text.endswith("please"))
        assert app.desk.call.notes[0].text == f"pay {OSC52}now please"


async def test_the_delete_question_quotes_the_note_literally(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        app.post_message(events.Paste(f"[red]x{OSC52}"))
        await pilot.pause()
        await pilot.press("enter", "shift+tab")
        await wait_until(pilot, lambda: len(app.desk.call.notes) == 1)
        await pilot.press("up", "delete")
        dialog = await wait_for_screen(pilot, ConfirmDialog)
        shown = [label.render() for label in dialog.query(Label)]
        detail = next(str(text) for text in shown if "x\\x1b" in str(text))
        assert detail == visible(f"[red]x{OSC52}")


# -- the checklist ----------------------------------------------------------------------------


async def test_checklist_options_answers_and_caller_are_shown_literally(
    settings: Settings, clock: FakeClock
) -> None:
    from calldesk.core.aftercall.suggest import Suggestion

    checklist = Checklist(
        (
            ChecklistItem("how", "How\x1b[2J", ItemKind.CHOICE, options=("[b]phone", "c\u202e")),
            ChecklistItem("note", "Answer", ItemKind.TEXT),
        )
    )
    call = Call(id=0, started_at=clock.now(), caller_name=NAME)
    saved: dict[str, object] = {}
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 40)) as pilot:
        screen = ChecklistScreen(
            call,
            checklist,
            {"note": (f"stored {OSC52}", False)},
            lambda item, value, skipped, suggested: saved.__setitem__(item, value),
            [Suggestion("note", "other", f"note at 10:00: '#quick-fix {OSC52}'")],
        )
        await app.push_screen(screen)
        await pilot.pause()
        labels = [button.label.plain for button in screen.query(RadioButton)]
        assert labels == ["[b]phone", "c\\u202e"]
        title = screen.query_one("#checklist-title", Label).render()
        assert_shown_literally(str(title), NAME[:20])
        answer = screen.query_one("#item-note", LiteralInput)
        assert answer.value == visible(f"stored {OSC52}")
        answer.focus()
        await pilot.press("end", "!")
        await wait_until(pilot, lambda: saved.get("note") == f"stored {OSC52}!")
        source = str(screen.query_one(".checklist-source", Label).render())
        assert source.startswith("you changed the suggestion from note at 10:00")
        for widget in screen.query(Label):
            assert not has_hidden(str(widget.render()))


async def test_a_paste_into_the_command_palette_arrives_escaped(
    settings: Settings, clock: FakeClock
) -> None:
    app = build_app(settings, clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: bool(app.screen.query("CommandList")))
        palette = app.screen
        app.post_message(events.Paste(f"his{OSC52}tory"))
        palette_input = palette.query_one("CommandInput")
        await wait_until(pilot, lambda: bool(palette_input.value))
        assert palette_input.value == visible(f"his{OSC52}tory")
        assert not has_hidden(shown_lines(palette_input))
        # Close it and let its search finish, so the app does not stop in the middle of one.
        await wait_until(pilot, lambda: not palette.workers)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is not palette)
