from datetime import date
from decimal import Decimal as D

import pytest

from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.kpis import services
from crmproject.kpis.attainment import Rag
from crmproject.kpis.models import Direction, GoalFamily


def _values(**changes):
    values = services.KpiValues(
        name="Active users / licensed seats", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=D(0), baseline_date=date(2026, 1, 1), target_value=D(80), target_date=date(2026, 12, 31),
    )
    for key, value in changes.items():
        setattr(values, key, value)
    return values


def test_kpi_rules_at_their_fields(make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    services.create_kpi(plan, _values())
    with pytest.raises(ValidationFailed) as exc:
        services.create_kpi(plan, _values(name="active users / LICENSED seats", target_value=D(-5),
                                          target_date=date(2027, 6, 1), red_threshold=D(90)))
    assert set(exc.value.errors) == {"name", "target_value", "target_date", "amber_threshold"}
    with pytest.raises(ValidationFailed) as exc:
        services.create_kpi(plan, _values(name="Cost per case", direction=Direction.LOWER, baseline_value=D(20), target_value=D(25)))
    assert "below the baseline" in exc.value.errors["target_value"][0]


def test_numbers_typed_by_people():
    assert services.parse_value("85,5") == D("85.5") and services.parse_value(" 1 200 ") == D(1200)
    # a Persian keyboard's digits and decimal sign (and Arabic-Indic ones), and a percentage sign after the value
    assert [services.parse_value(t) for t in ("۲۷٫۵", "٣٫٥", "۱۲٬۳۴۵", "2.1%", "۸۷٪")] == [
        D("27.5"), D("3.5"), D(12345), D("2.1"), D(87)]
    for bad in ("", "abc", "NaN", "1e30", "%", "5%%"):
        with pytest.raises(ValidationFailed):
            services.parse_value(bad)


def test_measurements_inside_the_plan_and_one_per_day(make_plan, make_department, make_user):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    sales = make_department(name="Sales", code="SALES")
    kpi = services.create_kpi(plan, _values())
    services.record_measurement(kpi, measured_on=date(2026, 3, 1), value=D(30), department=sales, entered_by=None)
    services.record_measurement(kpi, measured_on=date(2026, 3, 1), value=D(35), department=sales, entered_by=make_user())
    assert [m.value for m in services.measurements(kpi)] == [D(35)]
    with pytest.raises(ValidationFailed) as exc:
        services.record_measurement(kpi, measured_on=date(2027, 3, 1), value=D(1), department=sales, entered_by=None)
    assert "inside the plan" in exc.value.errors["measured_on"][0]


def test_latest_attainment_per_department_for_both_directions(make_plan, make_department):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="CS")
    adoption = services.create_kpi(plan, _values(target_date=date(2026, 11, 1), baseline_date=date(2026, 1, 1)))
    duplicates = services.create_kpi(plan, _values(name="Duplicate customers", goal_family=GoalFamily.DATA_QUALITY,
                                                   direction=Direction.LOWER, baseline_value=D(10), target_value=D(2)))
    for day, value in ((date(2026, 3, 1), D(10)), (date(2026, 6, 1), D(40))):
        services.record_measurement(adoption, measured_on=day, value=value, department=sales, entered_by=None)
    services.record_measurement(adoption, measured_on=date(2026, 6, 1), value=D(10), department=service, entered_by=None)
    services.record_measurement(duplicates, measured_on=date(2026, 7, 1), value=D(6), department=None, entered_by=None)
    db.session.commit()
    found = {(a.kpi.name, a.department.name if a.department else None): a for a in
             services.latest_attainment([adoption, duplicates], today=date(2026, 8, 1))}
    sales_now = found[("Active users / licensed seats", "Sales")]
    assert sales_now.measured_on == date(2026, 6, 1) and sales_now.result.status == Rag.GREEN  # 40 of an expected ~40.7
    assert found[("Active users / licensed seats", "Service")].result.status == Rag.RED
    assert found[("Duplicate customers", None)].result.progress == 50


def test_intermediate_targets_between_baseline_and_target(make_plan):
    plan = make_plan(start=date(2026, 1, 1), end=date(2026, 12, 31))
    kpi = services.create_kpi(plan, _values())
    services.set_target(kpi, target_date=date(2026, 6, 30), value=D(60))
    assert [(p.day, p.value) for p in services.path_of(kpi)][1] == (date(2026, 6, 30), D(60))
    with pytest.raises(ValidationFailed):
        services.set_target(kpi, target_date=date(2027, 1, 5), value=D(60))
