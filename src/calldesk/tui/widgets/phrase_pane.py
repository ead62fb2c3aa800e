"""The phrase pane: search as you type, a ranked result list and a preview of the chosen phrase.

With the search box empty on a call, phrases suggested by the notes lead the list (marked ★).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from calldesk.tui.text import LiteralInput, clip, literal, visible

if TYPE_CHECKING:
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.library.problems import Problem
    from calldesk.core.library.search import PhraseIndex
    from calldesk.core.library.suggest import Suggestion

RESULT_LIMIT = 100


SUGGESTED = "★ "


def phrase_option(phrase: Phrase, suggested: bool = False) -> Option:
    prompt = Text(visible(clip(phrase.title, 60)), no_wrap=True, overflow="ellipsis")
    if suggested:
        prompt = Text.assemble((SUGGESTED, "bold"), prompt, no_wrap=True, overflow="ellipsis")
    prompt.append(f" · {visible(clip(phrase.category, 24))}", style="dim")
    return Option(prompt, id=phrase.id)


def preview_text(phrase: Phrase, say: str, matched: Sequence[str] = (), reason: str = "") -> Text:
    """The phrase as the agent reads it before saying it: words first, then when and instead-of.

    `matched` says how the search found it where not word for word ("lawyer → legal threat");
    `reason` why it is suggested ("because you wrote 'sue'").
    """
    text = Text(visible(phrase.title), style="bold")
    text.append(f"\n{visible(phrase.category)}", style="dim")
    if phrase.tags:
        text.append("  " + " ".join(f"#{visible(tag)}" for tag in phrase.tags), style="dim")
    if reason:
        text.append(f"\n{SUGGESTED}suggested {visible(clip(reason, 120))}", style="dim italic")
    if matched:
        text.append(f"\nmatched: {visible(clip(', '.join(matched), 120))}", style="dim italic")
    text.append("\n\n")
    text.append(visible(say))
    if phrase.when:
        text.append("\n\nWhen: ", style="bold")
        text.append(visible(phrase.when))
    if phrase.instead_of:
        text.append("\nInstead of: ", style="bold")
        text.append(visible(phrase.instead_of), style="italic")
    return text


def short_problem(problem: Problem) -> str:
    """`file.yaml:3:5: message`: the file's name only, so it fits beside the notes."""
    where = (
        problem.path.name
        if problem.line <= 0
        else f"{problem.path.name}:{problem.line}:{problem.column}"
    )
    hint = f" ({problem.hint})" if problem.hint else ""  # "did you mean 'say'?" is the fix
    return clip(f"{where}: {problem.message}{hint}", 240)


class SearchBox(LiteralInput):
    """The phrase search field; arrow keys move through the results without leaving it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move(1)", "Next", show=False),
        Binding("up", "move(-1)", "Previous", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def on_blur(self) -> None:
        pane = next((node for node in self.ancestors if isinstance(node, PhrasePane)), None)
        if pane is not None:
            pane.left_search()

    def action_move(self, step: int) -> None:
        results = self.screen.query_one("#phrase-results", OptionList)
        if results.option_count:
            current = results.highlighted if results.highlighted is not None else -1
            results.highlighted = max(0, min(results.option_count - 1, current + step))


class PhrasePane(Vertical):
    """Find a phrase in two or three keystrokes; Enter puts it in the notes, ctrl+y copies it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "insert",
            "Insert in notes",
            id="phrase-insert",
            tooltip="Put the phrase into the note you are typing",
        ),
        Binding(
            "ctrl+y",
            "copy",
            "Copy",
            id="phrase-copy",
            tooltip="Copy the phrase to the clipboard",
            show=False,  # the pane's subtitle says it, to keep the footer to one line
        ),
        Binding("escape", "back", "Back to notes", id="phrase-back", show=False),
        Binding(
            "ctrl+n",
            "dismiss",
            "Not now",
            id="phrase-dismiss",
            tooltip="Hide this ★ suggestion for the rest of the call",
            show=False,
        ),
    ]

    @dataclass
    class Chosen(Message):
        """The agent picked a phrase to insert or copy."""

        phrase: Phrase
        action: str

    @dataclass
    class SearchMissed(Message):
        """The agent left a search that found nothing (for the team's "phrases to write")."""

        query: str

    @dataclass
    class Dismissed(Message):
        """The agent does not want this suggestion again on this call."""

        phrase: Phrase

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.index: PhraseIndex | None = None
        self.say_for: Callable[[Phrase], str] = lambda phrase: phrase.say
        self._hits: list[Phrase] = []
        self._starters: list[Phrase] | None = None
        self._why: Mapping[str, tuple[str, ...]] = {}
        self._suggested: dict[str, Suggestion] = {}  # by phrase id, newest first

    def compose(self) -> ComposeResult:
        yield SearchBox(placeholder="Search (tag:blame cat:abuse)", id="phrase-search")
        # Problems go at the top: a toast (bottom right) would cover them at the bottom.
        yield Label("", id="phrase-problems", markup=False)
        yield OptionList(id="phrase-results")
        with VerticalScroll(id="phrase-preview"):
            yield Static("", id="phrase-preview-text", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Phrases"
        self.border_subtitle = "loading…"
        self.query_one("#phrase-problems").display = False

    @property
    def query_text(self) -> str:
        return self.query_one(SearchBox).true_value

    @property
    def selected(self) -> Phrase | None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None or highlighted >= len(self._hits):
            return None
        return self._hits[highlighted]

    def set_index(
        self,
        index: PhraseIndex,
        problems: Sequence[Problem] = (),
        starters: Sequence[Phrase] | None = None,
    ) -> None:
        """Show a (re)loaded library, keeping the agent's query and selection.

        `starters` is what an empty search lists: the opening phrases and the agent's most
        used (see `calldesk.core.library.starters`); without it, the library A to Z.
        """
        keep = self.selected.id if self.selected else None
        self.index = index
        self._starters = list(starters) if starters is not None else None
        # Suggestions on show become the new library's phrases; a removed one goes.
        kept = {i: (index.get(i), s) for i, s in self._suggested.items()}
        self._suggested = {
            i: replace(s, phrase=phrase) for i, (phrase, s) in kept.items() if phrase is not None
        }
        self.show_problems(problems)
        self.run_search(keep=keep)

    def show_problems(self, problems: Sequence[Problem]) -> None:
        label = self.query_one("#phrase-problems", Label)
        errors = [problem for problem in problems if problem.is_error]
        if not errors:
            label.display = False
            return
        lines = [f"⚠ {len(errors)} phrase file problem{'s' if len(errors) != 1 else ''} (skipped):"]
        lines += [f"• {visible(short_problem(problem))}" for problem in errors[:2]]
        if len(errors) > 2:
            lines.append("… all: ctrl+p, phrases: show problems")
        label.update(Text("\n".join(lines)))
        label.display = True

    def show_suggestions(self, suggestions: Sequence[Suggestion]) -> None:
        """Phrases that fit the call now, newest first; they lead the list while the search box
        is empty. The agent's selection stays put while they work in the pane; otherwise the
        newest suggestion is highlighted, so the preview shows it and why."""
        suggested = {s.phrase.id: s for s in suggestions}
        if suggested == self._suggested:
            return
        self._suggested = suggested
        if self.query_text.strip():
            return
        keep = self.selected.id if self.selected and self.has_focus_within else None
        self.run_search(keep=keep)

    @property
    def suggested(self) -> list[str]:
        """The ids of the phrases suggested now, newest first."""
        return list(self._suggested)

    def run_search(self, keep: str | None = None) -> None:
        if self.index is None:
            return
        result = self.index.search(self.query_text, limit=RESULT_LIMIT)
        self._hits = list(result.hits)
        if not self.query_text.strip() and self._starters is not None:
            self._hits = self._starters[:RESULT_LIMIT]  # openings and most used first
        self._why = result.why
        lead: list[Phrase] = []
        if self._suggested and not self.query_text.strip():
            lead = [s.phrase for s in self._suggested.values()]
            self._hits = lead + [p for p in self._hits if p.id not in self._suggested]
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(
            phrase_option(phrase, suggested=n < len(lead)) for n, phrase in enumerate(self._hits)
        )
        target = 0
        if keep is not None:
            target = next((i for i, p in enumerate(self._hits) if p.id == keep), 0)
        results.highlighted = target if self._hits else None
        shown = len(self._hits)
        total = max(result.total, shown)
        count = f"{shown} of {total}" if total > shown else f"{total}"
        if lead:
            count = f"{len(lead)} suggested · {count}"
        self._count = count
        self._show_subtitle()
        self._show_preview()

    def _show_subtitle(self) -> None:
        """The result count and the two keys, shortened to fit the border at 80 columns."""
        count = getattr(self, "_count", "")
        full = f"{count} · Enter inserts · ^y copies"
        fits = len(full) + 6 <= self.size.width or not self.size.width
        self.border_subtitle = literal(full if fits else f"{count} · Enter · ^y copies")

    def on_resize(self) -> None:
        self._show_subtitle()

    def _show_preview(self) -> None:
        preview = self.query_one("#phrase-preview-text", Static)
        phrase = self.selected
        if phrase is None:
            message = "No phrase matches. Try fewer letters, or tag:… / cat:…"
            preview.update(Text(message if self.index else "Loading phrases…", style="dim"))
            return
        suggestion = None if self.query_text.strip() else self._suggested.get(phrase.id)
        reason = suggestion.reason if suggestion is not None else ""
        matched = self._why.get(phrase.id, ())
        preview.update(preview_text(phrase, self.say_for(phrase), matched, reason))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "phrase-search":
            event.stop()
            self.run_search()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_insert()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_preview()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_insert()

    def action_insert(self) -> None:
        if (phrase := self.selected) is not None:
            self.post_message(self.Chosen(phrase, "insert"))

    def action_copy(self) -> None:
        if (phrase := self.selected) is not None:
            self.post_message(self.Chosen(phrase, "copy"))

    def action_dismiss(self) -> None:
        phrase = self.selected
        if phrase is not None and phrase.id in self._suggested and not self.query_text.strip():
            self.post_message(self.Dismissed(phrase))

    def action_back(self) -> None:
        self.screen.query_one("#note-input").focus()

    def left_search(self) -> None:
        """The search field lost focus: a query with no result is one the library lacks."""
        if self.index is not None and not self._hits and self.query_text.strip():
            self.post_message(self.SearchMissed(self.query_text))

    def focus_search(self) -> None:
        search = self.query_one(SearchBox)
        search.focus()
        search.select_all()
