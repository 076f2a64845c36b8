"""What the task import reads a file into, before anything is saved."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .models import TaskPriority, TaskStatus


def name_key(text: str) -> str:
    """Names compared as people mean them: case and spacing do not matter."""
    return " ".join(text.split()).casefold()


@dataclass
class OwnerName:
    """One owner text as the file spells it (all spellings that differ only in case or spacing together)."""

    key: str
    spellings: list[str]
    rows: list[int]
    user_id: int | None = None
    several: bool = False

    @property
    def text(self) -> str:
        return self.spellings[0]


@dataclass
class ParsedTask:
    """One row of the file as a task; `key` is its row, or a negative number for a group made from a phase column."""

    key: int
    row: int
    title: str
    level: int
    outline: str = ""
    ref: str = ""
    owner_key: str | None = None
    start: date | None = None
    due: date | None = None
    status: TaskStatus = TaskStatus.NOT_STARTED
    status_key: str | None = None
    priority: TaskPriority = TaskPriority.MEDIUM
    phase_name: str | None = None
    department_id: int | None = None
    category_id: int | None = None
    description: str = ""
    duration_days: int | None = None
    predecessor_refs: list[str] = field(default_factory=list)
    parent_key: int | None = None
    phase_key: int | None = None
    section: bool = False
    is_group: bool = False
    valid: bool = True


@dataclass
class PhaseGroup:
    """A top-level group that becomes (or matches) a phase; `placed` says how an undated one got its dates."""

    key: int
    row: int
    name: str
    phase_id: int | None
    start: date | None
    end: date | None
    placed: str = "tasks"  # tasks (from its tasks' dates), durations, spread, existing
