"""The leadership report: the dashboard of a plan as an xlsx workbook, with native Excel charts.

Sheets, in order: Summary (headline figures, the departments to look at and
the rules behind their verdicts), Charts (line and bar charts drawn by Excel
or LibreOffice from the data sheets), then one table per sheet, written with
crmproject.spreadsheets so every export looks and behaves alike: Departments,
KPIs, KPI values, Tasks, Training, Training by department, Adoption by week
(long, for pivot tables) and Adoption by wave (wide, behind the wave chart).

The workbook is streamed (write-only). For the large demo (9,480 weekly rows,
5,000 tasks) writing the sheets takes about two seconds; most of it is
openpyxl serialising cells, so the tables hold plain values, not styles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import DateAxis
from openpyxl.chart.series import Series
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import select

from crmproject.auth.models import User
from crmproject.business_case.excel import summary_rows, write_business_case
from crmproject.business_case.services import BusinessCase, business_case
from crmproject.charts import COLOURS
from crmproject.dashboard.charts import WAVE_COLOURS
from crmproject.dashboard.services import OPEN_STATUSES, Dashboard, Filters, build_dashboard
from crmproject.dates import xlsx_month_format
from crmproject.departments.models import Department
from crmproject.exports import download_name
from crmproject.extensions import db
from crmproject.i18n import _, format_number
from crmproject.kpis.attainment import Rag
from crmproject.kpis.services import latest_attainment, list_kpis
from crmproject.plans.models import Phase, Plan
from crmproject.spreadsheets import Column, new_workbook, write_table
from crmproject.spreadsheets.writer import ColumnKind, printable, safe_cell
from crmproject.tasks.models import ChangeTask, TaskPriority, TaskStatus

PERCENT_FORMAT = "0.0%"
_TITLE = Font(bold=True, size=14)
_BOLD = Font(bold=True)
_CM_PER_ROW = 0.53  # a default row (15 points) on the Charts sheet, to stack the charts without overlap


def _hex(name: str) -> str:
    return COLOURS[name].lstrip("#").upper()


# --- the headline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineFigure:
    """One headline figure as a reader sees it: what, how much, and against what."""

    label: str
    value: int | float | None
    kind: ColumnKind  # "integer" or "percent" (percentage points)
    detail: str

    def text(self) -> str:
        """The figure in one line, for the command line."""
        if self.value is None:
            shown = _("no figures yet")
        elif self.kind == "percent":
            shown = _("%(n)s%%", n=format_number(self.value))
        else:
            shown = str(self.value)
        line = _("%(label)s: %(value)s", label=self.label, value=shown)
        return _("%(figure)s (%(detail)s)", figure=line, detail=self.detail) if self.detail else line


def headline_figures(d: Dashboard) -> list[HeadlineFigure]:
    """The Summary's headline figures, in the order leadership reads them."""
    h = d.headline
    if h.adoption is None:
        adoption_detail = _("target %(target)s%%", target=format_number(h.target))
    elif h.adoption_met:
        adoption_detail = _("target %(target)s%%: met", target=format_number(h.target))
    else:
        adoption_detail = _("target %(target)s%%: %(gap)s points below", target=format_number(h.target),
                            gap=format_number(round(h.target - h.adoption, 1)))
    if h.report_period is None:
        report_detail = _("no reporting period is due yet")
    else:
        report_detail = _("for the period %(start)s to %(end)s", start=h.report_period[0].isoformat(),
                          end=h.report_period[1].isoformat())
    return [
        HeadlineFigure(_("Departments live"), h.live, "integer",
                       _("of %(n)s departments", n=h.departments)),
        HeadlineFigure(_("Adoption of the live departments (latest week)"), h.adoption, "percent", adoption_detail),
        HeadlineFigure(_("Training completion (mandatory courses)"), h.training, "percent", ""),
        HeadlineFigure(_("KPIs on track (green)"), h.kpis_green, "integer",
                       _("of %(n)s measured", n=h.kpis_measured)),
        HeadlineFigure(_("Overdue change tasks"), h.overdue_tasks, "integer", ""),
        HeadlineFigure(_("Departments that have not reported"), h.not_reported if h.report_period else None,
                       "integer", report_detail),
    ]


def filters_text(plan: Plan, filters: Filters) -> str:
    """The filters in words: 'Wave: Pilot; from 2026-01-01', or that the report covers the whole plan."""
    parts = []
    if filters.wave_id is not None:
        wave = next((w for w in plan.waves if w.id == filters.wave_id), None)
        parts.append(_("wave: %(name)s", name=wave.name if wave else filters.wave_id))
    if filters.department_id is not None:
        department = next((a.department for w in plan.waves for a in w.assignments
                           if a.department_id == filters.department_id), None)
        parts.append(_("department: %(name)s", name=department.name if department else filters.department_id))
    if filters.first is not None:
        parts.append(_("from %(day)s", day=filters.first.isoformat()))
    if filters.last is not None:
        parts.append(_("to %(day)s", day=filters.last.isoformat()))
    return "; ".join(parts) if parts else _("none (the whole plan)")


# --- the workbook ----------------------------------------------------------------------------------


def build_report(plan: Plan, *, today: date, filters: Filters | None = None, notices: Sequence[str] = (),
                 task_scope: int | None | bool = True) -> Workbook:
    """The leadership report of a plan (loaded with load_plan or plan_or_404) as a workbook to save once.

    `notices` (filter values that were left out, from parse_filters) are stated on the summary;
    `task_scope` is the reader's (auth.permissions.task_department_scope): a department head's report
    lists only their department's change tasks, as their task list does.
    """
    d = build_dashboard(plan, filters or Filters(), today=today)
    return report_workbook(plan, d, notices=notices, task_scope=task_scope)


def report_filename(plan: Plan, filters: Filters, *, today: date) -> str:
    """The report's download name: the plan, and the wave or department it is narrowed to, dated."""
    scope = [w.name for w in plan.waves if w.id == filters.wave_id]
    scope += [a.department.code for w in plan.waves for a in w.assignments if a.department_id == filters.department_id]
    return download_name(plan.name, _("leadership report"), *scope, today=today)


def write_report(plan: Plan, output: str | BinaryIO, *, today: date, filters: Filters | None = None,
                 notices: Sequence[str] = (), task_scope: int | None | bool = True) -> None:
    """Build the leadership report and save it to a path or a binary stream."""
    build_report(plan, today=today, filters=filters, notices=notices, task_scope=task_scope).save(output)


def report_workbook(plan: Plan, d: Dashboard, *, notices: Sequence[str] = (),
                    task_scope: int | None | bool = True) -> Workbook:
    """The workbook of an already built dashboard (the command line prints the same dashboard's figures)."""
    workbook = new_workbook()
    # a streamed workbook keeps its sheets in the order they are made: the summary and charts come first
    summary = workbook.create_sheet(_("Summary"))
    chart_sheet = workbook.create_sheet(_("Charts"))
    printable(summary)
    printable(chart_sheet)

    departments = _departments_sheet(workbook, d)
    kpis = _kpis_sheet(workbook, d)
    _kpi_values_sheet(workbook, plan, d)
    _tasks_sheet(workbook, plan, d, task_scope)
    _courses_sheet(workbook, d)
    training = _training_sheet(workbook, d)
    _weeks_sheet(workbook, d)
    waves = _waves_sheet(workbook, d)
    case = business_case(plan, today=d.today)
    costs = _Table(write_business_case(workbook, case), len(case.months), {})

    _write_summary(summary, plan, d, notices, case)
    _write_charts(chart_sheet, d, departments=departments, kpis=kpis, training=training, waves=waves,
                  costs=costs if not case.empty else None)
    return workbook


# --- the Summary sheet -----------------------------------------------------------------------------


_SUMMARY_WIDTHS = {"A": 46, "B": 28, "C": 26, "D": 10, "E": 10, "F": 12, "G": 11, "H": 100}
_TEXT = Column("")
_INTEGER = Column("", kind="integer")
_PERCENT = Column("", kind="percent", number_format=PERCENT_FORMAT)
_NUMBER = Column("", kind="number", number_format="0.0")
_DATE = Column("", kind="date")


def _append(sheet: WriteOnlyWorksheet, *values: object, columns: Sequence[Column] = (),
            font: Font | None = None) -> None:
    """One row of the summary, written the way write_table writes cells (text stays text, never a formula)."""
    cells = []
    for n, value in enumerate(values):
        cell = safe_cell(sheet, value, columns[n] if n < len(columns) else _TEXT)
        if cell is not None and font is not None:
            cell.font = font
        cells.append(cell)
    sheet.append(cells)


def _write_summary(sheet: WriteOnlyWorksheet, plan: Plan, d: Dashboard, notices: Sequence[str],
                   case: BusinessCase) -> None:
    for letter, width in _SUMMARY_WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    _append(sheet, _("Leadership report: %(plan)s", plan=d.plan_name), font=_TITLE)
    _append(sheet, _("Plan"), d.plan_name)
    _append(sheet, _("Date"), d.today, columns=(_TEXT, _DATE))
    _append(sheet, _("Weeks shown"), _("%(first)s to %(last)s", first=d.first.isoformat(), last=d.last.isoformat()))
    _append(sheet, _("Filters"), filters_text(plan, d.filters))
    for notice in notices:
        _append(sheet, _("Left out"), notice)
    _append(sheet)

    _append(sheet, _("Headline figures"), font=_BOLD)
    for figure in headline_figures(d):
        kind = _PERCENT if figure.kind == "percent" else _INTEGER
        _append(sheet, figure.label, figure.value, figure.detail or None, columns=(_TEXT, kind, _TEXT))
    _append(sheet)

    _append(sheet, _("Departments to look at: fading or no effect"), font=_BOLD)
    warnings = d.warnings
    if warnings:
        _append(sheet, _("Department"), _("Wave"), _("Shape"), _("Peak %"), _("Latest %"), _("Drop (points)"),
                _("Weeks live"), _("Why"), font=_BOLD)
        for row in warnings:
            v = row.verdict
            _append(sheet, row.name, row.wave_name or None, str(v.shape.label), v.peak, v.latest, v.drop,
                    v.weeks_live, v.explanation(d.rules),
                    columns=(_TEXT, _TEXT, _TEXT, _PERCENT, _PERCENT, _NUMBER, _INTEGER, _TEXT))
    else:
        _append(sheet, _("None: no department in the report is fading or shows no effect."))
    _append(sheet)

    _append(sheet, _("Costs and benefits"), font=_BOLD)
    if case.empty:
        _append(sheet, _("No budget line and no KPI valued in money yet."))
    for label, value in summary_rows(case):
        _append(sheet, label, value, columns=(_TEXT, _NUMBER if isinstance(value, Decimal) else _TEXT))
    _append(sheet)

    _append(sheet, _("How the adoption shape is judged"), font=_BOLD)
    for rule in d.rules.stated():
        _append(sheet, rule)
    _append(sheet)
    _append(sheet, _("The charts are on the Charts sheet; the figures behind them are on the sheets after it."))


# --- the data sheets -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    """A written data sheet, and where its columns are, for the charts' references."""

    sheet: WriteOnlyWorksheet
    rows: int
    columns: dict[str, int]  # key -> column number (1-based)


def _table(workbook: Workbook, title: str, columns: Sequence[tuple[str, Column]], rows: Sequence[Sequence[object]]) -> _Table:
    sheet = write_table(workbook, title, [c for _key, c in columns], rows)
    return _Table(sheet, len(rows), {key: n for n, (key, _c) in enumerate(columns, start=1)})


def _departments_sheet(workbook: Workbook, d: Dashboard) -> _Table:
    columns = [
        ("name", Column(_("Department"))), ("code", Column(_("Code"))), ("wave", Column(_("Wave"))),
        ("go_live", Column(_("Go-live"), kind="date")), ("live", Column(_("Live"), kind="bool")),
        ("seats", Column(_("Licensed seats"), kind="integer")),
        ("adoption", Column(_("Adoption %"), kind="percent", number_format=PERCENT_FORMAT)),
        ("target", Column(_("Target %"), kind="percent", number_format=PERCENT_FORMAT)),
        ("shape", Column(_("Shape"))), ("why", Column(_("Why"), width=60)),
        ("training", Column(_("Training %"), kind="percent", number_format=PERCENT_FORMAT)),
        ("red", Column(_("KPIs red"), kind="integer")), ("amber", Column(_("KPIs amber"), kind="integer")),
        ("green", Column(_("KPIs green"), kind="integer")),
        ("open", Column(_("Open tasks"), kind="integer")), ("overdue", Column(_("Overdue tasks"), kind="integer")),
        ("report", Column(_("Last report"))),
    ]
    rows = [
        [r.name, r.code, r.wave_name or None, r.go_live, r.live, r.licensed_seats, r.adoption, d.target,
         str(r.verdict.shape.label), r.verdict.explanation(d.rules), r.training,
         r.kpis.get(Rag.RED, 0), r.kpis.get(Rag.AMBER, 0), r.kpis.get(Rag.GREEN, 0), r.open_tasks, r.overdue_tasks,
         str(r.report.label) if r.report else None]
        for r in d.departments
    ]
    return _table(workbook, _("Departments"), columns, rows)


def _kpis_sheet(workbook: Workbook, d: Dashboard) -> _Table:
    columns = [
        ("name", Column(_("KPI"))), ("unit", Column(_("Unit"))),
        ("red", Column(_("Red"), kind="integer")), ("amber", Column(_("Amber"), kind="integer")),
        ("green", Column(_("Green"), kind="integer")), ("measured", Column(_("Measured"), kind="integer")),
        ("plan_wide", Column(_("Plan-wide status"))),
    ]
    rows = [[k.name, k.unit or None, k.counts.get(Rag.RED, 0), k.counts.get(Rag.AMBER, 0), k.counts.get(Rag.GREEN, 0),
             k.measured, str(k.plan_wide.label) if k.plan_wide else None] for k in d.kpis]
    return _table(workbook, _("KPIs"), columns, rows)


def _kpi_values_sheet(workbook: Workbook, plan: Plan, d: Dashboard) -> _Table:
    """The latest value of each KPI for each department in the report, and plan-wide."""
    in_scope = {r.id for r in d.departments}
    whole_plan = _("Whole plan")
    columns = [
        ("kpi", Column(_("KPI"))), ("unit", Column(_("Unit"))), ("department", Column(_("Department"))),
        ("measured_on", Column(_("Measured on"), kind="date")), ("actual", Column(_("Actual"), kind="number")),
        ("expected", Column(_("Expected by then"), kind="number")), ("status", Column(_("Status"))),
    ]
    labels = {rag: str(rag.label) for rag in Rag}
    rows = [
        [a.kpi.name, a.kpi.unit or None, a.department.name if a.department else whole_plan, a.measured_on,
         a.result.actual, a.result.expected, labels[a.result.status]]
        for a in latest_attainment(list_kpis(plan), today=d.today)
        if a.department is None or a.department.id in in_scope
    ]
    return _table(workbook, _("KPI values"), columns, rows)


def _tasks_sheet(workbook: Workbook, plan: Plan, d: Dashboard, scope: int | None | bool) -> _Table:
    """The plan's change tasks the reader may see (only the filtered departments' when a filter is set):
    one query of columns."""
    query = (
        select(ChangeTask.id, ChangeTask.title, Phase.name, Department.name, User.name, ChangeTask.status,
               ChangeTask.priority, ChangeTask.start_date, ChangeTask.due_date)
        .outerjoin(Phase, Phase.id == ChangeTask.phase_id)
        .outerjoin(Department, Department.id == ChangeTask.department_id)
        .outerjoin(User, User.id == ChangeTask.owner_id)
        .where(ChangeTask.plan_id == plan.id)
        .order_by(ChangeTask.due_date.is_(None), ChangeTask.due_date, ChangeTask.id)
    )
    if d.filters.wave_id is not None or d.filters.department_id is not None:
        query = query.where(ChangeTask.department_id.in_([r.id for r in d.departments]))
    if scope is not True:
        query = query.where(ChangeTask.department_id == scope)
    statuses = {s: str(s.label) for s in TaskStatus}
    priorities = {p: str(p.label) for p in TaskPriority}
    columns = [
        ("id", Column(_("ID"), kind="integer", width=8)), ("title", Column(_("Title"))), ("phase", Column(_("Phase"))),
        ("department", Column(_("Department"))), ("owner", Column(_("Owner"))), ("status", Column(_("Status"))),
        ("priority", Column(_("Priority"))), ("start", Column(_("Start"), kind="date")),
        ("due", Column(_("Due"), kind="date")), ("overdue", Column(_("Overdue"), kind="bool")),
    ]
    rows = [
        [task_id, title, phase, department, owner, statuses[status], priorities[priority], start, due,
         due is not None and due < d.today and status in OPEN_STATUSES]
        for task_id, title, phase, department, owner, status, priority, start, due in db.session.execute(query)
    ]
    return _table(workbook, _("Tasks"), columns, rows)


def _courses_sheet(workbook: Workbook, d: Dashboard) -> _Table:
    columns = [
        ("code", Column(_("Code"))), ("name", Column(_("Course"))), ("mandatory", Column(_("Mandatory"), kind="bool")),
        ("completed", Column(_("Completed"), kind="integer")), ("counted", Column(_("Counted"), kind="integer")),
        ("percent", Column(_("Completed %"), kind="percent", number_format=PERCENT_FORMAT)),
    ]
    rows = [[c.code, c.name, c.mandatory, c.completed, c.counted, c.percent] for c in d.courses]
    return _table(workbook, _("Training"), columns, rows)


def _training_sheet(workbook: Workbook, d: Dashboard) -> _Table:
    """Completion of the mandatory courses per department (behind the training chart)."""
    columns = [
        ("department", Column(_("Department"))), ("wave", Column(_("Wave"))),
        ("completed", Column(_("Completed"), kind="integer")), ("counted", Column(_("Counted"), kind="integer")),
        ("percent", Column(_("Completed %"), kind="percent", number_format=PERCENT_FORMAT)),
    ]
    rows = [[r.name, r.wave_name or None, r.training_completed, r.training_counted, r.training]
            for r in d.departments]
    return _table(workbook, _("Training by department"), columns, rows)


def _weeks_sheet(workbook: Workbook, d: Dashboard) -> _Table:
    """One row per week and department: the sums behind the percent, so any grouping adds up in a pivot table."""
    columns = [
        ("week", Column(_("Week"), kind="date")), ("department", Column(_("Department"))),
        ("wave", Column(_("Wave"))),
        ("active", Column(_("Active users (sum over the days)"), kind="integer")),
        ("seats", Column(_("Licensed seats (sum over the days)"), kind="integer")),
        ("percent", Column(_("Adoption %"), kind="percent", number_format=PERCENT_FORMAT)),
    ]
    rows: list[list[Any]] = [
        [w.week, r.name, r.wave_name or None, w.active, w.seats, w.percent]
        for r in d.departments for w in d.department_week_figures.get(r.id, ())
    ]
    rows.sort(key=lambda row: row[0])  # stable: departments stay in the dashboard's order within a week
    return _table(workbook, _("Adoption by week"), columns, rows)


def _waves_sheet(workbook: Workbook, d: Dashboard) -> _Table:
    """Weeks against waves, seat-weighted, and the target: the table behind the wave chart."""
    percent: dict[str, Any] = {"kind": "percent", "number_format": PERCENT_FORMAT}
    columns = [("week", Column(_("Week"), kind="date")), ("target", Column(_("Target"), **percent))]
    columns += [(f"wave-{w.id}", Column(w.name, **percent)) for w in d.waves]
    series = [d.wave_weeks.get(w.id, [None] * len(d.weeks)) for w in d.waves]
    rows = [[week, d.target, *(values[n] for values in series)] for n, week in enumerate(d.weeks)]
    return _table(workbook, _("Adoption by wave"), columns, rows)


# --- the charts ------------------------------------------------------------------------------------


def _write_charts(sheet: WriteOnlyWorksheet, d: Dashboard, *, departments: _Table, kpis: _Table, training: _Table,
                  waves: _Table, costs: _Table | None) -> None:
    """Native charts drawn from the data sheets, stacked down the sheet."""
    sheet.column_dimensions["A"].width = 12
    _append(sheet, _("Charts: %(plan)s", plan=d.plan_name), font=_TITLE)
    charts = []
    if d.waves and d.weeks:
        charts.append(_waves_chart(d, waves))
    if departments.rows:
        charts.append(_adoption_chart(d, departments))
    if any(r.training_counted for r in d.departments):
        charts.append(_training_chart(training))
    if any(k.measured for k in d.kpis):
        charts.append(_kpi_chart(kpis))
    if costs is not None and costs.rows:
        charts.append(_costs_chart(costs))
    if not charts:
        _append(sheet, _("No figures to chart yet."))
    row = 3
    for chart in charts:
        sheet.add_chart(chart, f"A{row}")
        row += math.ceil(chart.height / _CM_PER_ROW) + 2


def _costs_chart(costs: _Table) -> LineChart:
    """Planned and actual cost and planned and realised benefit, cumulative by month (the sheet's columns 6-9)."""
    chart = LineChart()
    chart.title = _("Cost and benefit, summed month by month")
    chart.height, chart.width = 10, 26
    chart.display_blanks = "gap"
    chart.y_axis.number_format = "#,##0"
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    last = costs.rows + 1
    chart.add_data(Reference(costs.sheet, min_col=6, max_col=9, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(costs.sheet, min_col=1, min_row=2, max_row=last))
    chart.x_axis.number_format = xlsx_month_format()
    for series, colour, dash in zip(chart.series, ("grey", "red", "phase", "green"), ("dash", None, "dash", None),
                                    strict=False):
        _line(series, _hex(colour), dash=dash)
    return chart


def _percent_axis(chart, title: str) -> None:
    chart.y_axis.title = title
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _line(series: Series, colour: str, *, width_emu: int = 28575, dash: str | None = None) -> None:
    series.smooth = False
    series.marker.symbol = "none"
    series.graphicalProperties.line.solidFill = colour
    series.graphicalProperties.line.width = width_emu
    if dash:
        series.graphicalProperties.line.dashStyle = dash


def _waves_chart(d: Dashboard, waves: _Table) -> LineChart:
    """Seat-weighted weekly adoption per wave, with the target as a dashed line."""
    chart = LineChart()
    chart.title = _("Weekly adoption per wave against the target")
    chart.height, chart.width = 10, 26
    chart.display_blanks = "gap"
    _percent_axis(chart, _("active / licensed seats"))
    chart.y_axis.crossAx = 500
    chart.x_axis = DateAxis(crossAx=100)
    chart.x_axis.number_format = "mmm yyyy"
    chart.x_axis.majorTimeUnit = "months"
    chart.x_axis.delete = False
    last = waves.rows + 1
    first_wave, last_wave = waves.columns["target"] + 1, waves.columns["target"] + len(d.waves)
    chart.add_data(Reference(waves.sheet, min_col=first_wave, max_col=last_wave, min_row=1, max_row=last),
                   titles_from_data=True)
    chart.add_data(Reference(waves.sheet, min_col=waves.columns["target"], min_row=1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(waves.sheet, min_col=waves.columns["week"], min_row=2, max_row=last))
    for wave, series in zip(d.waves, chart.series[:-1], strict=False):  # each wave in its dashboard colour
        _line(series, WAVE_COLOURS[wave.position % len(WAVE_COLOURS)].lstrip("#").upper())
    _line(chart.series[-1], _hex("green"), width_emu=19050, dash="dash")
    chart.legend.position = "b"
    return chart


def _adoption_chart(d: Dashboard, departments: _Table) -> BarChart:
    """Latest adoption per department as columns, the target as a line across them."""
    last = departments.rows + 1
    names = Reference(departments.sheet, min_col=departments.columns["name"], min_row=2, max_row=last)
    bars = BarChart()
    bars.type = "col"
    bars.title = _("Latest adoption per department against the target")
    bars.height, bars.width = 10, max(26, 0.55 * departments.rows)
    bars.add_data(Reference(departments.sheet, min_col=departments.columns["adoption"], min_row=1, max_row=last),
                  titles_from_data=True)
    bars.set_categories(names)
    bars.series[0].graphicalProperties.solidFill = _hex("phase")
    bars.gapWidth = 60
    _percent_axis(bars, _("active / licensed seats"))
    target = LineChart()
    target.add_data(Reference(departments.sheet, min_col=departments.columns["target"], min_row=1, max_row=last),
                    titles_from_data=True)
    target.set_categories(names)
    _line(target.series[0], _hex("green"), width_emu=19050, dash="dash")
    bars += target
    bars.legend.position = "b"
    return bars


def _training_chart(training: _Table) -> BarChart:
    """Completion of the mandatory courses per department, top to bottom in the dashboard's order."""
    last = training.rows + 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = _("Training completion per department (mandatory courses)")
    chart.height, chart.width = max(8, 0.5 * training.rows + 3), 20
    chart.add_data(Reference(training.sheet, min_col=training.columns["percent"], min_row=1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(training.sheet, min_col=training.columns["department"], min_row=2, max_row=last))
    chart.series[0].graphicalProperties.solidFill = _hex("green")
    chart.x_axis.scaling.orientation = "maxMin"  # the first department at the top, as in the table
    _percent_axis(chart, _("completed"))
    chart.y_axis.scaling.max = 1
    chart.legend = None
    return chart


def _kpi_chart(kpis: _Table) -> BarChart:
    """Per KPI, the departments (and the plan-wide figure) red, amber and green, stacked."""
    last = kpis.rows + 1
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = _("KPI status: departments by latest status")
    chart.height, chart.width = max(7, 0.6 * kpis.rows + 3), 20
    chart.add_data(Reference(kpis.sheet, min_col=kpis.columns["red"], max_col=kpis.columns["green"], min_row=1,
                             max_row=last), titles_from_data=True)
    chart.set_categories(Reference(kpis.sheet, min_col=kpis.columns["name"], min_row=2, max_row=last))
    for series, colour in zip(chart.series, ("red", "amber", "green"), strict=True):
        series.graphicalProperties.solidFill = _hex(colour)
        series.graphicalProperties.line.solidFill = _hex(colour)
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.title = _("departments")
    chart.y_axis.scaling.min = 0
    chart.legend.position = "b"
    return chart
