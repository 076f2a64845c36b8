"""A gate before a phase ends or a wave goes live, its measured criteria, and the decisions taken at it.

A decision is never edited: a changed decision is a new entry, and each keeps the evidence as it was
measured when it was recorded (JSON), so the record still shows why a year later.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.dates import localised
from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned, utcnow
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import format_number
from crmproject.maturity.blocks import Block
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.plans.models import Phase, Plan, Wave
    from crmproject.tasks.models import ChangeTask


class CriterionKind(LabelledEnum):
    """What a criterion measures (crmproject.gates.criteria says how each is measured)."""

    TRAINING = "training", _l("Mandatory training completed")
    ADOPTION = "adoption", _l("Adoption of the wave before, at target and not fading")
    KPIS_ON_PATH = "kpis_on_path", _l("KPI figures on their target path")
    CRITICAL_TASKS = "critical_tasks", _l("Overdue critical change tasks")
    REPORTS_IN = "reports_in", _l("Status reports in for the last period")
    TEAM_SEATS = "team_seats", _l("Required project team seats filled")
    HYPERCARE = "hypercare", _l("Hypercare of the wave before exited")
    MATURITY = "maturity", _l("Maturity of the departments at target")
    RISKS = "risks", _l("Highest open risk score")
    READINESS = "readiness", _l("People's readiness (lowest ADKAR mean)")


class GateOutcome(LabelledEnum):
    """A recommendation (go, go with conditions, no-go) or the committee's decision (hold too)."""

    GO = "go", _l("Go")
    GO_WITH_CONDITIONS = "go_with_conditions", _l("Go with conditions")
    HOLD = "hold", _l("Hold")
    NO_GO = "no_go", _l("No-go")


class PhaseGate(Versioned, TimestampMixin, Base):
    """A gate at the end of a phase or before a wave's go-live (exactly one of the two)."""

    __tablename__ = "phase_gates"
    __table_args__ = (
        CheckConstraint("(phase_id IS NULL) <> (wave_id IS NULL)", name="phase_or_wave"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    phase_id: Mapped[int | None] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"), unique=True)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship()
    phase: Mapped[Phase | None] = relationship()
    wave: Mapped[Wave | None] = relationship()
    criteria: Mapped[list[GateCriterion]] = relationship(
        back_populates="gate", cascade="all, delete-orphan", order_by="GateCriterion.position")
    decisions: Mapped[list[GateDecision]] = relationship(
        back_populates="gate", cascade="all, delete-orphan",
        order_by="GateDecision.id.desc()")

    @property
    def due(self) -> date:
        """The day the gate is judged: the phase's last day or the wave's go-live."""
        if self.wave is not None:
            return self.wave.go_live_date
        assert self.phase is not None
        return self.phase.end_date


def blocks_text(recorded: str) -> str:
    """A maturity criterion's building blocks as its audit history shows them: by their names in the reader's
    language ("Processes, Information"), not the values they are kept as."""
    names = []
    for value in recorded.split(","):
        block = next((b for b in Block if b.value == value.strip()), None)
        names.append(str(block.label) if block is not None else value.strip())
    return ", ".join(name for name in names if name)


class GateCriterion(Versioned, Base):
    """One measured condition of a gate: its kind, the threshold, and whether failing it means no-go."""

    __tablename__ = "gate_criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("phase_gates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[CriterionKind] = mapped_column(enum_column_type(CriterionKind))
    threshold: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    blocking: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # the building blocks a maturity criterion judges (their values, comma-separated; empty: every block with a
    # target); other kinds leave it empty
    blocks: Mapped[str] = mapped_column(String(200), default="", server_default="", info={"audit_text": blocks_text})

    gate: Mapped[PhaseGate] = relationship(back_populates="criteria")


class CriterionStatus(LabelledEnum):
    """How a criterion stood when it was measured (crmproject.gates.criteria measures it)."""

    MET = "met", _l("Met")
    NOT_MET = "not_met", _l("Not met")
    NO_DATA = "no_data", _l("No data yet")
    NOT_APPLICABLE = "not_applicable", _l("Not applicable")


def evidence_text(recorded: str) -> str:
    """A decision's evidence as its audit history shows it: the day it was measured and each criterion's figure
    and result ("2026-11-30: Mandatory training completed 85% (Met); ..."), in the reader's language (a criterion
    by its kind, its recorded name only for a kind no longer known), not the JSON it is kept in. Raises
    ValueError on a text that is not that JSON (the audit trail may have cut a very long one)."""
    evidence = json.loads(recorded)
    criteria = evidence.get("criteria", []) if isinstance(evidence, dict) else None
    if not isinstance(criteria, list) or not all(isinstance(c, dict) for c in criteria):
        raise ValueError("not a decision's evidence")
    parts = []
    for criterion in criteria:
        kind = next((k for k in CriterionKind if k.value == criterion.get("kind")), None)
        status = next((s for s in CriterionStatus if s.value == criterion.get("status")), None)
        measured = criterion.get("measured")
        figure = f"{format_number(measured)}{criterion.get('unit') or ''}" if isinstance(measured, int | float) else "—"
        parts.append(f"{kind.label if kind is not None else criterion.get('label', '')} {figure} "
                     f"({status.label if status is not None else '?'})")
    day = evidence.get("evaluated_on")
    day = localised(day, shown=True) if isinstance(day, str) else ""
    text = "; ".join(parts)
    return f"{day}: {text}" if day and text else (day or text)


class GateDecision(Base):
    """What the steering committee decided at a gate, with the evidence as it stood (never edited)."""

    __tablename__ = "gate_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("phase_gates.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[GateOutcome] = mapped_column(enum_column_type(GateOutcome))
    recommendation: Mapped[GateOutcome] = mapped_column(enum_column_type(GateOutcome))
    decided_on: Mapped[date] = mapped_column(Date)
    decided_by: Mapped[str] = mapped_column(String(300))
    reasoning: Mapped[str] = mapped_column(Text, default="")
    evidence_json: Mapped[str] = mapped_column(Text, default="[]", info={"audit_text": evidence_text})
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    gate: Mapped[PhaseGate] = relationship(back_populates="decisions")
    recorded_by: Mapped[User | None] = relationship()
    conditions: Mapped[list[DecisionCondition]] = relationship(
        back_populates="decision", cascade="all, delete-orphan", order_by="DecisionCondition.id")

    @property
    def overrides(self) -> bool:
        """The committee decided otherwise than the evidence recommended."""
        return self.outcome != self.recommendation

    @property
    def evidence(self) -> dict[str, Any]:
        return json.loads(self.evidence_json or "{}")


class DecisionCondition(Base):
    """A condition of a decision, with one owner and a due date; it is followed as a change task."""

    __tablename__ = "decision_conditions"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("gate_decisions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    due_date: Mapped[date] = mapped_column(Date)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("change_tasks.id", ondelete="SET NULL"))

    decision: Mapped[GateDecision] = relationship(back_populates="conditions")
    owner: Mapped[User | None] = relationship()
    task: Mapped[ChangeTask | None] = relationship()
