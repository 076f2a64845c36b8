"""Dates as each reader writes them: shown on the pages (ISO in English, the language's short date in Russian and
Chinese, the Solar Hijri calendar for Persian readers unless they choose the Gregorian one in their settings), read
back from what they type, and formatted in their workbooks."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from flask_babel import refresh
from openpyxl import load_workbook
from sqlalchemy import select

from crmproject.auth.models import Role, User
from crmproject.charts import figure_json
from crmproject.dates import force_calendar, parse_date
from crmproject.extensions import db
from crmproject.kpis import services as kpis
from crmproject.kpis.charts import kpi_figure
from crmproject.kpis.models import Direction, GoalFamily, KpiMeasurement

# LibreOffice's csv filter writing each cell as it is shown (its formatted text), in UTF-8
CSV_AS_SHOWN = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true"


@pytest.fixture
def kpi_world(make_plan, make_user):
    """A plan with a KPI valued on 2026-12-07 (1405/9/16 on the Solar Hijri calendar)."""
    plan = make_plan(start=date(2026, 1, 1), end=date(2027, 12, 31))
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Adoption", goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=D(0), baseline_date=date(2026, 1, 1), target_value=D(80), target_date=date(2027, 6, 30)))
    kpis.record_measurement(kpi, measured_on=date(2026, 12, 7), value=D(42), department=None, entered_by=None)
    db.session.commit()
    return plan, kpi


def _reader(make_user, login, language: str | None, role: Role = Role.PROJECT_MANAGER) -> User:
    user = make_user(role)
    user.language = language
    db.session.commit()
    login(user)
    return user


def _cell(page: str, css_class: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", found) for found in re.findall(rf'<td class="{css_class}">(.*?)</td>', page)]


@pytest.mark.parametrize(("language", "shown", "target"), [
    ("ru", "07.12.2026", "30.06.2027"),
    ("zh_Hans", "2026/12/7", "2027/6/30"),
])
def test_a_kpi_page_shows_dates_as_the_readers_language_writes_them(client, login, make_user, kpi_world, language,
                                                                    shown, target):
    plan, kpi = kpi_world
    _reader(make_user, login, language)
    page = client.get(f"/plans/{plan.id}/kpis/{kpi.id}").get_data(as_text=True)
    assert _cell(page, "date") == [shown]
    assert f"({target})" in page and "2026-12-07" not in page.split("<main")[1].split("data-figure")[0]


def test_english_keeps_iso_dates(client, login, make_user, kpi_world):
    plan, kpi = kpi_world
    _reader(make_user, login, None)
    page = client.get(f"/plans/{plan.id}/kpis/{kpi.id}").get_data(as_text=True)
    assert _cell(page, "date") == ["2026-12-07"] and "(2027-06-30)" in page


def test_a_persian_reader_sees_the_solar_hijri_date_and_can_switch_to_gregorian(client, login, make_user, kpi_world):
    plan, kpi = kpi_world
    user = _reader(make_user, login, "fa")
    page = client.get(f"/plans/{plan.id}/kpis/{kpi.id}").get_data(as_text=True)
    # 2026-12-07 is 16 Azar 1405, isolated in the right-to-left text and never broken across lines
    assert _cell(page, "date") == ["\u2068۱۶\u00a0آذر\u00a0۱۴۰۵\u2069"]

    settings = client.get("/account/password").get_data(as_text=True)
    assert 'name="calendar"' in settings and "میلادی" in settings  # the choice offers the Gregorian calendar
    saved = client.post("/account/calendar", data={"calendar": "gregorian"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/account/password"
    db.session.expire_all()
    assert db.session.get(User, user.id).calendar == "gregorian"
    page = client.get(f"/plans/{plan.id}/kpis/{kpi.id}").get_data(as_text=True)
    assert _cell(page, "date") == ["\u20682026/12/7\u2069"]

    # back to the language's default; a calendar that is not there changes nothing
    assert client.post("/account/calendar", data={"calendar": ""}).status_code == 302
    refused = client.post("/account/calendar", data={"calendar": "lunar"})
    assert refused.status_code == 200 and 'class="error"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).calendar is None


def test_an_english_reader_may_choose_the_solar_hijri_calendar(client, login, make_user, kpi_world):
    plan, kpi = kpi_world
    _reader(make_user, login, None)
    assert client.post("/account/calendar", data={"calendar": "persian"}).status_code == 302
    page = client.get(f"/plans/{plan.id}/kpis/{kpi.id}").get_data(as_text=True)
    assert _cell(page, "date") == ["16\u00a0Azar\u00a01405"]


@pytest.mark.parametrize(("language", "calendar", "typed"), [
    ("ru", None, "07.12.2026"),
    ("ru", None, "7.12.2026"),
    ("zh_Hans", None, "2026/12/7"),
    ("zh_Hans", None, "2026年12月7日"),
    ("fa", None, "1405/09/16"),  # the Solar Hijri calendar, Persian's default
    ("fa", None, "۱۴۰۵/۰۹/۱۶"),  # typed with Persian digits
    ("fa", None, "\u2068۱۶\u00a0آذر\u00a0۱۴۰۵\u2069"),  # copied from the page
    ("fa", "gregorian", "2026/12/7"),
    ("ru", None, "2026-12-07"),  # ISO, what a browser's date picker sends, always
    ("fa", None, "2026-12-07"),
])
def test_a_date_typed_in_the_readers_convention_is_read(client, login, make_user, kpi_world, language, calendar,
                                                        typed):
    plan, kpi = kpi_world
    user = _reader(make_user, login, language)
    user.calendar = calendar
    db.session.commit()
    response = client.post(f"/plans/{plan.id}/kpis/{kpi.id}/measurements", data={"measured_on": typed, "value": "50"})
    assert response.status_code == 302
    assert db.session.scalar(select(KpiMeasurement.measured_on).where(KpiMeasurement.value == D(50))) == date(2026, 12, 7)


@pytest.mark.parametrize(("language", "typed", "message"), [
    ("en", "07.12.2026", "Not a valid date value."),  # English reads ISO only, as before
    ("ru", "31.02.2026", "Это не дата."),  # no such day
    ("ru", "2026/12/7", "Это не дата."),  # Chinese's form, not Russian's
    ("zh_Hans", "07.12.2026", "不是有效的日期。"),
    ("fa", "1405/12/31", "تاریخ معتبری نیست."),  # 1405 is no leap year: Esfand has 29 days
])
def test_a_date_that_is_none_of_them_is_refused_at_its_field(client, login, make_user, kpi_world, language, typed,
                                                            message):
    plan, kpi = kpi_world
    _reader(make_user, login, language)
    response = client.post(f"/plans/{plan.id}/kpis/{kpi.id}/measurements", data={"measured_on": typed, "value": "50"})
    page = response.get_data(as_text=True)
    field = page.split('for="measured_on"')[1].split('<div class="field')[0]  # the date field's own box
    assert response.status_code == 200 and f'<div class="error" role="alert">{message}</div>' in field
    assert db.session.scalar(select(KpiMeasurement).where(KpiMeasurement.value == D(50))) is None


def test_the_timeline_names_the_field_of_a_date_it_cannot_read(client, login, make_user, make_plan):
    """A JSON answer says which field (the timeline's drag saves dates this way)."""
    from crmproject.tasks.services import create_task, ensure_categories

    plan = make_plan()
    pm = _reader(make_user, login, "ru")
    task = create_task(plan, title="Train the key users", category=ensure_categories()[0], actor=pm)
    db.session.commit()
    refused = client.post(f"/plans/{plan.id}/tasks/{task.id}/dates", headers={"Accept": "application/json"},
                          data={"start": "31.02.2026", "due": "10.03.2026", "version": str(task.version)})
    assert refused.status_code == 400 and refused.json["messages"] == ["Начало: Это не дата."]
    moved = client.post(f"/plans/{plan.id}/tasks/{task.id}/dates", headers={"Accept": "application/json"},
                        data={"start": "02.03.2026", "due": "10.03.2026", "version": str(task.version)})
    assert moved.status_code == 200 and (moved.json["start"], moved.json["due"]) == ("2026-03-02", "2026-03-10")


def test_parse_date_reads_only_the_readers_own_forms(app):
    with app.test_request_context("/", headers={"Accept-Language": "fa"}):
        refresh()
        assert parse_date("16 Azar 1405") == date(2026, 12, 7)
        assert parse_date("1405/9/16") == date(2026, 12, 7)
        with force_calendar("gregorian"):
            assert parse_date("2026/12/7") == date(2026, 12, 7) and parse_date("16 آذر 1405") is None
        assert parse_date("2026-02-30") is None and parse_date("") is None and parse_date("yesterday") is None
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert parse_date("2026-12-07") == date(2026, 12, 7) and parse_date("2026/12/7") is None


def test_messages_and_moments_show_the_readers_dates(app):
    """Services give their messages' dates as ISO text or dates; the reader gets their own form."""
    from crmproject.i18n import gettext

    moment = datetime(2026, 12, 7, 14, 5)
    for header, day, stamped in (("en", "2026-12-07", "2026-12-07 14:05 UTC"),
                                 ("ru", "07.12.2026", "07.12.2026 14:05 UTC"),
                                 ("zh", "2026/12/7", "2026/12/7 14:05 UTC")):
        with app.test_request_context("/", headers={"Accept-Language": header}):
            refresh()
            assert gettext("%(day)s", day="2026-12-07") == day
            assert gettext("%(day)s", day=date(2026, 12, 7)) == day
            assert gettext("%(until)s", until="2026-12-07 14:05 UTC") == stamped
            assert app.jinja_env.filters["datetime"](moment) == stamped
            assert gettext("%(code)s", code="2026-12-07-export") == "2026-12-07-export"  # not a date: left alone
    with app.test_request_context("/", headers={"Accept-Language": "fa"}):
        refresh()
        assert app.jinja_env.filters["datetime"](moment) == "\u2068۱۶\u00a0آذر\u00a0۱۴۰۵ ۱۴:۰۵ UTC\u2069"
        assert app.jinja_env.filters["month"](date(2026, 12, 1)) == "\u2068دسامبر\u00a02026\u2069"


def test_charts_hover_and_tick_in_the_readers_dates(app, kpi_world):
    plan, kpi = kpi_world
    figure = kpi_figure(kpi, kpis.path_of(kpi), kpis.chart_values(kpi), today=date(2026, 12, 7))
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert json.loads(figure_json(figure)) == json.loads(json.dumps(figure))  # English: as it was
    with app.test_request_context("/", headers={"Accept-Language": "ru"}):
        refresh()
        shown = json.loads(figure_json(figure))
        assert shown["layout"]["xaxis"]["hoverformat"] == "%d.%m.%Y" and "calendar" not in shown["layout"]["xaxis"]
        assert shown["data"][0]["x"] == figure["data"][0]["x"]  # the data stay ISO dates
    with app.test_request_context("/", headers={"Accept-Language": "fa"}):
        refresh()
        axis = json.loads(figure_json(figure))["layout"]["xaxis"]
        assert axis["calendar"] == "jalali" and axis["hoverformat"] == "%Y/%m/%d"
        assert [stop["value"] for stop in axis["tickformatstops"]] == ["%Y/%m/%d", "%Y/%m", "%Y"]  # numbers, not "Aza"
        # plotly reads the axis's range and what is placed on it in the axis's calendar, the traces' data in theirs
        shown = json.loads(figure_json({"data": [], "layout": {
            "xaxis": {"type": "date", "range": ["2026-03-21", "2026-12-07 12:00"]},
            "shapes": [{"x0": "2026-12-07", "x1": "2026-12-07", "yref": "paper"},
                       {"xref": "x domain", "x0": 0, "x1": 1, "y0": 5, "y1": 5}],
            "annotations": [{"x": "2026-12-07", "xref": "x", "text": "today"}]}}))["layout"]
        assert shown["xaxis"]["range"] == ["1405-01-01", "1405-09-16 12:00"]
        assert [(s["x0"], s["x1"]) for s in shown["shapes"]] == [("1405-09-16", "1405-09-16"), (0, 1)]
        assert shown["annotations"][0]["x"] == "1405-09-16"


def test_maturity_hover_dates_follow_the_language(app):
    from crmproject.maturity.blocks import BLOCKS
    from crmproject.maturity.charts import trend_figure

    figure = trend_figure({BLOCKS[0].block: [(date(2026, 12, 7), 2)]})
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        refresh()
        template = json.loads(figure_json(figure))["data"][0]["hovertemplate"]
        assert template.startswith("%{x|%Y/%-m/%-d}")


@pytest.mark.parametrize(("language", "number_format", "shown"), [
    (None, "yyyy-mm-dd", "2026-12-07"),
    ("ru", "dd.mm.yyyy", "07.12.2026"),
    ("zh_Hans", "yyyy/m/d", "2026/12/7"),
    ("fa", "yyyy/m/d", "2026/12/7"),
])
def test_an_exports_date_cells_are_formatted_the_readers_way(client, login, make_user, kpi_world, libreoffice,
                                                            language, number_format, shown):
    plan, _kpi = kpi_world
    _reader(make_user, login, language)
    response = client.get(f"/plans/{plan.id}/kpis/values.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    header = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(header) if h in ("Date", "Дата", "日期", "تاریخ"))
    cell = sheet.cell(row=2, column=column + 1)
    assert cell.is_date and cell.value.date() == date(2026, 12, 7) and cell.number_format == number_format
    # LibreOffice shows it the local way (its text as shown, the cell itself stays a date)
    rows = list(csv.reader(libreoffice(response.data, "values.xlsx", to=CSV_AS_SHOWN).read_text("utf-8").splitlines()))
    assert rows[1][column] == shown


@pytest.mark.parametrize(("language", "calendar", "attributes"), [
    (None, None, None),  # English: the ISO dates of the rows as they are
    ("ru", None, ('data-date-locale="ru-RU"', 'data-date-style="short"')),
    ("fa", None, ('data-date-locale="fa-IR-u-ca-persian"', 'data-date-style="medium"')),
    ("fa", "gregorian", ('data-date-locale="fa-IR-u-ca-gregory-nu-latn"', 'data-date-style="short"')),
])
def test_the_timeline_tells_its_script_how_the_reader_writes_dates(client, login, make_user, make_plan, language,
                                                                   calendar, attributes):
    plan = make_plan()
    user = _reader(make_user, login, language)
    user.calendar = calendar
    db.session.commit()
    page = client.get(f"/plans/{plan.id}/timeline/").get_data(as_text=True)
    tag = re.search(r'<div id="timeline"[^>]*>', page).group(0)
    if attributes is None:
        assert "data-date-locale" not in tag
    else:
        assert all(a in tag for a in attributes)
