"""Enumerations stored as text, with labels that go through the translation function."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Self

from sqlalchemy import Enum as SAEnum

from crmproject.i18n import LazyString


class LabelledEnum(enum.StrEnum):
    """A str enum whose members carry a translatable label: ``PLANNED = "planned", _l("Planned")``."""

    label: LazyString

    if TYPE_CHECKING:
        # What the type checker is told: `Kind("planned")` looks a member up by its value. The two-argument
        # __new__ below only runs while the class is built.
        def __new__(cls, value: str) -> Self: ...

    else:

        def __new__(cls, value: str, label: LazyString):
            obj = str.__new__(cls, value)
            obj._value_ = value
            obj.label = label
            return obj

    def __str__(self) -> str:
        return self.value

    @classmethod
    def choices(cls) -> list[tuple[str, LazyString]]:
        return [(member.value, member.label) for member in cls]


def enum_column_type(enum_cls: type[enum.Enum], length: int = 32) -> SAEnum:
    """Stored as VARCHAR holding the value (portable between SQLite and PostgreSQL)."""
    return SAEnum(
        enum_cls,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
