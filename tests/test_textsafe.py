"""The one escaping rule for outside text, and editing text that is shown escaped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calldesk.core.textsafe import ShownText, has_hidden, is_hidden, visible, visible_line

ESC = "\x1b"
# What a caller, a trainer or a paste can carry: controls, C1, bidi, separators, joiners.
NASTY = [ESC, "\x07", "\x9b", "\x85", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029", "\ufeff"]
KEPT = ["\n", "\t", "\u200d", "\u00a0", "é", "日", "\\", "x", "1", "b", " "]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("two\nlines\tand a tab", "two\nlines\tand a tab"),
        ("\x1b]52;c;Y3VybA==\x07", "\\x1b]52;c;Y3VybA==\\x07"),
        ("csi \x9b2J", "csi \\x9b2J"),
        ("invoice \u202egpj.exe", "invoice \\u202egpj.exe"),
        ("line\u2028separator\u2029", "line\\u2028separator\\u2029"),
        ("nbsp\u00a0and joiner 👩\u200d💻", "nbsp\u00a0and joiner 👩\u200d💻"),
        ("tag \U000e0001", "tag \\U000e0001"),
    ],
)
def test_visible_escapes_exactly_the_hidden_characters(text: str, shown: str) -> None:
    assert visible(text) == shown
    assert has_hidden(text) == (text != shown)


@given(st.text())
def test_visible_never_leaves_a_hidden_character(text: str) -> None:
    shown = visible(text)
    assert not any(is_hidden(char) for char in shown)
    assert not has_hidden(shown)
    assert visible(shown) == shown


# -- editing the shown text -------------------------------------------------------------------


def test_an_untouched_escape_keeps_its_character() -> None:
    name = ShownText(f"Pat{ESC}[31m Smith")
    assert name.shown == "Pat\\x1b[31m Smith"
    start = name.shown.index(" Smith")
    name.replace(start, start, " J.")  # the agent adds an initial
    assert name.text == f"Pat{ESC}[31m J. Smith"
    assert name.shown == visible(name.text)


def test_an_escape_cut_into_becomes_the_text_it_showed() -> None:
    name = ShownText(f"Pat{ESC}")
    name.replace(len(name.shown) - 1, len(name.shown), "")  # backspace over the "b"
    assert (name.text, name.shown) == ("Pat\\x1", "Pat\\x1")


def test_typing_inside_an_escape_makes_it_plain_text() -> None:
    name = ShownText(ESC)
    name.replace(2, 2, "Z")
    assert (name.text, name.shown) == ("\\xZ1b", "\\xZ1b")


def test_typing_next_to_an_escape_keeps_it() -> None:
    name = ShownText(ESC)
    name.replace(0, 0, "\\")  # a backslash right before `\x1b` still leaves the escape whole
    name.replace(len(name.shown), len(name.shown), "!")
    assert name.text == f"\\{ESC}!"


def test_a_pasted_hidden_character_is_kept_and_shown_escaped() -> None:
    note = ShownText("a b")
    edit = note.replace(1, 2, f"{ESC}[2J")
    assert (note.text, note.shown) == (f"a{ESC}[2Jb", "a\\x1b[2Jb")
    assert edit.inserted == "\\x1b[2J"


def test_a_one_line_text_shows_newlines_and_tabs_as_escapes_and_keeps_them() -> None:
    shown = ShownText("a\nb\tc\r", one_line=True)
    assert shown.shown == visible_line("a\nb\tc\r") == "a\\x0ab\\x09c\\x0d"
    shown.replace(len(shown.shown), len(shown.shown), "!\n")
    assert shown.text == "a\nb\tc\r!\n" and shown.shown == "a\\x0ab\\x09c\\x0d!\\x0a"
    assert visible("a\nb\t") == "a\nb\t"  # notes keep their lines


def test_replacing_everything_drops_every_mark() -> None:
    note = ShownText(f"{ESC}{ESC}")
    note.replace(0, len(note.shown), "new")
    assert (note.text, note.marks) == ("new", ())


class Reference:
    """The same rules, the slow and obvious way: one cell per shown character.

    A cell of an escape carries the hidden character it stands for; a cell that the edit
    separates from the rest of its escape stands only for itself.
    """

    def __init__(self, text: str) -> None:
        self.cells: list[tuple[str, int | None]] = []
        self.hidden: dict[int, str] = {}
        self.cells = self._cells(text)

    def _cells(self, text: str) -> list[tuple[str, int | None]]:
        cells: list[tuple[str, int | None]] = []
        for char in text:
            if is_hidden(char):
                key = len(self.hidden) + 1
                self.hidden[key] = char
                cells += [(shown, key) for shown in visible(char)]
            else:
                cells.append((char, None))
        return cells

    def replace(self, start: int, end: int, new: str) -> None:
        cells = self.cells
        touched = {key for _, key in cells[start:end]}
        if 0 < start < len(cells) and cells[start - 1][1] == cells[start][1]:
            touched.add(cells[start][1])  # typing inside an escape
        touched.discard(None)
        kept = [(char, None if key in touched else key) for char, key in cells]
        self.cells = kept[:start] + self._cells(new) + kept[end:]

    @property
    def text(self) -> str:
        parts: list[str] = []
        previous = None
        for char, key in self.cells:
            if key is None:
                parts.append(char)
            elif key != previous:
                parts.append(self.hidden[key])
            previous = key
        return "".join(parts)

    @property
    def shown(self) -> str:
        return "".join(char for char, _ in self.cells)


alphabet = st.sampled_from(NASTY + KEPT)
texts = st.lists(alphabet, max_size=8).map("".join)
edits = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60), texts), max_size=6)


@settings(max_examples=400)
@given(texts, edits)
def test_edits_keep_what_was_left_whole_and_show_everything(
    text: str, steps: list[tuple[int, int, str]]
) -> None:
    model = ShownText(text)
    reference = Reference(text)
    for start, end, new in steps:
        start, end = sorted((min(start, len(model.shown)), min(end, len(model.shown))))
        model.replace(start, end, new)
        reference.replace(start, end, new)
        assert model.shown == visible(model.text)
        assert (model.text, model.shown) == (reference.text, reference.shown)


@settings(max_examples=300)
@given(texts, edits)
def test_undo_and_redo_restore_the_hidden_characters(
    text: str, steps: list[tuple[int, int, str]]
) -> None:
    model = ShownText(text)
    states = [(model.text, model.shown)]
    done = []
    for start, end, new in steps:
        done.append(model.replace(min(start, len(model.shown)), min(end, len(model.shown)), new))
        states.append((model.text, model.shown))
    for edit, state in zip(reversed(done), reversed(states[:-1]), strict=True):
        model.undo(edit)
        assert (model.text, model.shown) == state
    for edit, state in zip(done, states[1:], strict=True):
        model.redo(edit)
        assert (model.text, model.shown) == state
