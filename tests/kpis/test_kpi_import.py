import io
import json
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

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
