from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Direction, Frequency, GoalFamily, KpiMeasurement
from crmproject.plans import services as plans
from crmproject.plans.models import ReportingPeriod
from crmproject.reports import services
from crmproject.reports.models import ReportStatus


def at(y, m, d):
    return datetime(y, m, d, 12, tzinfo=UTC)


@pytest.fixture
def setup(make_plan, make_department, make_user):
    plan = make_plan(start=date(2026, 1, 15), end=date(2026, 12, 31))
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="CS")
    plans.add_wave(plan, name="Pilot", go_live=date(2026, 3, 1), departments=[sales, service])
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, baseline_value=D(0),
        baseline_date=date(2026, 1, 15), target_value=D(80), target_date=date(2026, 12, 31), frequency=Frequency.MONTHLY))
    db.session.commit()
    return plan, sales, service, kpi, make_user()


def test_periods_follow_the_plan_setting(make_plan):
    plan = make_plan(start=date(2026, 1, 15), end=date(2026, 12, 31))
    assert services.period_for(plan, date(2026, 1, 20)) == services.Period(date(2026, 1, 15), date(2026, 1, 31))
    assert services.period_for(plan, date(2026, 2, 10)) == services.Period(date(2026, 2, 1), date(2026, 2, 28))
    plan.reporting_period = ReportingPeriod.BIWEEKLY
    assert services.period_for(plan, date(2026, 2, 10)) == services.Period(date(2026, 1, 29), date(2026, 2, 11))
    plan.reporting_period = ReportingPeriod.WEEKLY
    assert len(services.periods(plan, until=date(2026, 2, 28))) == 7


def test_submitting_needs_every_field_and_value_then_records_the_measurement(setup):
    plan, sales, service, kpi, head = setup
    period = services.period_for(plan, date(2026, 3, 10))
    report = services.start_report(plan, sales, period, author=head)
    due = services.kpis_due(plan, sales, period)
    assert due == [kpi]
    services.save_draft(report, services.ReportContent(overall_rag=None, achievements="half done"), author=head)
    with pytest.raises(ValidationFailed) as exc:
        services.submit(report, services.ReportContent(overall_rag=Rag.GREEN, achievements="Pilot live"), author=head, due_kpis=due)
    assert set(exc.value.errors) == {"next_steps", f"kpi-{kpi.id}"}
    content = services.ReportContent(overall_rag=Rag.AMBER, achievements="Pilot live", next_steps="Train wave 2",
                                     values={kpi.id: D(35)})
    services.submit(report, content, author=head, due_kpis=due, now=at(2026, 4, 2))
    db.session.commit()
    assert report.status == ReportStatus.SUBMITTED
    (measurement,) = db.session.scalars(db.select(KpiMeasurement)).all()
    assert (measurement.measured_on, measurement.value, measurement.department_id) == (date(2026, 3, 31), D(35), sales.id)
    with pytest.raises(ValidationFailed, match="read-only"):
        services.save_draft(report, content, author=head)


def test_a_second_report_for_the_same_period_is_refused_and_amendments_keep_the_old(setup):
    plan, sales, service, kpi, head = setup
    period = services.period_for(plan, date(2026, 3, 10))
    first = services.start_report(plan, sales, period, author=head)
    content = services.ReportContent(overall_rag=Rag.GREEN, achievements="A", next_steps="B", values={kpi.id: D(30)})
    services.submit(first, content, author=head, due_kpis=[kpi], now=at(2026, 4, 1))
    with pytest.raises(ValidationFailed, match="already has a report"):
        services.start_report(plan, sales, period, author=head)
    amendment = services.amend(first, author=head)
    assert amendment.revision == 2 and amendment.status == ReportStatus.DRAFT and amendment.achievements == "A"
    with pytest.raises(ValidationFailed, match="already being written"):
        services.amend(first, author=head)
    services.submit(amendment, services.ReportContent(overall_rag=Rag.AMBER, achievements="A, corrected", next_steps="B",
                                                      values={kpi.id: D(28)}), author=head, due_kpis=[kpi], now=at(2026, 4, 3))
    db.session.commit()
    revisions = services.reports_of(plan, sales, period)
    assert [(r.revision, r.status) for r in revisions] == [(2, ReportStatus.SUBMITTED), (1, ReportStatus.SUPERSEDED)]
    assert revisions[1].achievements == "A"  # the old revision is kept as it was
    assert db.session.scalar(db.select(KpiMeasurement.value)) == D(28)


def test_who_has_reported(setup):
    plan, sales, service, kpi, head = setup
    march, april = services.period_for(plan, date(2026, 3, 1)), services.period_for(plan, date(2026, 4, 1))
    on_time = services.start_report(plan, sales, march, author=head)
    content = services.ReportContent(overall_rag=Rag.GREEN, achievements="A", next_steps="B", values={kpi.id: D(30)})
    services.submit(on_time, content, author=head, due_kpis=[kpi], now=at(2026, 4, 3))
    late = services.start_report(plan, service, march, author=head)
    services.submit(late, content, author=head, due_kpis=[kpi], now=at(2026, 4, 20))
    services.start_report(plan, sales, april, author=head)  # a draft
    db.session.commit()
    matrix = services.reporting_matrix(plan, today=date(2026, 5, 10), count=3)
    state = {(d.code, p.start.month): matrix.cells[(d.id, p.start)].state.value for p in matrix.periods for d in matrix.departments}
    assert state[("SALES", 3)] == "on_time" and state[("CS", 3)] == "late"
    assert state[("SALES", 4)] == "missing" and state[("CS", 4)] == "missing"  # April was due on 5 May
    assert state[("SALES", 5)] == "open"
    assert {(d.code, p.start.month) for d, p in matrix.overdue()} == {("SALES", 4), ("CS", 4)}
