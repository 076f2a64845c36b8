"""The leadership dashboard, a KPI page and the leadership report as a Russian, a Chinese and a Persian reader
gets them: in Chromium the page's language, direction, headings and Plotly's own locale; the downloaded report
opened by LibreOffice in the same language."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import insert

from crmproject.adoption.models import AdoptionSnapshot, SnapshotSource
from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.i18n import HTML_LANG, _
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.plans.models import WaveKind
from crmproject.plans.services import add_wave

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect

TODAY = date.today()
PLOTLY_LOCALE = {"ru": "ru", "zh_Hans": "zh-CN", "fa": "fa"}
PLAN_NAME = {"ru": "Внедрение CRM", "zh_Hans": "CRM 实施", "fa": "استقرار CRM"}


def _in(language: str, message: str, **variables) -> str:
    with force_locale(language):
        return _(message, **variables)


def _date_axes_show_today(page) -> None:
    """Every chart on the page with a date axis is drawn over the plan's months, today among them: on the Solar
    Hijri calendar too, where plotly reads a range, a shape or an annotation in the axis's calendar (a Gregorian
    date given there put the axis a millennium wide, the data a sliver at its edge)."""
    page.locator(".chart[data-figure]").first.wait_for()
    expect(page.locator(".chart[data-figure]:not([data-drawn])")).to_have_count(0)
    spans = page.evaluate("""() => [...document.querySelectorAll('.chart[data-drawn]')].flatMap(el =>
        Object.values(el._fullLayout).filter(a => a && a._id && a._id[0] === 'x' && a.type === 'date')
              .map(a => [el.id, a._rl[0], a._rl[1]]))""")
    assert spans, "no chart with a date axis on the page"
    now, day = page.evaluate("Date.now()"), 86_400_000
    for chart, low, high in spans:  # a weekly chart may end at its last week's start
        assert low <= now and high >= now - 8 * day and high - low < 4 * 365 * day, (chart, low, high)


@pytest.mark.parametrize("language", ["ru", "zh_Hans", "fa"])
def test_dashboard_kpi_page_and_report_in_the_readers_language(app, page, browser_login, make_user, make_plan, make_department,
                                                              libreoffice, tmp_path, language):
    plan = make_plan(name=PLAN_NAME[language], start=TODAY - timedelta(days=200), end=TODAY + timedelta(days=300))
    sales = make_department(name="Sales", code="SALES", licensed_seats=10)
    wave = add_wave(plan, name="Pilot", go_live=TODAY - timedelta(days=90), kind=WaveKind.PILOT, departments=[sales])
    db.session.execute(insert(AdoptionSnapshot), [
        dict(department_id=sales.id, day=wave.go_live_date + timedelta(days=n), licensed_seats=10, active_users=7,
             weekly_active_users=7, monthly_active_users=7, logins=7, events=7, source=SnapshotSource.USAGE)
        for n in range(91)])
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name="Win rate", goal_family=GoalFamily.PROSPECTS, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(10), baseline_date=plan.start_date, target_value=Decimal("30.5"),
        target_date=plan.end_date))
    kpis.record_measurement(kpi, measured_on=TODAY - timedelta(days=2), value=Decimal("22.5"), department=sales,
                            entered_by=None)
    executive = make_user(Role.EXECUTIVE)
    executive.language = language
    db.session.commit()

    browser_login(executive)  # the login page in the browser's language, then the reader's own

    page.goto(f"/plans/{plan.id}/dashboard")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", HTML_LANG[language])
    expect(html).to_have_attribute("dir", "rtl" if language == "fa" else "ltr")
    expect(page.get_by_role("heading", name=_in(language, "Leadership dashboard"))).to_be_visible()
    expect(page.locator("#chart-waves[data-drawn=true] svg.main-svg").first).to_be_attached()
    # plotly.js draws with its own locale file for the language (served by the app): its month names, its menus
    assert page.evaluate("document.getElementById('chart-waves')._context.locale") == PLOTLY_LOCALE[language]
    _date_axes_show_today(page)

    page.goto(f"/plans/{plan.id}")  # the plan's timeline: its phases as bars from the plan's start to its end
    _date_axes_show_today(page)

    page.goto(f"/plans/{plan.id}/kpis/{kpi.id}")
    expect(html).to_have_attribute("lang", HTML_LANG[language])
    decimal = "," if language == "ru" else "."
    expect(page.locator("main")).to_contain_text(f"30{decimal}5")  # the target, as the language writes numbers
    expect(page.locator("main")).to_contain_text(_in(language, "Target"))
    _date_axes_show_today(page)

    page.goto(f"/plans/{plan.id}/dashboard")
    page.locator("#report-download").click()  # built by a job; its page follows it
    link = page.get_by_role("link", name=re.compile(r"\.xlsx\u2069?$"))  # a Persian page isolates the name
    expect(link).to_be_visible(timeout=60_000)
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "report.xlsx"
    download_info.value.save_as(saved)
    summary = libreoffice(saved.read_bytes(), "report.xlsx", "csv:Text - txt - csv (StarCalc):44,34,76").read_text(
        encoding="utf-8")
    assert _in(language, "Leadership report: %(plan)s", plan=PLAN_NAME[language]).replace("\u2068", "").replace(
        "\u2069", "") in summary.replace("\u2068", "").replace("\u2069", "")
