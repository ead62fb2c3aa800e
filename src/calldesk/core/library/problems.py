"""Problems found in trainer-written files, reported the way a compiler does."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one file: where, what, and how to fix it.

    `line` and `column` are 1-based, as editors show them; 0 means "the whole file".
    """

    path: Path
    line: int
    column: int
    message: str
    hint: str = ""
    severity: Severity = Severity.ERROR

    def location(self) -> str:
        if self.line <= 0:
            return str(self.path)
        return f"{self.path}:{self.line}:{self.column}"

    def format(self) -> str:
        """`file:line:col: error: message (hint)`, one line, as compilers print."""
        text = f"{self.location()}: {self.severity}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
