"""Command palette providers, one per domain, offering only what makes sense right now."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from calldesk.core.textsafe import counted

if TYPE_CHECKING:
    from calldesk.core.calls.desk import Desk
    from calldesk.core.library.loader import PhraseLibrary

Command = tuple[str, str, Callable[[], object]]


class Palette(Protocol):
    """What the palette offers of the app: its state, the key names and the actions."""

    desk: Desk

    @property
    def library(self) -> PhraseLibrary | None: ...

    def key(self, binding_id: str) -> str: ...

    def load_phrases(self) -> None: ...

    def __getattr__(self, action: str) -> Any: ...  # action_start_call, action_export, …


class _StateProvider(Provider):
    """Lists `commands()` on an empty palette and fuzzy-matches them as the agent types."""

    def commands(self) -> Iterator[Command]:
        raise NotImplementedError

    @property
    def desk_app(self) -> Palette:
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
        key = app.key
        yield from self._checklist_commands()
        if app.desk.call is None:
            yield "call: start", f"{key('start-call')} · start a call record", app.action_start_call
        else:
            yield (
                "call: end",
                f"{key('end-call')} · end the call, then outcome and checklist",
                app.action_end_call,
            )
            yield (
                "call: edit caller",
                f"{key('edit-caller')} · caller name, number and ticket",
                app.action_focus_caller,
            )
            yield (
                "call: type notes",
                f"{key('focus-notes')} · back to the note field",
                app.action_focus_notes,
            )
        if app.desk.call is not None or app.desk.last_call is not None:
            yield (
                "call: export to Markdown",
                f"{key('export')} · the open or last call",
                app.action_export,
            )
            yield (
                "call: checklist",
                f"{key('checklist')} · the post-call checklist of the last call",
                app.action_checklist,
            )
            yield (
                "call: fan moment",
                f"{key('fan-moment')} · they left happier than they came (My record counts it)",
                app.action_fan_moment,
            )
        yield (
            "fixes: open permanent fixes",
            f"{key('fixes')} · fix everything twice",
            app.action_fixes,
        )
        yield (
            "history: past calls",
            f"{key('history')} · list and search past calls",
            app.action_history,
        )
        yield (
            "record: my record",
            f"{key('my-record')} · what you achieved, week by week",
            app.action_my_record,
        )
        yield "help: keys", f"{key('help')} · every key calldesk answers to", app.action_help

    def _checklist_commands(self) -> Iterator[Command]:
        """On the checklist, while answers wait as suggested: accept them by name."""
        from calldesk.tui.screens.checklist import ChecklistScreen, accept_key

        screen = self.screen
        if isinstance(screen, ChecklistScreen) and screen.pending():
            yield (
                "checklist: accept the suggested answers",
                f"{accept_key(self.app)} · each keeps its source on screen",
                screen.action_accept,
            )


class PhraseCommands(_StateProvider):
    def commands(self) -> Iterator[Command]:
        app = self.desk_app
        yield (
            "phrases: search",
            f"{app.key('find-phrase')} · search the phrase library",
            app.action_focus_phrases,
        )
        yield "phrases: reload", "read the phrase folders again", app.load_phrases
        if app.desk.call is None:
            yield (
                "practice: drill phrases",
                f"{app.key('practice')} · learn the awkward phrases by heart",
                app.action_practice,
            )
        if app.library is not None and app.library.problems:
            yield (
                "phrases: show problems",
                f"{counted(len(app.library.problems), 'problem')} in phrase files",
                app.action_phrase_problems,
            )
