"""The post-call checklist: the blame, the quick fix, the permanent fix, the trainer's items."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, Label, RadioButton, RadioSet

from calldesk.core.aftercall.checklist import is_answered
from calldesk.core.calls.model import Call
from calldesk.tui.bindings import active_keymap, key_name
from calldesk.tui.text import LiteralInput, clip, literal, visible

if TYPE_CHECKING:
    from calldesk.core.aftercall.checklist import Checklist, ChecklistItem

FIX_FIELDS = (
    ("what", "What would stop this ever happening again?"),
    ("where", "Where is it filed? (ticket, bug, wiki page)"),
    ("owner", "Who owns it?"),
)

SaveAnswer = Callable[[str, Any, bool], None]


class ChecklistItemView(Vertical):
    """One item: its label, help, the control that answers it, and whether it was skipped."""

    def __init__(self, item: ChecklistItem, value: Any, skipped: bool) -> None:
        super().__init__(classes="checklist-item")
        self.item = item
        self.value = value
        self.skipped = skipped

    def compose(self) -> ComposeResult:
        item = self.item
        kind = str(item.kind)
        title = Text(visible(item.label), style="bold")
        if item.required:
            title.append(" *", style="bold red")
        yield Label(title, markup=False)
        if item.help:
            yield Label(
                Text(visible(item.help), style="dim"), markup=False, classes="checklist-help"
            )
        if kind == "check":
            yield Checkbox("Yes", value=self.value is True, id=f"item-{item.id}")
        elif kind == "text":
            yield LiteralInput(
                str(self.value or ""), placeholder="Type the answer", id=f"item-{item.id}"
            )
        elif kind == "choice":
            with RadioSet(id=f"item-{item.id}"):
                for option in item.options:
                    yield RadioButton(literal(option), value=self.value == option)
        else:
            current = self.value if isinstance(self.value, Mapping) else {}
            for key, placeholder in FIX_FIELDS:
                yield LiteralInput(
                    str(current.get(key, "")), placeholder=placeholder, id=f"item-{item.id}-{key}"
                )
        yield Label("", classes="checklist-skipped", markup=False)

    def on_mount(self) -> None:
        self.show_skipped()

    def show_skipped(self) -> None:
        label = self.query_one(".checklist-skipped", Label)
        label.update(
            Text(f"skipped ({skip_key(self.app)} to undo)", style="italic yellow")
            if self.skipped
            else ""
        )
        label.display = self.skipped

    def read_value(self) -> Any:
        kind = str(self.item.kind)
        if kind == "check":
            return self.query_one(Checkbox).value
        if kind == "text":
            return self.query_one(LiteralInput).true_value
        if kind == "choice":
            pressed = self.query_one(RadioSet).pressed_index
            return self.item.options[pressed] if pressed >= 0 else ""
        return {
            key: self.query_one(f"#item-{self.item.id}-{key}", LiteralInput).true_value
            for key, _ in FIX_FIELDS
        }


class ChecklistScreen(Screen[bool]):
    """Dismisses True when done (every required item answered or skipped), False to finish later."""

    HOLDS_ATTENTION = True  # global keys other than F2, F1 and quit stay away

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "done",
            "Done",
            id="checklist-done",
            tooltip="Save the checklist",
            priority=True,
        ),
        Binding(
            "ctrl+n",
            "skip_item",
            "Skip item",
            id="checklist-skip",
            tooltip="Mark the item you are on as skipped",
            priority=True,
        ),
        Binding(
            "escape",
            "later",
            "Finish later",
            id="checklist-later",
            tooltip="Keep what is answered; finish from history",
        ),
    ]

    def __init__(
        self,
        call: Call,
        checklist: Checklist,
        answers: Mapping[str, tuple[Any, bool]],
        save: SaveAnswer,
    ) -> None:
        super().__init__()
        self.call = call
        self.checklist = checklist
        self.answers = dict(answers)
        self._save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="checklist", can_focus=False):  # Tab goes field to field
            title = Text("After the call with ", style="bold")
            title.append(visible(clip(self.call.display_caller(), 40)), style="bold")
            yield Label(title, markup=False, id="checklist-title")
            yield Label(
                Text(
                    "Fix everything twice: the quick fix for them, the permanent fix for everyone.",
                    style="dim",
                ),
                markup=False,
            )
            for item in self.checklist.items:
                value, skipped = self.answers.get(item.id, (None, False))
                yield ChecklistItemView(item, value, skipped)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        first = self.query(ChecklistItemView).first()
        first.query("Checkbox, Input, RadioSet").first().focus()

    def _view_of(self, widget: Widget | None) -> ChecklistItemView | None:
        while widget is not None and not isinstance(widget, ChecklistItemView):
            widget = widget.parent  # type: ignore[assignment]
        return widget

    def _store(self, view: ChecklistItemView) -> None:
        value = view.read_value()
        self.answers[view.item.id] = (value, view.skipped)
        self._save(view.item.id, value, view.skipped)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        if (view := self._view_of(event.checkbox)) is not None:
            self._store(view)

    def on_input_changed(self, event: Input.Changed) -> None:
        if (view := self._view_of(event.input)) is not None:
            self._store(view)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        if (view := self._view_of(event.radio_set)) is not None:
            self._store(view)

    def missing(self) -> list[ChecklistItemView]:
        return [
            view
            for view in self.query(ChecklistItemView)
            if view.item.required
            and not view.skipped
            and not is_answered(view.item, view.read_value())
        ]

    def action_skip_item(self) -> None:
        view = self._view_of(self.focused)
        if view is None:
            return
        view.skipped = not view.skipped
        view.show_skipped()
        self._store(view)

    def action_done(self) -> None:
        missing = self.missing()
        if missing:
            names = "; ".join(clip(view.item.label, 40) for view in missing)
            self.notify(
                f"Answer or skip ({skip_key(self.app)}): {names}",
                title="Not finished",
                severity="warning",
            )
            missing[0].query("Checkbox, Input, RadioSet").first().focus()
            return
        self.dismiss(True)

    def action_later(self) -> None:
        self.dismiss(False)


def skip_key(app: object) -> str:
    """The key that skips an item (or takes the skip back), as bound now."""
    return key_name("checklist-skip", active_keymap(app), ChecklistScreen.BINDINGS)
