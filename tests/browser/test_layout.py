"""Every main page reads well at desktop (1440x900) and phone (390x844) size, for every role that can see it.

The database holds the demo organisation (crmproject/demo), with a long KPI name and a task whose title
carries a long address on top, so the pages have the content people really see. One test logs each role in
turn and opens all its pages at both sizes, collecting every problem (page, role, size, word and element)
before it fails:

- the document scrolls sideways (a wide table must scroll inside its own box instead);
- a word of 2 to 24 characters in a table cell, heading, card, badge or menu is drawn across two lines.
  Longer words (an address) may break: they are longer than many a column.

Another checks that the menu folds on a phone and opens from the keyboard."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import make_url, select, update

from crmproject.auth.models import Role, User
from crmproject.demo.services import DEMO_PASSWORD, demo_plan, head_email
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.notifications.kinds import Kind
from crmproject.notifications.services import send_due
from crmproject.notifications.tokens import make_token as stop_token
from crmproject.gates.services import list_gates
from crmproject.steering.services import list_meetings
from crmproject.baselines.services import list_baselines
from crmproject.business_case.services import list_lines
from crmproject.comments import targets as comment_targets
from crmproject.comments.services import post_comment
from crmproject.hypercare.services import plan_issues
from crmproject.maturity.services import plan_assessments
from crmproject.risks.services import list_risks
from crmproject.kpis import services as kpis
from crmproject.pulse.models import PulseSurvey, SurveyKind
from crmproject.pulse.services import link_token
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.tasks.models import TaskPriority, TaskStatus
from crmproject.tasks.services import create_task, ensure_categories

# The factories' password (tests/conftest.py PASSWORD; tests/ is not a package).
PASSWORD = "correct-horse-1"

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect

SIZES = {"phone 390x844": {"width": 390, "height": 844}, "desktop 1440x900": {"width": 1440, "height": 900}}
MAX_LISTED = 8
CHARTS_DRAWN = "() => [...document.querySelectorAll('.chart[data-figure]')].every((el) => el.hasAttribute('data-drawn'))"
ACCOUNTS = {
    Role.ADMIN: "admin@example.com",
    Role.PROJECT_MANAGER: "pm@example.com",
    Role.DEPARTMENT_HEAD: head_email("SALES"),
    Role.EXECUTIVE: "exec@example.com",
}
LONG_KPI = "Share of customer-facing staff who record every customer interaction in the CRM each working week"
# a wave named as the Russian demo's are: its name fills the dashboard's wave menu and the timeline's rows
LONG_WAVE = "Wave 2: marketing automation and the remaining sales units of every region"
LONG_ADDRESS_TASK = "Publish the key users' guide at https://intranet.northwind.example/crm-rollout/guides/key-users-and-heads"

# Finds what a reader would notice, in the page as drawn: the document wider than the window (and the elements
# that reach its right edge unclipped), and words of 2 to 24 characters whose characters lie on more than one line.
CHECK_LAYOUT = r"""
() => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    if (typeof el.className === "string" && el.className.trim()) name += "." + el.className.trim().split(/\s+/).join(".");
    return name;
  };
  // whether a box scrolling sideways clips the element (an absolutely placed one escapes the boxes between it
  // and its containing block)
  const clipped = (el) => {
    for (let node = el; node && node !== document.body;) {
      const position = getComputedStyle(node).position;
      if (position === "fixed") return false;
      let box = node.parentElement;
      if (position === "absolute") {
        while (box && box !== document.body && getComputedStyle(box).position === "static") box = box.parentElement;
      }
      if (!box || box === document.body) return false;
      if (getComputedStyle(box).overflowX !== "visible") return true;
      node = box;
    }
    return false;
  };
  // the elements that reach the document's right edge unclipped: what makes it scroll (innermost last)
  const sticking = [];
  if (root.scrollWidth > width + 1) {
    for (const el of document.body.querySelectorAll("*")) {
      if (!el.checkVisibility()) continue;  // a closed menu takes no room
      const right = el.getBoundingClientRect().right + window.scrollX;
      if (right >= root.scrollWidth - 1 && !clipped(el)) sticking.push(describe(el) + " to " + Math.round(right) + " px");
    }
  }
  const selector = "td, th, h1, h2, h3, h4, h5, h6, .card, .badge, .task-card, .headline .figure, nav a, dt, dd, "
    + "legend, label, button, .button, .crumbs";
  const seen = new Set();
  const split = [];
  for (const container of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (seen.has(node)) continue;
      seen.add(node);
      const parent = node.parentElement;
      if (!parent || parent.closest("svg, script, style, select, textarea, .visually-hidden")) continue;
      const pattern = /\S+/g;
      for (let match = pattern.exec(node.data); match; match = pattern.exec(node.data)) {
        const word = match[0];
        if (word.length < 2 || word.length > 24) continue;
        if (/\p{Script=Han}/u.test(word)) continue;  // Chinese breaks between any two characters, as it should
        // a compound may break after its hyphen (customer-/facing, 5-/year), as in print; a date or a code may not
        let start = match.index;
        for (const part of word.split(/(?<=[\p{L}\p{N}]-)(?=\p{L})/u)) {
          const range = document.createRange();
          range.setStart(node, start);
          range.setEnd(node, start + part.length);
          start += part.length;
          const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
          if (rects.length < 2) continue;  // on one line, or not drawn (a closed menu, a hidden panel)
          const tops = rects.map((r) => r.top);
          if (Math.max(...tops) - Math.min(...tops) > rects[0].height / 2) {
            split.push('"' + word + '" in ' + describe(parent) + " (" + rects.length + " lines)");
            break;
          }
        }
      }
    }
  }
  return {scrollWidth: root.scrollWidth, width, sticking, split};
}
"""


@dataclass(frozen=True)
class Demo:
    plan: int
    kpi: int
    sales: int
    decided_gate: int  # the pilot gate, with the committee's decision and its conditions
    gate: int  # a no-go gate with long reasons
    meeting: int  # the steering committee's meeting, its agenda built from the figures
    baseline: int  # "approved plan": the plan has slipped since
    issue: int  # a hypercare issue of Sales, resolved, with its resolution
    budget_line: int  # the implementation partner's line: planned and booked months
    assessment: int  # Sales' latest maturity assessment: two assessors, eight agreed levels with notes
    risk: int  # poor data quality: being mitigated, with linked change tasks
    pulse_survey: int  # Field Service's readiness survey, open, with its links (barrier: knowledge)
    sales_pulse: int  # Sales' latest readiness survey, closed
    pulse_token: str  # an unanswered personal link to Field Service's survey
    stop_token: str  # the link in the head of Sales' e-mails that stops reports due
    task: int  # Sales' task with a long address, commented on by the project manager (mentioning Sales' head)
    comment: int  # that comment


@pytest.fixture
def demo(load_demo_copy) -> Demo:
    """The demo organisation, and a KPI and a wave with long names and a task with a long address on top."""
    today = date.today()
    load_demo_copy(today=today)
    plan = demo_plan()
    sales = db.session.scalar(select(Department).where(Department.code == "SALES"))
    pm = db.session.scalar(select(User).where(User.email == ACCOUNTS[Role.PROJECT_MANAGER]))
    kpi = kpis.create_kpi(plan, kpis.KpiValues(
        name=LONG_KPI, goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, unit="%",
        baseline_value=Decimal(0), baseline_date=plan.start_date, target_value=Decimal(90), target_date=plan.end_date,
    ))
    kpis.record_measurement(kpi, measured_on=today - timedelta(days=3), value=Decimal("47.5"), department=sales,
                            entered_by=pm)
    task = create_task(plan, title=LONG_ADDRESS_TASK, category=ensure_categories()[0], actor=pm, owner=pm,
                       department=sales, due=today + timedelta(days=9), status=TaskStatus.IN_PROGRESS,
                       priority=TaskPriority.CRITICAL)
    plan.waves[-1].name = LONG_WAVE
    comment = post_comment(comment_targets.get("change_tasks"), task, author=pm, body=(
        f"@{head_email('SALES')} the guide is at https://intranet.northwind.example/crm-rollout/guides/key-users-and-heads"
        "\nCan your key users review it before the training sessions start?"))
    db.session.commit()
    send_due()  # the notifications due in the demo: every page's header shows its reader's unread count
    head = db.session.scalar(select(User).where(User.email == "head.sales@example.com"))
    gates = {g.name: g.id for g in list_gates(plan)}
    surveys = list(db.session.scalars(select(PulseSurvey).where(PulseSurvey.plan_id == plan.id).order_by(PulseSurvey.id)))
    field_survey = next(s for s in surveys if s.department.code == "FIELD")
    return Demo(plan=plan.id, kpi=kpi.id, sales=sales.id, decided_gate=gates["Pilot proven"],
                gate=gates["Wave 3 may go live"], meeting=list_meetings(plan)[0].id,
                baseline=list_baselines(plan)[0].id,
                issue=next(i.id for i in plan_issues(plan, department_ids=[sales.id]) if i.resolution),
                budget_line=next(f.id for f in list_lines(plan) if f.name == "Implementation partner"),
                assessment=next(a.id for a in plan_assessments(plan) if a.department_id == sales.id),
                risk=next(r.id for r in list_risks(plan) if r.factor == "poor_data_quality"),
                pulse_survey=field_survey.id,
                sales_pulse=[s.id for s in surveys if s.department_id == sales.id and s.kind == SurveyKind.AFTER][-1],
                pulse_token=link_token(next(i for i in field_survey.invitations if i.answered_at is None)),
                stop_token=stop_token(head.id, Kind.REPORT_DUE),
                task=task.id, comment=comment.id)


def main_pages(role: Role, demo: Demo) -> dict[str, str]:
    """The main pages `role` can see (a department head: their own department's)."""
    plan = f"/plans/{demo.plan}"
    pages = {
        "plan": plan, "dashboard": f"{plan}/dashboard", "team": f"{plan}/team", "RACI": f"{plan}/raci",
        "KPIs": f"{plan}/kpis", "KPI page": f"{plan}/kpis/{demo.kpi}", "reports": f"{plan}/reports",
        "tasks": f"{plan}/tasks", "board": f"{plan}/tasks/board", "adoption": f"{plan}/adoption",
        "training": "/training/", "department page": f"/departments/{demo.sales}", "API tokens": "/account/tokens",
        "gates": f"{plan}/gates/", "decided gate": f"{plan}/gates/{demo.decided_gate}", "gate": f"{plan}/gates/{demo.gate}",
        "meetings": f"{plan}/meetings/", "meeting": f"{plan}/meetings/{demo.meeting}",
        "meeting pack": f"{plan}/meetings/{demo.meeting}/pack",
        "baselines": f"{plan}/baselines/", "baseline comparison": f"{plan}/baselines/{demo.baseline}",
        "hypercare": f"{plan}/hypercare/", "hypercare issue": f"{plan}/hypercare/issues/{demo.issue}",
        "costs": f"{plan}/costs/", "budget line": f"{plan}/costs/lines/{demo.budget_line}",
        "timeline": f"{plan}/timeline/?baseline={demo.baseline}",
        "maturity": f"{plan}/maturity/", "maturity of Sales": f"{plan}/maturity/?scope={demo.sales}",
        "maturity assessment": f"{plan}/maturity/assessments/{demo.assessment}",
        "risks": f"{plan}/risks/", "risk": f"{plan}/risks/{demo.risk}",
        "readiness pulse": f"{plan}/pulse/", "pulse survey": f"{plan}/pulse/surveys/{demo.pulse_survey}",
        "Sales pulse survey": f"{plan}/pulse/surveys/{demo.sales_pulse}", "pulse answer": f"/pulse/answer/{demo.pulse_token}",
        "change impact": f"{plan}/impact/", "change impact grid": f"{plan}/impact/grid",
        "settings": "/account/password", "activity": f"{plan}/activity",
        "activity of tasks": f"{plan}/activity?kind=change_tasks", "task page": f"{plan}/tasks/{demo.task}",
        "notifications": "/notifications", "notification settings": "/account/notifications",
        "stop notifications": f"/notifications/stop/{demo.stop_token}",
    }
    if role != Role.EXECUTIVE:
        pages["report form"] = f"{plan}/reports/write?department={demo.sales}"
        pages["people"] = f"/departments/{demo.sales}/adoption/people"
        pages["hypercare issue form"] = f"{plan}/hypercare/issues/{demo.issue}/edit"
        pages["new hypercare issue"] = f"{plan}/hypercare/issues/new"
        pages["maturity levels"] = f"{plan}/maturity/assessments/{demo.assessment}/levels"
        pages["new maturity assessment"] = f"{plan}/maturity/assessments/new"
        pages["new pulse survey"] = f"{plan}/pulse/surveys/new"
        pages["pulse results form"] = f"{plan}/pulse/surveys/{demo.sales_pulse}/entered"
        pages["task form"] = f"{plan}/tasks/{demo.task}/edit"  # its phase menu holds the demo's longest phase name
    if role in (Role.ADMIN, Role.PROJECT_MANAGER):
        pages["key actions"] = f"{plan}/adoption/key-actions"
        pages["gate form"] = f"{plan}/gates/{demo.gate}/edit"
        pages["gate criterion form"] = f"{plan}/gates/{demo.gate}/criteria/new"
        pages["hypercare policy"] = f"{plan}/hypercare/policy"
        pages["budget line form"] = f"{plan}/costs/lines/{demo.budget_line}/edit"
        pages["KPI values in money"] = f"{plan}/costs/benefits"
        pages["maturity targets"] = f"{plan}/maturity/targets"
        pages["risk form"] = f"{plan}/risks/{demo.risk}/edit"
        pages["new risk"] = f"{plan}/risks/new"
        pages["pulse survey form"] = f"{plan}/pulse/surveys/{demo.pulse_survey}/edit"
        pages["new plan from template"] = "/plans/from-template"  # the templates in the reader's language
        pages["new task"] = f"{plan}/tasks/new"
    if role == Role.PROJECT_MANAGER:
        pages["comment form"] = f"{plan}/comments/{demo.comment}/edit"
    if role != Role.DEPARTMENT_HEAD:
        pages["meeting form"] = f"{plan}/meetings/{demo.meeting}/edit"
    if role == Role.ADMIN:
        pages.update({"imports": "/adoption/imports", "admin users": "/admin/users", "audit trail": "/admin/audit",
                      "audit trail of the plan": f"/admin/audit?type=plans&object={demo.plan}",
                      "every API token": "/admin/tokens"})
    return pages


def layout_problems(page, where: str) -> list[str]:
    found = page.evaluate(CHECK_LAYOUT)
    problems = []
    if found["scrollWidth"] > found["width"] + 1:
        problems.append(f"{where}: the page scrolls sideways ({found['scrollWidth']} px in a {found['width']} px window): "
                        f"{', '.join(found['sticking'][-4:]) or 'nothing named'}")
    problems.extend(f"{where}: {split}" for split in found["split"][:MAX_LISTED])
    if len(found["split"]) > MAX_LISTED:
        problems.append(f"{where}: ... and {len(found['split']) - MAX_LISTED} more split words")
    return problems


def log_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))  # a refused login stays on the login page


# The walks through every page check how Chromium draws the HTML and CSS, which are the same whatever database
# holds the rows: they run on SQLite (the README's test command) and are left out of the PostgreSQL run, three
# minutes of CI's twenty. Every other browser test, each of which saves through the pages, runs on both.
drawn_the_same_on_every_database = pytest.mark.skipif(
    make_url(os.environ.get("CRMPROJECT_TEST_DATABASE_URL") or "sqlite://").get_backend_name() == "postgresql",
    reason="a page's layout does not depend on the database: checked in the SQLite run")

# English is checked for every role, in two halves that run side by side (the administrator draws the charts)
LAYOUT_RUNS = [("en", (Role.ADMIN,)), ("en", (Role.PROJECT_MANAGER, Role.DEPARTMENT_HEAD, Role.EXECUTIVE))] + [
    (language, (Role.ADMIN, Role.DEPARTMENT_HEAD)) for language in ("ru", "zh_Hans", "fa")]


@drawn_the_same_on_every_database
@pytest.mark.parametrize(("language", "roles"), LAYOUT_RUNS,
                         ids=[f"{language}-{'+'.join(r.value for r in roles)}" for language, roles in LAYOUT_RUNS])
def test_main_pages_never_scroll_sideways_nor_split_a_word(demo, page, language, roles):
    """Every role, every page it sees, at phone and then desktop size, in each language of the interface (long
    Russian words and right-to-left Persian break layouts that English does not): the page is loaded once and
    checked as drawn at each size (phone first: a chart drawn for a phone fits a desktop, while plotly takes a
    moment to redraw a wide chart for a phone).

    The charts are the same for every role, and drawing them is most of a page's time: they are drawn for the
    administrator, who sees every page; the other roles' pages (their buttons, forms and columns) are checked
    with the chart boxes left empty. In the other languages the administrator (every page, the charts) and a
    department head (their own forms) stand for the roles: what a language changes is the same for all."""
    db.session.execute(update(User).values(language=None if language == "en" else language))
    db.session.commit()
    _check_pages(demo, page, roles=roles)


@drawn_the_same_on_every_database
def test_the_readiness_pulse_pages_never_scroll_sideways_nor_split_a_word(demo, page):
    """The pulse's pages alone (they are among the main pages too): to check them without the rest."""
    _check_pages(demo, page, only="pulse")


def _check_pages(demo, page, only: str | None = None, roles=None) -> None:
    problems = []
    for role, email in ACCOUNTS.items():
        if roles is not None and role not in roles:
            continue
        charts = role == Role.ADMIN
        if not charts:
            page.route("**/vendor/plotly*", lambda route: route.fulfill(body="", content_type="text/javascript"))
        page.set_viewport_size(SIZES["phone 390x844"])
        log_in(page, email)
        for name, url in main_pages(role, demo).items():
            if only is not None and only not in name:
                continue
            response = page.goto(url)
            if response is None or not response.ok:
                problems.append(f"{name} ({url}) as {role.value}: answered {response and response.status}")
                continue
            if charts:
                page.wait_for_function(CHARTS_DRAWN)
            for size, viewport in SIZES.items():
                page.set_viewport_size(viewport)
                problems += layout_problems(page, f"{name} ({url}) as {role.value} at {size}")
            page.set_viewport_size(SIZES["phone 390x844"])
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)


def test_the_menu_folds_on_a_phone_and_opens_from_the_keyboard(page, make_user):
    user = make_user(Role.ADMIN)
    page.set_viewport_size(SIZES["phone 390x844"])
    log_in(page, user.email, PASSWORD)
    menu, button = page.get_by_role("navigation", name="Main"), page.locator("summary", has_text="Menu")
    expect(menu).to_be_hidden()
    assert page.locator("header").bounding_box()["height"] < 80  # one line, not a screen of links

    page.keyboard.press("Tab")  # the home link
    page.keyboard.press("Tab")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(menu.get_by_role("link", name="Plans")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.set_viewport_size(SIZES["desktop 1440x900"])
    page.reload()  # a fresh page, the menu not opened: on a wide screen it is shown all the same
    expect(menu.get_by_role("link", name="Plans")).to_be_visible()
    expect(button).to_be_hidden()


def test_the_report_page_follows_the_job_and_hands_over_the_file(demo, page):
    """The dashboard's report button starts a job; its page looks again by itself until the file is ready, reads
    well on a phone and a desktop, and its link downloads the workbook."""
    page.set_viewport_size(SIZES["phone 390x844"])
    log_in(page, ACCOUNTS[Role.EXECUTIVE])
    page.route("**/vendor/plotly*", lambda route: route.fulfill(body="", content_type="text/javascript"))
    page.goto(f"/plans/{demo.plan}/dashboard")
    page.get_by_role("button", name="Download the report (xlsx)").click()
    expect(page).to_have_url(re.compile(rf"/plans/{demo.plan}/dashboard/reports/[\w-]+$"))
    link = page.get_by_role("link", name=re.compile(r"^Download .*leadership-report.*\.xlsx$"))
    expect(link).to_be_visible(timeout=60_000)  # the page reloads itself every two seconds until then
    problems = []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        problems += layout_problems(page, f"report page at {size}")
    assert not problems, "\n".join(problems)
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.endswith(".xlsx")
    assert Path(download.value.path()).read_bytes()[:2] == b"PK"  # a zip: the xlsx itself
