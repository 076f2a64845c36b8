import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.kpis import services
from crmproject.kpis.models import Direction, GoalFamily, KpiMeasurement


@pytest.fixture
def kpi(make_plan, make_department):
    plan = make_plan(name="Rollout", start=date(2026, 1, 1), end=date(2026, 12, 31))
    make_department(name="Sales", code="SALES")
    kpi = services.create_kpi(plan, services.KpiValues(
        name="Active users / licensed seats", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER,
        baseline_value=D(0), baseline_date=date(2026, 1, 1), target_value=D(80), target_date=date(2026, 12, 31)))
    db.session.commit()
    return kpi


def _xlsx(rows) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Monthly KPI report"])
    ws.append([])
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_kpi_values_import_from_xlsx(runner, kpi, tmp_path):
    path = tmp_path / "values.xlsx"
    path.write_bytes(_xlsx([["Indicator", "Dept", "As of", "Actual", "Comment"],
                            ["active users / LICENSED seats", "sales", date(2026, 3, 31), 35.5, "from the CRM"],
                            ["Active users / licensed seats", "SALES", "2026-04-30", "41", None]]))
    result = runner("import", "kpis", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows_read"], summary["values_saved"], summary["errors"]) == (2, 2, [])
    values = db.session.scalars(db.select(KpiMeasurement).order_by(KpiMeasurement.measured_on)).all()
    assert [(m.measured_on, m.value, m.department.code, m.note) for m in values] == [
        (date(2026, 3, 31), D("35.5"), "SALES", "from the CRM"), (date(2026, 4, 30), D(41), "SALES", "")]


def test_kpi_import_is_all_or_nothing_with_row_and_column(runner, kpi, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("KPI,Department,Date,Value\n"
                    "Active users / licensed seats,Sales,2026-03-31,35\n"
                    "Active users / licensed seats,Sales,2027-03-31,40\n"
                    "Active users / licensed seats,Atlantis,2026-04-30,40\n"
                    "Unknown KPI,Sales,2026-04-30,40\n"
                    "Active users / licensed seats,Sales,2026-05-31,lots\n", encoding="utf-8")
    result = runner("import", "kpis", str(path), "--json")
    assert result.exit_code != 0
    errors = json.loads(result.output[: result.output.rindex("}") + 1])["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "C"), (4, "B"), (5, "A"), (6, "D")]
    assert "outside the KPI's plan" in errors[0]["message"] and "is not a number" in errors[3]["message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(KpiMeasurement)) == 0


def _json(output: str) -> dict:
    return json.loads(output[: output.rindex("}") + 1])


def _stored() -> list[tuple]:
    rows = db.session.scalars(db.select(KpiMeasurement).order_by(KpiMeasurement.measured_on, KpiMeasurement.id)).all()
    return [(m.measured_on, m.value, m.department.code if m.department else None) for m in rows]


def test_two_values_for_the_same_kpi_department_and_day_are_an_error_naming_both_rows(runner, kpi, tmp_path):
    """Before: "2 values saved", one row stored (the last), no warning."""
    path = tmp_path / "values.xlsx"
    path.write_bytes(_xlsx([["KPI", "Department", "Date", "Value"],
                            ["Active users / licensed seats", "Sales", date(2026, 3, 31), 35],
                            ["Active users / licensed seats", "Sales", date(2026, 4, 30), 41],
                            ["Active users / licensed seats", "SALES", "2026-03-31", 40]]))
    dry = runner("import", "kpis", str(path), "--dry-run", "--json")
    assert dry.exit_code != 0
    summary = _json(dry.output)
    assert (summary["values_saved"], summary["values_valid"]) == (0, 2)
    assert [(e["sheet"], e["row"], e["column"], e["header"]) for e in summary["errors"]] == [("Sheet", 6, "D", "Value")]
    assert summary["errors"][0]["message"] == (
        "Rows 4 and 6 of sheet Sheet give Active users / licensed seats on 2026-03-31 for the same department two values "
        "(35 and 40): only one value per day is kept, so remove or correct one of the rows.")
    real = runner("import", "kpis", str(path))
    assert real.exit_code != 0
    assert "Sheet Sheet, row 6, column D (Value): Rows 4 and 6 of sheet Sheet give" in real.output
    assert "Nothing was imported: 1 rows have errors." in real.output
    assert _stored() == []  # all or nothing: the valid April row is not saved either


def test_an_identical_repeated_row_is_counted_once_with_a_warning(runner, kpi, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text("KPI,Department,Date,Value\n"
                    "Active users / licensed seats,Sales,2026-03-31,35\n"
                    "Active users / licensed seats,Sales,2026-03-31,35.0\n"
                    "Active users / licensed seats,,2026-03-31,50\n", encoding="utf-8")
    dry = runner("import", "kpis", str(path), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    summary = json.loads(dry.output)
    assert (summary["rows_read"], summary["values_valid"], summary["duplicate_rows"], summary["values_saved"]) == (3, 2, 1, 0)
    assert [(w["row"], w["column"]) for w in summary["warnings"]] == [(3, "D")]
    assert "repeats row 2 of sheet values" in summary["warnings"][0]["message"]
    result = runner("import", "kpis", str(path))
    assert result.exit_code == 0, result.output
    assert "3 rows read, 2 values valid, 2 saved." in result.output
    assert "warning: Sheet values, row 3, column D (Value): Row 3 repeats row 2" in result.output
    # the plan-wide value (no department) on the same day is another series, not a conflict
    assert _stored() == [(date(2026, 3, 31), D(35), "SALES"), (date(2026, 3, 31), D(50), None)]


def test_a_kpi_of_one_department_conflicts_whether_the_row_names_it_or_not(runner, kpi, tmp_path):
    sales = db.session.scalar(db.select(Department).where(Department.code == "SALES"))
    kpi.department_id = sales.id
    db.session.commit()
    path = tmp_path / "values.csv"
    path.write_text("KPI,Department,Date,Value,Note\n"
                    "Active users / licensed seats,,2026-03-31,35,first\n"
                    "Active users / licensed seats,Sales,2026-03-31,35,second\n", encoding="utf-8")
    result = runner("import", "kpis", str(path), "--json")
    assert result.exit_code != 0
    (error,) = _json(result.output)["errors"]
    assert (error["row"], error["column"], error["header"]) == (3, "E", "Note")
    assert "Rows 2 and 3 of sheet values" in error["message"] and "two notes ('first' and 'second')" in error["message"]
    assert _stored() == []
