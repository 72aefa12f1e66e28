"""Problems found in the inventory, shared by every stage.

A problem is one line a person can act on: file:line:col, a stable rule code,
what is wrong and how to fix it.  Stages raise `InventoryError` carrying one or
more problems; the CLI prints them and exits 1, never with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Location:
    """Where a value is written: a path relative to the inventory's parent, 1-based line and column."""

    file: str
    line: int = 1
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    location: Location
    code: str
    name: str
    message: str
    severity: Severity = Severity.ERROR
    hint: str = ""
    related: tuple[Location, ...] = field(default=())

    def line(self) -> str:
        text = f"{self.location}: {self.severity.value} {self.code} {self.name}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.column, self.code)


class InventoryError(Exception):
    """Raised when a stage cannot go on; carries the problems to show."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.line() for p in problems))
        self.problems = problems

    def __reduce__(self) -> tuple[type[InventoryError], tuple[list[Problem]]]:
        return (InventoryError, (self.problems,))  # crosses process boundaries intact
