"""The phrase library in the app: loaded off the UI thread, reloaded when a trainer saves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

from calldesk.tui.widgets.phrase_pane import PhrasePane

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.phrases import Phrase
    from calldesk.core.library.search import PhraseIndex
    from calldesk.core.library.watch import PhraseWatcher
    from calldesk.tui.host import Host


@dataclass
class PhrasesChanged(Message):
    """A phrase file or checklist was saved, added or removed (from the watcher thread)."""

    paths: set[Path]


@dataclass
class WatchTrouble(Message):
    """The phrase folders cannot be watched as asked (the watcher fell back, or gave up)."""

    text: str


@dataclass
class PhrasesLoaded(Message):
    """The library and its search index are (re)built (from the loader thread)."""

    library: PhraseLibrary
    index: PhraseIndex
    starters: list[Phrase] | None = None
    """What an empty search lists: the openings, then the agent's most used."""


class PhraseLibraryKeeper:
    """Keeps the library and its search index, and the watcher of the phrase folders."""

    def __init__(self, host: Host, inbox: MessagePump) -> None:
        self.host = host
        self.inbox = inbox
        """Where the loader and the watcher post their messages (the app)."""
        self.library: PhraseLibrary | None = None
        self.index: PhraseIndex | None = None
        self.watcher: PhraseWatcher | None = None

    def load(self) -> None:
        """Load (or reload) the phrase library off the UI thread."""
        self.host.run_worker(
            self._load, thread=True, exclusive=True, group="phrases", exit_on_error=False,
            name="load_phrases",
        )  # fmt: skip

    def _load(self) -> None:
        from calldesk.core.library import records as phrase_records
        from calldesk.core.library.loader import load_configured_library
        from calldesk.core.library.search import PhraseIndex
        from calldesk.core.library.starters import call_start_phrases

        store = self.host.store
        library = load_configured_library(
            self.host.settings.phrase_folders(),
            self.host.settings.user_phrase_dir,
            previous=self.library,
        )
        usage = phrase_records.phrase_use_counts(store) if store is not None else {}
        index = PhraseIndex(library.phrases, usage=usage, synonyms=library.synonyms)
        index.prepare()  # the typo index and word list here, not on the agent's first typo
        starters = call_start_phrases(library.phrases, usage)  # listed before any keystroke
        self.inbox.post_message(PhrasesLoaded(library, index, starters))

    def watch(self) -> None:
        """Reload the library when a trainer saves a phrase file."""
        from calldesk.core.library.watch import PhraseWatcher

        inbox = self.inbox
        self.watcher = PhraseWatcher(
            self.host.settings.phrase_folders(),
            lambda paths: inbox.post_message(PhrasesChanged(paths)),
            on_error=lambda text: inbox.post_message(WatchTrouble(text)),
        )
        self.watcher.start()

    def loaded(
        self, library: PhraseLibrary, index: PhraseIndex, starters: list[Phrase] | None = None
    ) -> None:
        """The new library is in: say what a reload changed, and search it from now on."""
        from calldesk.core.library.reload import summarize_reload

        before = self.library
        self.library, self.index = library, index
        if before is not None:
            summary = summarize_reload(before, library).message()
            if summary:
                self.host.notify(summary, title="Phrase library", timeout=6)
        self.host.refresh_due()
        if (pane := self.host.desk_widget(PhrasePane)) is not None:
            pane.set_index(index, library.problems, starters)

    def trouble(self, text: str) -> None:
        self.host.notify(text, title="Phrase folders", severity="warning", timeout=15)

    def show_problems(self) -> None:
        from calldesk.tui.screens.problems import ProblemsScreen

        if self.library is not None:
            self.host.push_screen(ProblemsScreen(self.library.problems))

    def stop(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
