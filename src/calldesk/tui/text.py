"""The one boundary between outside text and the screen: every widget shows it through `visible`.

Caller ID, notes, phrase files, file names and messages that quote them reach the terminal
only as `literal()` Text (labels, statics, options, table cells), through the app's `notify`
(toasts), or in the two editable fields below, which show `visible()` text and keep the true
text for the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import events
from textual.app import App
from textual.message import Message
from textual.notifications import Notify, SeverityLevel
from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult, Location

from calldesk.core.textsafe import ShownEdit, ShownText, visible

__all__ = ["LiteralInput", "LiteralTextArea", "clip", "literal", "visible"]


def literal(text: str, style: str = "") -> Text:
    """Rich Text that never interprets markup or escape sequences in `text`."""
    return Text(visible(text), style=style)


def clip(text: str, width: int) -> str:
    """One line of at most `width` characters, ending in an ellipsis when cut."""
    line = " ".join(text.split())
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


class LiteralInput(Input):
    """A one-line field for text that may come from outside (caller ID, stored answers, pastes).

    It shows `visible_line(text)` (a newline or tab as `\\x0a`, `\\x09`: one line cannot
    show them), so no escape sequence, control or bidi override reaches the
    terminal, and it keeps the true text in `true_value`, which is also what its `Changed`
    and `Submitted` messages carry. Setting `value` from code sets the true text. While the
    agent edits, an escape left whole keeps its hidden character; one the agent cuts into
    becomes the plain text it showed (see `ShownText`). `max_length` counts true characters.
    """

    def __init__(self, value: str | None = None, **kwargs: Any) -> None:
        self._shown = ShownText(one_line=True)
        self._editing = False
        super().__init__(value, **kwargs)  # through `validate_value`, as any value set from code

    @property
    def true_value(self) -> str:
        """The text as it really is, hidden characters included."""
        return self._shown.text

    def validate_value(self, value: str) -> str:
        if not self._editing:  # set from code: `value` is the true text, to be shown
            self._shown = ShownText(value, one_line=True)
        return self._shown.shown

    def replace(self, text: str, start: int, end: int) -> None:
        """Every edit of Input comes here: apply it to what is shown, keeping the true text."""
        edit = self._shown.replace(start, end, text)
        if self.max_length and len(self._shown.text) > self.max_length:
            self._shown.undo(edit)
            self.restricted()
            return
        self._editing = True
        try:
            self.value = self._shown.shown
        finally:
            self._editing = False
        self.cursor_position = edit.start + len(edit.inserted)

    def post_message(self, message: Message) -> bool:
        if isinstance(message, Input.Changed | Input.Submitted) and message.input is self:
            message.value = self.true_value
        return super().post_message(message)


@dataclass
class _ShownEditOf(Edit):
    """A TextArea edit of the shown text, with what it did to the true text."""

    shown_edit: ShownEdit | None = field(default=None, kw_only=True)


class LiteralTextArea(TextArea):
    """A text area for notes, drafts and phrases: shows `visible()` text, keeps the true text.

    The document holds what is shown; `true_text` is the text as it really is. Typing, pastes,
    inserts, undo and redo all keep the two in step (see `ShownText`). Windows line ends in
    what comes in become plain newlines, as TextArea itself would make them.
    """

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        self._shown = ShownText(_unix_lines(text))
        super().__init__(self._shown.shown, **kwargs)

    @property
    def true_text(self) -> str:
        """The text as it really is, hidden characters included."""
        return self._shown.text

    def load_text(self, text: str) -> None:
        self._shown = ShownText(_unix_lines(text))
        super().load_text(self._shown.shown)

    def edit(self, edit: Edit) -> EditResult:
        """Every change but undo and redo comes here: apply it to the shown text."""
        start = self._index(edit.from_location)
        end = self._index(edit.to_location)
        shown_edit = self._shown.replace(start, end, _unix_lines(edit.text))
        return super().edit(
            _ShownEditOf(
                shown_edit.inserted,
                edit.from_location,
                edit.to_location,
                edit.maintain_selection_offset,
                shown_edit=shown_edit,
            )
        )

    def undo(self) -> None:
        batch = self.history.undo_stack[-1] if self.history.undo_stack else []
        super().undo()
        for edit in reversed(batch):
            if isinstance(edit, _ShownEditOf) and edit.shown_edit is not None:
                self._shown.undo(edit.shown_edit)

    def redo(self) -> None:
        batch = self.history.redo_stack[-1] if self.history.redo_stack else []
        super().redo()
        for edit in batch:
            if isinstance(edit, _ShownEditOf) and edit.shown_edit is not None:
                self._shown.redo(edit.shown_edit)

    def _index(self, location: Location) -> int:
        """The offset of `location` in the shown text, clamped to the document."""
        document = self.document
        row, column = location
        last = document.line_count - 1
        if row > last:
            return len(self._shown.shown)
        row = max(0, row)
        column = max(0, min(column, len(document.get_line(row))))
        return document.get_index_from_location((row, column))


def _unix_lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


class LiteralApp(App[None]):
    """An app whose toasts and Textual's own fields show text literally (the display boundary)."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every toast goes through here: caller names, phrase titles, paths and errors that
        quote them are shown literally (no markup, no escape sequence reaches the terminal)."""
        super().notify(
            visible(message),
            title=visible(title),
            severity=severity,
            timeout=timeout,
            markup=False,
        )

    MAX_TOASTS = 3
    """Toasts shown at once: at 80x24 more would cover the dialog the agent is answering."""

    def _on_notify(self, event: Notify) -> None:
        super()._on_notify(event)  # type: ignore[misc]
        shown = list(self._notifications)
        for oldest in shown[: max(0, len(shown) - self.MAX_TOASTS)]:
            self._unnotify(oldest, refresh=False)
        if len(shown) > self.MAX_TOASTS:
            self._refresh_notifications()

    async def on_event(self, event: events.Event) -> None:
        """A paste into one of Textual's own fields (the command palette) arrives escaped.

        calldesk's fields show a paste escaped and keep it exactly (see `calldesk.tui.text`);
        Textual's would draw an escape sequence in it raw.
        """
        if (
            isinstance(event, events.Paste)
            and not event.is_forwarded
            and not isinstance(self.focused, LiteralInput | LiteralTextArea)
        ):
            event = events.Paste(visible(event.text))
        await super().on_event(event)
