"""The post-call checklist: the blame, the quick fix, the permanent fix, the trainer's items."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Input, Label, RadioButton, RadioSet

from calldesk.core.aftercall.checklist import is_answered
from calldesk.core.calls.model import Call, Outcome
from calldesk.tui.bindings import active_keymap, key_name
from calldesk.tui.text import LiteralInput, clip, literal, visible

if TYPE_CHECKING:
    from calldesk.core.aftercall.checklist import Checklist, ChecklistItem
    from calldesk.core.aftercall.suggest import Suggestion

FIX_FIELDS = (
    ("what", "What would stop this ever happening again?"),
    ("where", "Where is it filed? (ticket, bug, wiki page)"),
    ("owner", "Who owns it?"),
)

SaveAnswer = Callable[[str, Any, bool, bool], None]
"""(item id, value, skipped, accepted as suggested) -> stored."""


def checklist_motto(call: Call) -> str:
    """The line under the title: what this checklist is for, after this kind of call."""
    if call.outcome is Outcome.ABUSIVE:
        return "Write it down while it's fresh, and tell someone. It wasn't about you."
    return "Fix everything twice: a quick fix for them, a permanent fix for everyone."


class ChecklistItemView(Vertical):
    """One item: its label, help, the control that answers it, and whether it was skipped."""

    def __init__(
        self,
        item: ChecklistItem,
        value: Any,
        skipped: bool,
        suggestion: Suggestion | None = None,
        answered: bool = False,
    ) -> None:
        super().__init__(classes="checklist-item")
        self.item = item
        self.suggestion = suggestion
        self.pending = suggestion is not None and not answered and not skipped
        """A suggestion is shown in the control but not stored until the agent accepts it."""
        self.value = suggestion.value if self.pending and suggestion is not None else value
        self.skipped = skipped
        stored_other = answered and suggestion is not None and value != suggestion.value
        self.changed = stored_other
        """The agent answered otherwise than suggested."""
        self.accepted = answered and suggestion is not None and not stored_other
        """The suggestion is the stored answer."""

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
        if self.suggestion is not None:
            yield Label("", classes="checklist-source", markup=False)
        yield Label("", classes="checklist-skipped", markup=False)

    def on_mount(self) -> None:
        if not self.children:
            return  # mounted as the app closes: Textual has already taken its parts down
        self.show_skipped()
        self.show_source()

    def show_source(self) -> None:
        """Where the suggested answer came from, and whether it is still only suggested."""
        suggestion = self.suggestion
        if suggestion is None:
            return
        self.set_class(self.pending, "suggested")
        source = visible(suggestion.source)  # a note's words, shown as written
        if self.pending:
            text = Text("suggested", style="bold yellow")
            text.append(f" from {source}. {accept_key(self.app)} accepts", style="dim")
        elif self.changed:
            text = Text(f"you changed the suggestion from {source}", style="dim")
        else:
            text = Text(f"from {source}", style="dim")
        self.query_one(".checklist-source", Label).update(text)

    def matches_suggestion(self) -> bool:
        return self.suggestion is not None and self.read_value() == self.suggestion.value

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
            "ctrl+y",
            "accept",
            "Accept",
            id="checklist-accept",
            tooltip="Accept every answer suggested from the call (Enter in a field: that one)",
            priority=True,
        ),
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
        suggestions: Sequence[Suggestion] = (),
    ) -> None:
        super().__init__()
        self.call = call
        self.suggestions = {suggestion.item_id: suggestion for suggestion in suggestions}
        # Only what applies: after an abusive call the incident, not the blame.
        self.checklist = checklist.for_outcome(call.outcome.value if call.outcome else None)
        self.answers = dict(answers)
        self._save = save

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="checklist", can_focus=False):  # Tab goes field to field
            title = Text("After the call with ", style="bold")
            title.append(visible(clip(self.call.display_caller(), 40)), style="bold")
            yield Label(title, markup=False, id="checklist-title")
            yield Label(Text(checklist_motto(self.call), style="dim"), markup=False)
            for item in self.checklist.items:
                value, skipped = self.answers.get(item.id, (None, False))
                answered = item.id in self.answers and is_answered(item, value)
                yield ChecklistItemView(
                    item, value, skipped, self.suggestions.get(item.id), answered
                )
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # None when the screen is mounted as the app closes (a tick brought it back then).
        first = next(iter(self.query(ChecklistItemView)), None)
        field = first and next(iter(first.query("Checkbox, Input, RadioSet")), None)
        if field is not None:
            field.focus()

    def _view_of(self, widget: Widget | None) -> ChecklistItemView | None:
        while widget is not None and not isinstance(widget, ChecklistItemView):
            widget = widget.parent  # type: ignore[assignment]
        return widget

    def _store(self, view: ChecklistItemView, accepted: bool = False) -> None:
        value = view.read_value()
        self.answers[view.item.id] = (value, view.skipped)
        self._save(view.item.id, value, view.skipped, accepted)

    def _changed(self, view: ChecklistItemView | None) -> None:
        if view is None:
            return
        if view.pending or view.accepted:
            if view.matches_suggestion():
                return  # the control showing the suggestion: not an answer until accepted
            view.pending = view.accepted = False
            view.changed = True  # the agent's own answer from here on
            view.show_source()
            self.refresh_bindings()
        self._store(view)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._changed(self._view_of(event.checkbox))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._changed(self._view_of(event.input))

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self._changed(self._view_of(event.radio_set))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a field that shows a suggestion accepts that one."""
        view = self._view_of(event.input)
        if view is not None and view.pending:
            event.stop()
            self._accept(view)

    def on_key(self, event: events.Key) -> None:
        """Space or Enter on the suggested choice itself (already selected) accepts it.

        The choice's own binding runs after this: picking another option changes the answer
        (`_changed`); picking the suggested one changes nothing, so it is accepted here,
        once the binding has run.
        """
        if event.key not in ("space", "enter") or not isinstance(self.focused, RadioSet):
            return
        view = self._view_of(self.focused)
        if view is not None and view.pending:
            self.call_after_refresh(self._accept_if_still_suggested, view)

    def _accept_if_still_suggested(self, view: ChecklistItemView) -> None:
        if view.pending and view.matches_suggestion():
            self._accept(view)

    def pending(self) -> list[ChecklistItemView]:
        return [view for view in self.query(ChecklistItemView) if view.pending]

    def _accept(self, view: ChecklistItemView) -> None:
        view.pending = False
        view.accepted = view.matches_suggestion()
        view.show_source()
        self._store(view, accepted=view.accepted)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "accept":
            return bool(self.pending())  # in the footer only while something is suggested
        return True

    def action_accept(self) -> None:
        """Accept every suggestion still waiting; each keeps its source on screen."""
        waiting = self.pending()
        for view in waiting:
            self._accept(view)
        if waiting:
            self.notify(
                f"Accepted {len(waiting)} suggested answer{'s' if len(waiting) != 1 else ''}.",
                timeout=3,
            )

    def missing(self) -> list[ChecklistItemView]:
        return [
            view
            for view in self.query(ChecklistItemView)
            if view.item.required
            and not view.skipped
            and (view.pending or not is_answered(view.item, view.read_value()))
        ]

    def action_skip_item(self) -> None:
        view = self._view_of(self.focused)
        if view is None:
            return
        view.skipped = not view.skipped
        view.show_skipped()
        if view.pending:  # skipped: the suggestion was not taken
            view.pending = False
            view.show_source()
            self.refresh_bindings()
        self._store(view)

    def _store_what_the_fields_show(self) -> None:
        """The fields' Changed messages can still be on their way when the agent saves: keep
        what each field shows now, not what the last message said."""
        for view in self.query(ChecklistItemView):
            stored, _skipped = self.answers.get(view.item.id, (view.value, view.skipped))
            if view.read_value() != stored:
                self._changed(view)

    def action_done(self) -> None:
        self._store_what_the_fields_show()
        missing = self.missing()
        if missing:
            names = "; ".join(clip(view.item.label, 40) for view in missing)
            what = f"Answer or skip ({skip_key(self.app)})"
            if self.pending():
                what = f"Accept the suggestions ({accept_key(self.app)}), answer or skip"
                what += f" ({skip_key(self.app)})"
            self.notify(
                f"{what}: {names}",
                title="Not finished",
                severity="warning",
            )
            missing[0].query("Checkbox, Input, RadioSet").first().focus()
            return
        self.dismiss(True)

    def action_later(self) -> None:
        self._store_what_the_fields_show()
        self.dismiss(False)


def skip_key(app: object) -> str:
    """The key that skips an item (or takes the skip back), as bound now."""
    return key_name("checklist-skip", active_keymap(app), ChecklistScreen.BINDINGS)


def accept_key(app: object) -> str:
    """The key that accepts the suggested answers, as bound now."""
    return key_name("checklist-accept", active_keymap(app), ChecklistScreen.BINDINGS)
