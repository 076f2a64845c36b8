"""Attainment: how far a KPI has come from its baseline towards its target, against where it should be.

Pure functions on plain values, so the rules can be read and tested alone.

- The target path runs from (baseline date, baseline value) through every
  intermediate target to (target date, target value), straight between the
  points; before the baseline it is the baseline, after the target the target.
- Progress is the share of the way from baseline to target, in percent. It is
  right for both directions because the sign of (target - baseline) carries
  the direction: lowering a cost from 100 to 80 and reaching 90 is 50%.
- The status compares progress with the progress expected on that date:
  red below `red_threshold` percent of it, amber below `amber_threshold`,
  green otherwise. With nothing expected yet (on or before the baseline
  date) a KPI that has not gone backwards is green.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from crmproject.enums import LabelledEnum
from crmproject.i18n import lazy_gettext as _l

HUNDRED = Decimal(100)


class Rag(LabelledEnum):
    RED = "red", _l("Red")
    AMBER = "amber", _l("Amber")
    GREEN = "green", _l("Green")


@dataclass(frozen=True)
class PathPoint:
    day: date
    value: Decimal


def target_path(baseline: PathPoint, target: PathPoint, intermediate: Sequence[PathPoint] = ()) -> list[PathPoint]:
    """The points of the target path in date order (intermediate targets outside the span are ignored)."""
    inside = sorted((p for p in intermediate if baseline.day < p.day < target.day), key=lambda p: p.day)
    return [baseline, *inside, target]


def expected_value(path: Sequence[PathPoint], day: date) -> Decimal:
    """Where the KPI should be on `day`: linear between the path's points."""
    if day <= path[0].day:
        return path[0].value
    for earlier, later in zip(path, path[1:], strict=False):
        if day <= later.day:
            span = (later.day - earlier.day).days
            done = (day - earlier.day).days
            return earlier.value + (later.value - earlier.value) * Decimal(done) / Decimal(span)
    return path[-1].value


def progress(baseline: Decimal, target: Decimal, value: Decimal) -> Decimal:
    """Percent of the way from baseline to target (negative when it went the wrong way, over 100 beyond)."""
    if target == baseline:
        return HUNDRED
    return (value - baseline) / (target - baseline) * HUNDRED


@dataclass(frozen=True)
class Attainment:
    day: date
    actual: Decimal
    expected: Decimal
    progress: Decimal  # percent of the way to the target
    expected_progress: Decimal  # percent of the way it should be by now
    status: Rag

    @property
    def performance(self) -> Decimal | None:
        """Progress as a percent of the expected progress, None while nothing is expected yet."""
        if self.expected_progress <= 0:
            return None
        return self.progress / self.expected_progress * HUNDRED


def attainment(
    path: Sequence[PathPoint], actual: Decimal, day: date, *, red_threshold: Decimal = Decimal(60),
    amber_threshold: Decimal = Decimal(80), expected: Decimal | None = None,
) -> Attainment:
    """`actual` on `day` judged against the path; `expected` is expected_value(path, day) when the caller has it
    already (a register judges sixty departments' values of the same day against one path)."""
    baseline, target = path[0].value, path[-1].value
    if expected is None:
        expected = expected_value(path, day)
    done = progress(baseline, target, actual)
    due = progress(baseline, target, expected)
    if due <= 0:
        # nothing (or a dip, as after a go-live) is expected yet: on or above the path is green
        status = Rag.GREEN if done >= due else Rag.RED
    else:
        share = done / due * HUNDRED
        status = Rag.RED if share < red_threshold else Rag.AMBER if share < amber_threshold else Rag.GREEN
    return Attainment(day=day, actual=actual, expected=expected, progress=done, expected_progress=due, status=status)
