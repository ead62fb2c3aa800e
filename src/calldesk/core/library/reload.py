"""What a phrase reload changed: phrases added, changed and removed, in a line for the agent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from calldesk.core.library.loader import PhraseLibrary
    from calldesk.core.library.phrases import Phrase


@dataclass(frozen=True)
class ReloadSummary:
    """What changed between two loads of the library, for a one-line notice."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    broken: tuple[Path, ...] = ()
    """Files with errors now that had none before (their last good phrases stay in use)."""
    new_broken: tuple[Path, ...] = ()
    """Files that never loaded and have errors: there is no last good version to keep."""
    fixed: tuple[Path, ...] = ()
    """Files that had errors before and have none now."""

    @property
    def nothing(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.broken
            or self.new_broken
            or self.fixed
        )

    def message(self) -> str:
        """E.g. "Phrases reloaded: 1 added, 2 changed. 1 file has errors; ..."."""
        parts = [
            f"{len(ids)} {word}"
            for ids, word in (
                (self.added, "added"),
                (self.changed, "changed"),
                (self.removed, "removed"),
            )
            if ids
        ]
        text = "Phrases reloaded: " + (", ".join(parts) if parts else "no phrase changed") + "."
        if self.broken:
            names = ", ".join(path.name for path in self.broken[:3])
            more = "" if len(self.broken) <= 3 else f" and {len(self.broken) - 3} more"
            count = "1 file has" if len(self.broken) == 1 else f"{len(self.broken)} files have"
            text += (
                f" {count} errors ({names}{more}); the last good version stays in use until "
                "they are fixed."
            )
        if self.new_broken:
            names = ", ".join(path.name for path in self.new_broken[:3])
            more = "" if len(self.new_broken) <= 3 else f" and {len(self.new_broken) - 3} more"
            count = (
                "1 new file has"
                if len(self.new_broken) == 1
                else f"{len(self.new_broken)} new files have"
            )
            text += f" {count} errors ({names}{more}); it is skipped until they are fixed."
        if self.fixed:
            count = "1 file" if len(self.fixed) == 1 else f"{len(self.fixed)} files"
            text += f" Fixed: {count}."
        return text


def summarize_reload(before: PhraseLibrary, after: PhraseLibrary) -> ReloadSummary:
    """Compare two loads of the library: phrases added, removed, changed; files broken, fixed."""
    old = {phrase.id: phrase for phrase in before.phrases}
    new = {phrase.id: phrase for phrase in after.phrases}
    old_broken = {path for path, result in before.files.items() if not result.ok}
    new_broken = {path for path, result in after.files.items() if not result.ok}
    return ReloadSummary(
        added=tuple(sorted(new.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - new.keys())),
        changed=tuple(
            sorted(k for k in new.keys() & old.keys() if _content(new[k]) != _content(old[k]))
        ),
        broken=tuple(sorted(p for p in new_broken - old_broken if after.files[p].kept)),
        new_broken=tuple(sorted(p for p in new_broken - old_broken if not after.files[p].kept)),
        fixed=tuple(sorted((old_broken - new_broken) & after.files.keys())),
    )


def _content(phrase: Phrase) -> tuple[object, ...]:
    # The line is left out: editing one phrase moves every phrase below it.
    return (
        phrase.title,
        phrase.say,
        phrase.category,
        phrase.tags,
        phrase.when,
        phrase.instead_of,
        phrase.sets,
        phrase.source,
    )
