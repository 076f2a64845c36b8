"""Readiness pulse surveys (ADKAR: awareness, desire, knowledge, ability, reinforcement, each scored 1-5), the
personal links that let a department's people answer without an account, their answers, and the results a
department head enters for the whole department instead."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.db import Base, TimestampMixin, UTCDateTime, Versioned
from crmproject.enums import LabelledEnum, enum_column_type
from crmproject.i18n import lazy_gettext as _l

if TYPE_CHECKING:
    from crmproject.auth.models import User
    from crmproject.departments.models import Department
    from crmproject.roster.models import Employee


class AdkarElement(LabelledEnum):
    """The five elements of Prosci's ADKAR model, in the order a person goes through them: the order of the
    members is the order in which the barrier point is looked for."""

    AWARENESS = "awareness", _l("Awareness")
    DESIRE = "desire", _l("Desire")
    KNOWLEDGE = "knowledge", _l("Knowledge")
    ABILITY = "ability", _l("Ability")
    REINFORCEMENT = "reinforcement", _l("Reinforcement")


ELEMENT_QUESTIONS = {
    AdkarElement.AWARENESS: _l("I understand why we are introducing the CRM and what will change for me."),
    AdkarElement.DESIRE: _l("I want to work with the CRM and support the change."),
    AdkarElement.KNOWLEDGE: _l("I know how to do my daily work in the CRM."),
    AdkarElement.ABILITY: _l("I can actually do my work in the CRM, at the pace my job needs."),
    AdkarElement.REINFORCEMENT: _l("Using the CRM is noticed and supported, and I will keep using it."),
}

NPS_QUESTION = _l("How likely are you to recommend the CRM to a colleague? (0 = not at all, 10 = extremely likely)")


class SurveyKind(LabelledEnum):
    BEFORE = "before_go_live", _l("Before go-live")
    AFTER = "after_go_live", _l("After go-live")


class SurveyStatus(LabelledEnum):
    DRAFT = "draft", _l("Draft")
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")


class PulseSurvey(Versioned, TimestampMixin, Base):
    """One pulse of one department: its people answer between opens_on and closes_on through their links."""

    __tablename__ = "pulse_surveys"
    __table_args__ = (CheckConstraint("closes_on >= opens_on", name="closes_after_opening"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SurveyKind] = mapped_column(enum_column_type(SurveyKind))
    title: Mapped[str] = mapped_column(String(200))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[SurveyStatus] = mapped_column(enum_column_type(SurveyStatus), default=SurveyStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    department: Mapped[Department] = relationship()
    invitations: Mapped[list[PulseInvitation]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", passive_deletes=True, order_by="PulseInvitation.id")
    responses: Mapped[list[PulseResponse]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                          order_by="PulseResponse.id")
    entered: Mapped[PulseEnteredResult | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def asks_nps(self) -> bool:
        """The satisfaction question (NPS) is asked only once people have used the CRM."""
        return self.kind == SurveyKind.AFTER


class PulseInvitation(TimestampMixin, Base):
    """A person's personal link to one survey. The link itself is never stored: only its SHA-256 hash, so the
    table alone gives nobody a working link. It answers once (answered_at) and stops working at expires_at.
    Which answer was theirs is not recorded: the answers stay anonymous."""

    __tablename__ = "pulse_invitations"
    __table_args__ = (UniqueConstraint("survey_id", "employee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # when the link was signed (whole seconds since the epoch): with the app's secret key the link can be drawn
    # again for the list of links; a new link moves it, and the old link's hash no longer matches
    issued: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    survey: Mapped[PulseSurvey] = relationship(back_populates="invitations")
    employee: Mapped[Employee] = relationship()


_SCORE = SmallInteger


class PulseResponse(Base):
    """One person's answers, anonymous: no link to the invitation or the person, and only the day it came."""

    __tablename__ = "pulse_responses"
    __table_args__ = tuple(
        CheckConstraint(f"{e.value} BETWEEN 1 AND 5", name=f"{e.value}_1_to_5") for e in AdkarElement
    ) + (CheckConstraint("nps IS NULL OR nps BETWEEN 0 AND 10", name="nps_0_to_10"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True)
    awareness: Mapped[int] = mapped_column(_SCORE)
    desire: Mapped[int] = mapped_column(_SCORE)
    knowledge: Mapped[int] = mapped_column(_SCORE)
    ability: Mapped[int] = mapped_column(_SCORE)
    reinforcement: Mapped[int] = mapped_column(_SCORE)
    nps: Mapped[int | None] = mapped_column(_SCORE)
    answered_on: Mapped[date] = mapped_column(Date)


_MEAN = Numeric(3, 2)


class PulseEnteredResult(Versioned, Base):
    """The department's results as its head collected them another way (a paper round, a meeting): the mean of
    each element over `respondents` people out of `invited`, and after go-live how many of them would recommend
    the CRM (9-10) or not (0-6). Combined with the answers through links, weighted by the respondents."""

    __tablename__ = "pulse_entered_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("pulse_surveys.id", ondelete="CASCADE"), unique=True)
    respondents: Mapped[int] = mapped_column(Integer)
    invited: Mapped[int] = mapped_column(Integer)
    awareness: Mapped[Decimal] = mapped_column(_MEAN)
    desire: Mapped[Decimal] = mapped_column(_MEAN)
    knowledge: Mapped[Decimal] = mapped_column(_MEAN)
    ability: Mapped[Decimal] = mapped_column(_MEAN)
    reinforcement: Mapped[Decimal] = mapped_column(_MEAN)
    promoters: Mapped[int | None] = mapped_column(Integer)
    detractors: Mapped[int | None] = mapped_column(Integer)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entered_by: Mapped[User | None] = relationship()
