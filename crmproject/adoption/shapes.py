"""The shape a department's adoption takes after its go-live, told apart early.

The texts behind crmproject describe three shapes a rollout takes over time:
no effect, a strong start that fades ("tiger's head, snake's tail") and
lasting success. Here they are told apart from a department's weekly
adoption (the mean of its daily figures in each week), from the week of its
go-live on, by rules simple enough to state on the page:

1. Too early to tell: not live yet, or fewer than `min_weeks` weeks of
   figures since the go-live.
2. No effect: adoption never reached `effect_level` % of the seats.
3. Strong start, then fading: after its peak, adoption has stayed more than
   `fade_points` points below the peak for the last `fade_weeks` weeks.
4. Lasting success: otherwise: it reached `effect_level` % and holds.

Pure functions over plain numbers: the thresholds are a plan setting
(AdoptionRules), the series come from the adoption snapshots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from crmproject.enums import LabelledEnum
from crmproject.i18n import _, format_number
from crmproject.i18n import lazy_gettext as _l


class Shape(LabelledEnum):
    TOO_EARLY = "too_early", _l("Too early to tell")
    NO_EFFECT = "no_effect", _l("No effect")
    FADING = "fading", _l("Strong start, then fading")
    LASTING = "lasting", _l("Lasting success")


@dataclass(frozen=True)
class ShapeRules:
    """The thresholds of the rules above; a project manager sets them per plan."""

    min_weeks: int = 8
    effect_level: float = 40.0
    fade_points: float = 15.0
    fade_weeks: int = 4

    def problems(self) -> dict[str, str]:
        """Field -> what is wrong, for values that would make the rules meaningless."""
        errors: dict[str, str] = {}
        if not 1 <= self.min_weeks <= 104:
            errors["min_weeks"] = _("Enter a number of weeks from 1 to 104.")
        if not 0 < self.effect_level <= 100:
            errors["effect_level"] = _("Enter a percent above 0 and at most 100.")
        if not 0 < self.fade_points <= 100:
            errors["fade_points"] = _("Enter a number of points above 0 and at most 100.")
        if not 1 <= self.fade_weeks <= 52:
            errors["fade_weeks"] = _("Enter a number of weeks from 1 to 52.")
        return errors

    def stated(self) -> list[str]:
        """The rules in words, with this plan's thresholds, for the page that shows the verdicts."""
        return [
            _("Too early to tell: not live yet, or fewer than %(weeks)s weeks of adoption figures since the go-live.",
              weeks=self.min_weeks),
            _("No effect: adoption never reached %(level)s%% of the licensed seats.", level=format_number(self.effect_level)),
            _("Strong start, then fading: after its peak, adoption has stayed more than %(points)s points below the "
              "peak for each of the last %(weeks)s weeks.", points=format_number(self.fade_points), weeks=self.fade_weeks),
            _("Lasting success: adoption reached %(level)s%% and has not faded.", level=format_number(self.effect_level)),
        ]


@dataclass(frozen=True)
class Verdict:
    """A department's shape and the figures behind it (percents of licensed seats)."""

    shape: Shape
    weeks_live: int  # weeks with figures since the go-live
    peak: float | None = None
    peak_week: date | None = None
    latest: float | None = None
    latest_week: date | None = None
    weeks_below: int = 0  # trailing weeks more than fade_points below the peak
    go_live: date | None = None
    live: bool = True  # False: no go-live yet (or none planned)

    @property
    def drop(self) -> float | None:
        """Points lost since the peak."""
        if self.peak is None or self.latest is None:
            return None
        return round(self.peak - self.latest, 1)

    @property
    def warning(self) -> bool:
        """Leadership should look at it: fading, or no effect."""
        return self.shape in (Shape.FADING, Shape.NO_EFFECT)

    def explanation(self, rules: ShapeRules) -> str:
        """The verdict's reason in one sentence, with its figures."""
        if self.shape == Shape.TOO_EARLY:
            if not self.live:
                if self.go_live is None:
                    return _("Not in a wave: no go-live planned.")
                return _("Not live yet: the go-live is on %(day)s.", day=self.go_live.isoformat())
            if self.weeks_live == 0:
                return _("No adoption figures since the go-live yet.")
            return _("%(n)s of the %(min)s weeks of figures needed since the go-live.", n=self.weeks_live,
                     min=rules.min_weeks)
        if self.shape == Shape.NO_EFFECT:
            return _("Peak %(peak)s%% in %(weeks)s weeks since the go-live, below the %(level)s%% that shows an effect.",
                     peak=f"{self.peak:g}", weeks=self.weeks_live, level=f"{rules.effect_level:g}")
        if self.shape == Shape.FADING:
            return _("Peak %(peak)s%% in the week of %(week)s, now %(latest)s%%: %(drop)s points lower, more than "
                     "%(points)s below the peak for %(below)s weeks.", peak=f"{self.peak:g}",
                     week=self.peak_week.isoformat() if self.peak_week else "", latest=f"{self.latest:g}",
                     drop=f"{self.drop:g}", points=f"{rules.fade_points:g}", below=self.weeks_below)
        return _("Peak %(peak)s%%, now %(latest)s%% after %(weeks)s weeks live.", peak=f"{self.peak:g}",
                 latest=f"{self.latest:g}", weeks=self.weeks_live)


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def classify(weeks: Sequence[tuple[date, float | None]], *, go_live: date | None, today: date,
             rules: ShapeRules) -> Verdict:
    """The shape of one department's weekly adoption (week start, percent), oldest first.

    Only weeks from the go-live's week up to today count; weeks without a
    figure are skipped (a gap in the exports is not a drop).
    """
    if go_live is None or go_live > today:
        return Verdict(Shape.TOO_EARLY, 0, go_live=go_live, live=False)
    first = week_of(go_live)
    live = [(week, value) for week, value in weeks if value is not None and first <= week <= today]
    if not live:
        return Verdict(Shape.TOO_EARLY, 0, go_live=go_live)
    peak_index = max(range(len(live)), key=lambda n: (live[n][1], -n))  # the first week at the highest value
    peak_week, peak = live[peak_index]
    latest_week, latest = live[-1]
    figures: dict[str, Any] = dict(weeks_live=len(live), peak=round(peak, 1), peak_week=peak_week, latest=round(latest, 1),
                   latest_week=latest_week, go_live=go_live)
    if len(live) < rules.min_weeks:
        return Verdict(Shape.TOO_EARLY, **figures)
    if peak < rules.effect_level:
        return Verdict(Shape.NO_EFFECT, **figures)
    below = 0
    for _week, value in reversed(live[peak_index + 1:]):
        if peak - value <= rules.fade_points:
            break
        below += 1
    if below >= rules.fade_weeks:
        return Verdict(Shape.FADING, weeks_below=below, **figures)
    return Verdict(Shape.LASTING, weeks_below=below, **figures)
