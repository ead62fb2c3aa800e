"""Command palette providers, one per domain, offering only what makes sense right now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from calldesk.tui.app import CalldeskApp

Command = tuple[str, str, Callable[[], object]]


class _StateProvider(Provider):
    """Lists `commands()` on an empty palette and fuzzy-matches them as the agent types."""

    def commands(self) -> Iterator[Command]:
        raise NotImplementedError

    @property
    def desk_app(self) -> CalldeskApp:
        return self.app  # type: ignore[return-value]

    async def discover(self) -> Hits:
        for name, help_text, callback in self.commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self.commands():
            if (score := matcher.match(name)) > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class CallCommands(_StateProvider):
    def commands(self) -> Iterator[Command]:
        app = self.desk_app
        if app.desk.call is None:
            yield "call: start", "F2 · start a call record", app.action_start_call
        else:
            yield "call: end", "F8 · end the call, then outcome and checklist", app.action_end_call
            yield (
                "call: edit caller",
                "F4 · caller name, number and ticket",
                app.action_focus_caller,
            )
            yield "call: type notes", "F6 · back to the note field", app.action_focus_notes
        if app.desk.call is not None or app.desk.last_call is not None:
            yield "call: export to Markdown", "F10 · the open or last call", app.action_export
            yield (
                "call: checklist",
                "F6 · the post-call checklist of the last call",
                app.action_checklist,
            )
        yield "fixes: open permanent fixes", "F7 · fix everything twice", app.action_fixes
        yield "history: past calls", "F5 · list and search past calls", app.action_history
        yield "record: my record", "F12 · what you achieved, week by week", app.action_my_record
        yield "help: keys", "F1 · every key calldesk answers to", app.action_help


class PhraseCommands(_StateProvider):
    def commands(self) -> Iterator[Command]:
        app = self.desk_app
        yield "phrases: search", "F3 · search the phrase library", app.action_focus_phrases
        yield "phrases: reload", "read the phrase folders again", app.load_phrases
        if app.desk.call is None:
            yield (
                "practice: drill phrases",
                "F9 · learn the awkward phrases by heart",
                app.action_practice,
            )
        if app.library is not None and app.library.problems:
            yield (
                "phrases: show problems",
                f"{len(app.library.problems)} problems in phrase files",
                app.action_phrase_problems,
            )
