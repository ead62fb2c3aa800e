"""The phrase library in the app: loaded off the UI thread, reloaded when a trainer saves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message

from calldesk.tui.widgets.phrase_pane import PhrasePane

if TYPE_CHECKING:
    from calldesk.core.library.phrases import PhraseLibrary
    from calldesk.core.library.search import PhraseIndex


@dataclass
class PhrasesChanged(Message):
    """A phrase file or checklist was saved, added or removed (from the watcher thread)."""

    paths: set[Path]


@dataclass
class WatchTrouble(Message):
    """The phrase folders cannot be watched as asked (the watcher fell back, or gave up)."""

    text: str


class PhraseLibraryMixin:
    """Keeps the library and its search index; part of `CalldeskApp`."""

    @work(thread=True, exclusive=True, group="phrases", exit_on_error=False)
    def load_phrases(self) -> None:
        """Load (or reload) the phrase library off the UI thread."""
        from calldesk.core.library.phrases import load_configured_library
        from calldesk.core.library.search import PhraseIndex

        library = load_configured_library(
            self.settings.phrase_folders(), self.settings.user_phrase_dir, previous=self.library
        )
        from calldesk.core.library import records as phrase_records

        usage = phrase_records.phrase_use_counts(self.store) if self.store is not None else {}
        index = PhraseIndex(library.phrases, usage=usage, synonyms=library.synonyms)
        index.prepare()  # the typo index and word list here, not on the agent's first typo
        self.call_from_thread(self._phrases_loaded, library, index)

    def _watch_phrases(self) -> None:
        """Reload the library when a trainer saves a phrase file."""
        from calldesk.core.library.watch import PhraseWatcher

        self.watcher = PhraseWatcher(
            self.settings.phrase_folders(),
            lambda paths: self.post_message(PhrasesChanged(paths)),
            on_error=lambda text: self.post_message(WatchTrouble(text)),
        )
        self.watcher.start()

    def on_phrases_changed(self, message: PhrasesChanged) -> None:
        self.load_phrases()

    def on_watch_trouble(self, message: WatchTrouble) -> None:
        self.notify(message.text, title="Phrase folders", severity="warning", timeout=15)

    def _phrases_loaded(self, library: PhraseLibrary, index: PhraseIndex) -> None:
        from calldesk.core.library.watch import summarize_reload

        before = self.library
        self.library, self.index = library, index
        if before is not None:
            summary = summarize_reload(before, library).message()
            if summary:
                self.notify(summary, title="Phrase library", timeout=6)
        self.refresh_due()
        self.desk_screen().query_one(PhrasePane).set_index(index, library.problems)

    def action_phrase_problems(self) -> None:
        from calldesk.tui.screens.problems import ProblemsScreen

        if self.library is not None:
            self.push_screen(ProblemsScreen(self.library.problems))
