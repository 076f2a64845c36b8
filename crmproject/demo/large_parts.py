"""The pieces the large demo's builders share: what is built so far, a department while it is built, bulk rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert

from crmproject.demo.large_data import FADING, LASTING, NO_EFFECT, TOO_EARLY
from crmproject.extensions import db
from crmproject.i18n import _

LARGE_PLAN_NAME = "Northwind Group CRM rollout"


@dataclass
class LargeDemoSummary:
    plan_id: int = 0
    plan_name: str = LARGE_PLAN_NAME
    created: Counter = field(default_factory=Counter)
    stories: Counter = field(default_factory=Counter)
    accounts: list[tuple[str, str]] = field(default_factory=list)

    def describe(self) -> list[str]:
        """What was built, one line each, for the command line."""
        c = self.created
        return [
            _("Large demo organisation built: plan %(name)s (id %(id)s).", name=self.plan_name, id=self.plan_id),
            _("%(departments)s departments, %(employees)s employees (%(moves)s moved department), %(users)s users.",
              departments=c["departments"], employees=c["employees"], moves=c["moves"], users=c["users"]),
            _("%(waves)s waves, %(phases)s phases, %(roles)s team roles.", waves=c["waves"], phases=c["phases"],
              roles=c["team roles"]),
            _("%(snapshots)s daily adoption snapshots; stories: %(lasting)s lasting, %(fading)s fading, "
              "%(none)s no effect, %(early)s too early.", snapshots=c["snapshots"], lasting=self.stories[LASTING],
              fading=self.stories[FADING], none=self.stories[NO_EFFECT], early=self.stories[TOO_EARLY]),
            _("%(tasks)s change tasks (%(overdue)s overdue).", tasks=c["tasks"], overdue=c["overdue tasks"]),
            _("%(kpis)s KPIs with %(measurements)s measurements.", kpis=c["kpis"], measurements=c["measurements"]),
            _("%(reports)s status reports submitted, %(missing)s missing.", reports=c["reports"],
              missing=c["missing reports"]),
            _("%(courses)s courses, %(sessions)s sessions, %(enrolments)s enrolments.", courses=c["courses"],
              sessions=c["sessions"], enrolments=c["enrolments"]),
        ]


@dataclass
class Unit:
    """One department of the large organisation while it is being built."""

    id: int
    code: str
    name: str
    function: str
    job_role: str
    headcount: int
    seats: int
    wave: int = 0  # 0 pilot, 1 wave 2, 2 wave 3
    go_live: date = date.min  # set with the stories (_stories), before anything reads it
    story: str = LASTING
    curve: tuple[float, ...] = ()  # the story's parameters, drawn once
    head_id: int | None = None
    # day -> (28-day active users, daily active users), for the KPIs
    adoption: dict[date, tuple[int, int]] = field(default_factory=dict)


def bulk(model, rows: Sequence[dict]) -> None:
    """Insert plain rows in one executemany (Core insert, no ORM objects), in slices to bound memory."""
    for start in range(0, len(rows), 20_000):
        db.session.execute(insert(model), list(rows[start:start + 20_000]))
