"""The permission matrix: every route x every role, with the status code the design asks for.

Roles: anonymous, admin, project manager, the head of department A, the head of
department B, executive. Each case gets a fresh world and a fresh client, so a
POST (a delete, a logout) never spoils another case. Allowed form POSTs carry
valid data, so they must answer 302 (a form with errors re-renders with 200);
a refused request (403, 404, the login wall) must leave the database as it was.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import String, cast, func, select, text

from crmproject.api.models import TokenScope
from crmproject.api.services import create_token
from crmproject.auth.models import Role, User
from crmproject.auth.services import create_user
from crmproject.departments.services import create_department
from crmproject.extensions import db
from crmproject.gates import services as gates
from crmproject.steering import services as steering
from crmproject.baselines import services as baselines
from crmproject.business_case import services as business_case
from crmproject.business_case.models import CostCategory
from crmproject.comments import services as comments
from crmproject.comments import targets as comment_targets
from crmproject.hypercare import services as hypercare
from crmproject.hypercare.models import IssueCategory, IssueSeverity
from crmproject.maturity import services as maturity
from crmproject.notifications.kinds import Kind
from crmproject.notifications.models import Notification
from crmproject.notifications.tokens import make_token as stop_token
from crmproject.pulse import services as pulse
from crmproject.pulse.models import SurveyKind
from crmproject.gates.models import CriterionKind as GateKind
from crmproject.plans.models import WaveKind
from crmproject.kpis import services as kpis
from crmproject.kpis.models import Direction, GoalFamily
from crmproject.adoption.models import ImportState, UsageImport
from crmproject.kpis.attainment import Rag
from crmproject.plans.services import add_phase, add_wave, create_plan, ensure_standard_modules
from crmproject.reports import services as reports
from crmproject.risks import services as risks
from crmproject.tasks import services as tasks
from crmproject.tasks.models import CommunicationChannel, CommunicationStatus
from crmproject.teams import services as teams
from crmproject.teams.models import TeamRoleKind
from crmproject.roster.models import Employee
from crmproject.training import services as training

# The factories' password (tests/conftest.py PASSWORD); tests/ is not a package, so it is repeated here.
PASSWORD = "correct-horse-1"
# The data generation (crmproject/cache.py) counts commits that wrote, logins included: not part of the world.
def data_tables() -> list:
    return [t for t in db.metadata.sorted_tables if t.name != "data_generations"]
ROLES = ("anonymous", "admin", "project_manager", "head_a", "head_b", "executive")
PLANNERS = {"admin", "project_manager"}
MISSING = 99999

# Columns: anonymous, admin, project_manager, head_a, head_b, executive.
PUBLIC = (200, 200, 200, 200, 200, 200)
READ = (302, 200, 200, 200, 200, 200)
EVERYONE_POST = (302, 302, 302, 302, 302, 302)
PLANNER_GET = (302, 200, 200, 403, 403, 403)
PLANNER_POST = (302, 302, 302, 403, 403, 403)
PLANNER_404 = (302, 404, 404, 403, 403, 403)  # unknown or foreign id: 404 for planners, the rest are refused first
ADMIN_GET = (302, 200, 403, 403, 403, 403)
ADMIN_POST = (302, 302, 403, 403, 403, 403)
ADMIN_404 = (302, 404, 403, 403, 403, 403)
DECIDER_POST = (302, 302, 403, 403, 403, 302)  # the steering committee (executives) and admins
RUNNER_GET = (302, 200, 200, 403, 403, 200)  # meetings: planners and the committee's executives
RUNNER_POST = (302, 302, 302, 403, 403, 302)
RUNNER_404 = (302, 404, 404, 403, 403, 404)
NOT_FOUND = (302, 404, 404, 404, 404, 404)
HANDLER_A_GET = (302, 200, 200, 200, 403, 403)  # hypercare of department A: planners and A's head
HANDLER_A_POST = (302, 302, 302, 302, 403, 403)
ISSUE_DATA = {"department_id": "{dept_a}", "title": "Cannot save a deal", "severity": "high", "category": "defect",
              "reported_at": "2026-07-01T10:00", "reported_by": "Ann"}
POLICY_DATA = {"weeks": "4", "resolution_attainment": "90", "max_weekly_new": "5", "version": "0",
               **{f"{s}_{part}": hours for s, r, f in (("critical", "1", "8"), ("high", "4", "24"), ("medium", "8", "72"),
                                                       ("low", "24", "120")) for part, hours in (("response", r), ("resolution", f))}}

SURVEY_DATA = {"department_id": "{dept_a}", "kind": "after_go_live", "title": "Sales after go-live",
               "opens_on": "2026-07-01", "closes_on": "2026-07-31"}
ENTERED_DATA = {"respondents": "4", "invited": "6", "awareness": "4", "desire": "4.5", "knowledge": "2.5", "ability": "3",
                "reinforcement": "3", "promoters": "2", "detractors": "1", "version": "0"}
ANSWER_DATA = {"awareness": "4", "desire": "5", "knowledge": "2", "ability": "3", "reinforcement": "3", "nps": "9"}
# Pages anyone may open without logging in (the login page; a readiness pulse answered through a personal link)
PUBLIC_PATHS = ("/login", "/language", "/pulse/answer/", "/pulse/thanks", "/api/v1/openapi.json", "/api/v1/docs",
                "/api/v1/nothing-here", "/notifications/stop/")

# Edit forms carry the version they were opened at; everything in the world is at version 1.
PLAN_DATA = {"name": "CRM rollout", "vision": "Happy customers", "horizon_years": "3",
             "start_date": "2026-01-01", "end_date": "2027-12-31", "version": "1"}
PHASE_DATA = {"name": "Phase 1", "goal": "Goals", "start_date": "2026-01-01", "end_date": "2026-06-30",
              "status": "planned", "exit_criteria": "Signed off", "version": "1"}
WAVE_DATA = {"name": "Pilot", "kind": "pilot", "go_live_date": "2026-06-01", "department_ids": "{dept_a}", "notes": "",
             "version": "1"}
DEPARTMENT_A = {"name": "Sales", "code": "SALES", "headcount": "40", "licensed_seats": "30", "head_id": "{head_a}", "version": "1"}
DEPARTMENT_B = {"name": "Service", "code": "SERVICE", "headcount": "20", "licensed_seats": "10", "head_id": "{head_b}",
                "version": "1"}
NEW_PASSWORD = {"current_password": PASSWORD, "password": "another-horse-2", "confirm": "another-horse-2"}
READ_A = (302, 200, 200, 200, 403, 200)  # a task of department A
ROLE_DATA = {"kind": "it", "title": "IT architect", "crm_module_id": "", "department_id": "", "required": "y",
             "responsibilities": "", "version": "1"}
TASK_DATA = {"title": "Train Sales", "category_id": "{category}", "owner_id": "", "phase_id": "", "status": "in_progress",
             "priority": "high", "description": "", "start_date": "", "due_date": "2026-05-01", "version": "1"}
KPI_DATA = {"name": "Adoption", "goal_family": "adoption", "direction": "higher", "baseline_value": "0",
            "baseline_date": "2026-01-01", "target_value": "80", "target_date": "2027-06-30", "unit": "%", "department_id": "",
            "frequency": "monthly", "owner_id": "", "red_threshold": "60", "amber_threshold": "80", "description": "",
            "version": "1"}
REPORT_DATA = {"overall_rag": "green", "achievements": "Done", "blockers": "", "next_steps": "Next", "help_needed": "",
               "action": "draft", "version": "1"}
COMMUNICATION_DATA = {"audience": "All staff", "channel": "email", "message": "Pilot starts", "planned_date": "2026-03-01",
                      "owner_id": "", "department_id": "", "status": "planned", "version": "1"}
USER_PASSWORD = {"pw-password": "quiet-horse-stable-3", "pw-confirm": "quiet-horse-stable-3"}  # the admin's form has the prefix "pw"
COURSE_DATA = {"code": "SFA-101", "name": "SFA basics", "crm_module_id": "", "audience": "Sales", "mandatory": "y",
               "length_hours": "6", "description": "", "version": "1"}
TRAINING_SESSION_DATA = {"day": "2026-04-01", "trainer": "Nadia", "location": "Room 1", "capacity": "12", "version": "1"}
ENROLMENT_DATA = {"status": "completed", "completed_on": "2026-01-15", "score": "90", "session_id": "", "version": "1"}
RISK_DATA = {"title": "Vendor insolvency", "department_id": "", "likelihood": "2", "impact": "4", "owner_id": "",
             "status": "open", "review_date": "", "description": "", "mitigations": "", "closed_note": ""}
RISK_A_DATA = {**RISK_DATA, "department_id": "{dept_a}", "version": "1"}


IMPACT_DATA = {"processes-{dept_a}-{module}": "4", "tools-{dept_a}-{module}": "5", "roles-{dept_a}-{module}": "3",
               "note-{dept_a}-{module}": "Pipeline in the CRM", "version": "0"}
MEETING_DATA = {"title": "Steering committee", "held_on": "2026-06-01"}
ASSESSMENT_DATA = {"department_id": "{dept_a}", "assessed_on": "2026-06-01", "assessors": "Ann\nBo", "title": "", "notes": ""}
GATE_DATA = {"name": "Phase 1 done", "target": "phase:{phase}", "notes": ""}
CRITERION_DATA = {"kind": "training", "threshold": "85", "blocking": "y", "note": ""}
NOTIFICATION_SETTINGS = {kind.value: "app" for kind in Kind}
DECISION_DATA = {"outcome": "go", "decided_on": "2026-06-01", "decided_by": "Steering committee", "reasoning": ""}


def row(method: str, url: str, codes: tuple[int, ...], data: dict | None = None):
    return pytest.param(method, url, dict(zip(ROLES, codes, strict=True)), data or {}, id=f"{method} {url}")


MATRIX = [
    # --- public endpoints and the account -------------------------------------------------------------
    row("GET", "/login", (200, 302, 302, 302, 302, 302)),  # a logged-in user is sent home
    row("POST", "/login", EVERYONE_POST, {"email": "{admin_email}", "password": PASSWORD}),
    row("GET", "/static/css/app.css", PUBLIC),
    row("GET", "/vendor/plotly.min.js", PUBLIC),
    row("GET", "/favicon.ico", PUBLIC),
    row("GET", "/healthz", PUBLIC),
    row("POST", "/logout", EVERYONE_POST),
    # the footer's language switch: the session's before login, the user's own setting after
    row("POST", "/language", EVERYONE_POST, {"language": "ru", "next": "/plans/"}),
    row("GET", "/account/password", READ),
    row("POST", "/account/password", EVERYONE_POST, NEW_PASSWORD),
    row("POST", "/account/sessions/end", EVERYONE_POST),
    row("POST", "/account/calendar", EVERYONE_POST, {"calendar": "persian"}),  # the calendar one reads dates in
    row("GET", "/", (302, 200, 200, 302, 302, 200)),  # a department head's home is their department
    # --- user administration: admins only ---------------------------------------------------------------
    row("GET", "/admin/users", ADMIN_GET),
    row("GET", "/admin/audit", ADMIN_GET),
    row("GET", "/admin/audit?who=system&type=plans&object={plan}&action=update&from=2026-01-01&to=2026-12-31&q=x",
        ADMIN_GET),
    row("GET", "/admin/audit.xlsx", ADMIN_GET),
    row("GET", "/admin/users/new", ADMIN_GET),
    row("POST", "/admin/users/new", ADMIN_POST, {"name": "New Person", "email": "new@example.com",
                                                 "role": "executive", "department_id": "", "password": "quiet-horse-stable-3"}),
    row("GET", "/admin/users/{executive}", ADMIN_GET),
    row("POST", "/admin/users/{executive}", ADMIN_POST, {"name": "Renamed", "role": "executive", "department_id": "",
                                                         "active": "y", "version": "1"}),
    row("POST", "/admin/users/{executive}/password", ADMIN_POST, USER_PASSWORD),
    row("POST", "/admin/users/{executive}/unlock", ADMIN_POST),
    row("POST", "/admin/users/{executive}/sessions/end", ADMIN_POST),
    row("POST", f"/admin/users/{MISSING}/unlock", ADMIN_404),
    row("GET", f"/admin/users/{MISSING}", ADMIN_404),
    row("POST", f"/admin/users/{MISSING}/password", ADMIN_404, USER_PASSWORD),
    # --- departments: everyone reads, planners manage, a head edits their own ----------------------------
    row("GET", "/departments/", READ),
    row("GET", "/departments/{dept_a}", READ),
    row("GET", f"/departments/{MISSING}", NOT_FOUND),
    row("GET", "/departments/new", PLANNER_GET),
    row("POST", "/departments/new", PLANNER_POST, {"name": "Marketing", "code": "MKT", "headcount": "5",
                                                   "licensed_seats": "5", "head_id": ""}),
    row("GET", "/departments/{dept_a}/edit", (302, 200, 200, 200, 403, 403)),
    row("POST", "/departments/{dept_a}/edit", (302, 302, 302, 302, 403, 403), DEPARTMENT_A),
    row("GET", "/departments/{dept_b}/edit", (302, 200, 200, 403, 200, 403)),
    row("POST", "/departments/{dept_b}/edit", (302, 302, 302, 403, 302, 403), DEPARTMENT_B),
    row("GET", f"/departments/{MISSING}/edit", NOT_FOUND),  # looked up before the object rule can be asked
    row("POST", "/departments/{dept_c}/delete", PLANNER_POST),
    row("POST", f"/departments/{MISSING}/delete", PLANNER_404),
    # --- plans: everyone reads, planners change ---------------------------------------------------------
    row("GET", "/plans/", READ),
    row("GET", "/plans/{plan}", READ),
    row("GET", f"/plans/{MISSING}", NOT_FOUND),
    row("GET", "/plans/new", PLANNER_GET),
    row("POST", "/plans/new", PLANNER_POST, {**PLAN_DATA, "name": "Second rollout"}),
    row("GET", "/plans/from-template", PLANNER_GET),
    row("POST", "/plans/from-template", PLANNER_POST, {"template": "small-company-quick-start", "name": "Quick",
                                                       "start_date": "2026-03-01"}),
    row("GET", "/plans/{plan}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/edit", PLANNER_POST, PLAN_DATA),
    row("GET", f"/plans/{MISSING}/edit", PLANNER_404),
    row("POST", "/plans/{plan}/delete", PLANNER_POST),
    row("POST", f"/plans/{MISSING}/delete", PLANNER_404),
    # --- phases -------------------------------------------------------------------------------------
    row("GET", "/plans/{plan}/phases/new", PLANNER_GET),
    row("POST", "/plans/{plan}/phases/new", PLANNER_POST, {**PHASE_DATA, "name": "Phase 3"}),
    row("GET", "/plans/{plan}/phases/{phase}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/phases/{phase}/edit", PLANNER_POST, PHASE_DATA),
    row("GET", "/plans/{plan}/phases/{other_phase}/edit", PLANNER_404),
    row("POST", "/plans/{plan}/phases/{other_phase}/edit", PLANNER_404, PHASE_DATA),
    row("POST", "/plans/{plan}/phases/{phase}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/phases/{other_phase}/delete", PLANNER_404),
    row("POST", "/plans/{plan}/phases/{phase}/move", PLANNER_POST, {"direction": "down"}),
    row("POST", "/plans/{plan}/phases/{other_phase}/move", PLANNER_404, {"direction": "down"}),
    # --- waves --------------------------------------------------------------------------------------
    row("GET", "/plans/{plan}/waves/new", PLANNER_GET),
    row("POST", "/plans/{plan}/waves/new", PLANNER_POST, {**WAVE_DATA, "name": "Wave 2", "kind": "wave",
                                                          "go_live_date": "2026-09-01", "department_ids": "{dept_b}"}),
    row("GET", "/plans/{plan}/waves/{wave}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/waves/{wave}/edit", PLANNER_POST, WAVE_DATA),
    row("GET", "/plans/{plan}/waves/{other_wave}/edit", PLANNER_404),
    row("POST", "/plans/{plan}/waves/{other_wave}/edit", PLANNER_404, WAVE_DATA),
    row("POST", "/plans/{plan}/waves/{wave}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/waves/{other_wave}/delete", PLANNER_404),
    row("POST", "/plans/{plan}/waves/{wave}/move", PLANNER_POST, {"direction": "up"}),
    row("POST", "/plans/{plan}/waves/{other_wave}/move", PLANNER_404, {"direction": "up"}),
    # --- CRM modules: everyone reads the list, planners add -------------------------------------------
    row("GET", "/plans/modules", READ),
    row("POST", "/plans/modules", PLANNER_POST, {"code": "XSELL", "name": "Cross-selling", "description": ""}),
    # --- team and RACI: everyone reads, planners staff and edit ----------------------------------------
    row("GET", "/plans/{plan}/team", READ),
    row("GET", f"/plans/{MISSING}/team", NOT_FOUND),
    row("POST", "/plans/{plan}/team/standard-roles", PLANNER_POST),
    row("GET", "/plans/{plan}/team/roles/new", PLANNER_GET),
    row("POST", "/plans/{plan}/team/roles/new", PLANNER_POST, ROLE_DATA),
    row("GET", "/plans/{plan}/team/roles/{team_role}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/team/roles/{team_role}/edit", PLANNER_POST, {**ROLE_DATA, "title": "IT lead"}),
    row("GET", "/plans/{plan}/team/roles/{other_team_role}/edit", PLANNER_404),
    row("POST", "/plans/{plan}/team/roles/{team_role}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/team/roles/{other_team_role}/delete", PLANNER_404),
    row("GET", "/plans/{plan}/team/roles/{team_role}/assign", PLANNER_GET),
    row("POST", "/plans/{plan}/team/roles/{team_role}/assign", PLANNER_POST, {"user_id": "", "person_name": "Kim",
                                                                              "start_date": "2026-09-01", "version": "1"}),
    row("POST", "/plans/{plan}/team/assignments/{assignment}/end", PLANNER_POST, {"end_date": "2026-08-31"}),
    row("POST", "/plans/{plan}/team/assignments/{other_assignment}/end", PLANNER_404, {"end_date": "2026-08-31"}),
    row("POST", "/plans/{plan}/team/assignments/{assignment}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/team/assignments/{other_assignment}/delete", PLANNER_404),
    row("GET", "/plans/{plan}/raci", READ),
    row("GET", "/plans/{plan}/raci.xlsx", READ),
    row("GET", f"/plans/{MISSING}/raci.xlsx", NOT_FOUND),
    row("POST", "/plans/{plan}/raci", PLANNER_POST, {"cell-{deliverable}-{team_role}": "A", "version-{deliverable}": "1"}),
    row("POST", "/plans/{plan}/raci/deliverables", PLANNER_POST, {"name": "Trained users", "phase_id": "", "description": ""}),
    row("POST", "/plans/{plan}/raci/deliverables/{deliverable}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/raci/deliverables/{other_deliverable}/delete", PLANNER_404),
    # --- KPIs: everyone reads, planners define, heads enter their own department's values -----------
    row("GET", "/plans/{plan}/kpis", READ),
    row("GET", "/plans/{plan}/kpis/{kpi}", READ),
    row("GET", "/plans/{plan}/kpis/{other_kpi}", NOT_FOUND),
    row("GET", "/plans/{plan}/kpis/new", PLANNER_GET),
    row("POST", "/plans/{plan}/kpis/new", PLANNER_POST, {**KPI_DATA, "name": "Second KPI"}),
    row("GET", "/plans/{plan}/kpis/{kpi}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/kpis/{kpi}/edit", PLANNER_POST, KPI_DATA),
    row("POST", "/plans/{plan}/kpis/{kpi}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/kpis/{other_kpi}/delete", PLANNER_404),
    # head B may enter values, but only for department B: department A is refused at the field (200)
    row("POST", "/plans/{plan}/kpis/{kpi}/measurements", (302, 302, 302, 302, 200, 403),
        {"measured_on": "2026-03-01", "value": "12", "department_id": "{dept_a}", "note": ""}),
    row("POST", "/plans/{plan}/kpis/{kpi}/measurements/{measurement_a}/delete", (302, 302, 302, 302, 403, 403)),
    row("POST", "/plans/{plan}/kpis/{kpi}/measurements/{other_measurement}/delete", NOT_FOUND),
    row("POST", "/plans/{plan}/kpis/{kpi}/targets", PLANNER_POST, {"target_date": "2026-06-30", "value": "40", "phase_id": ""}),
    row("POST", "/plans/{plan}/kpis/{kpi}/targets/{kpi_target}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/kpis/{other_kpi}/targets/{kpi_target}/delete", PLANNER_404),
    # --- leadership dashboard: everyone reads, prints and downloads; planners set the shape rules ---------
    row("GET", "/plans/{plan}/dashboard", READ),
    row("GET", "/plans/{plan}/dashboard?wave=x&from=never", READ),
    row("GET", f"/plans/{MISSING}/dashboard", NOT_FOUND),
    row("GET", "/plans/{plan}/dashboard/print", READ),
    row("GET", f"/plans/{MISSING}/dashboard/print", NOT_FOUND),
    row("GET", "/plans/{plan}/dashboard/report.xlsx", READ),
    row("GET", f"/plans/{MISSING}/dashboard/report.xlsx", NOT_FOUND),
    row("POST", "/plans/{plan}/dashboard/reports", EVERYONE_POST, {"wave": "{wave}"}),
    row("POST", f"/plans/{MISSING}/dashboard/reports", NOT_FOUND),
    # a report is its reader's: a token of none, or of another reader (tests/dashboard/test_report.py), is not found
    row("GET", "/plans/{plan}/dashboard/reports/no-such-report", NOT_FOUND),
    row("GET", "/plans/{plan}/dashboard/reports/no-such-report/download", NOT_FOUND),
    row("GET", "/plans/{plan}/dashboard/rules", PLANNER_GET),
    row("POST", "/plans/{plan}/dashboard/rules", PLANNER_POST,
        {"min_weeks": "6", "effect_level": "35", "fade_points": "12", "fade_weeks": "3", "version": "0"}),  # no rules saved yet
    row("GET", f"/plans/{MISSING}/dashboard/rules", PLANNER_404),
    # --- adoption: everyone reads; planners and the department's own head enter figures by hand --------
    row("GET", "/plans/{plan}/adoption", READ),
    row("GET", f"/plans/{MISSING}/adoption", NOT_FOUND),
    row("GET", "/departments/{dept_a}/adoption", (302, 200, 200, 200, 403, 403)),
    row("POST", "/departments/{dept_a}/adoption", (302, 302, 302, 302, 403, 403), {"day": "2026-03-01", "active_users": "0", "logins": "0"}),
    row("GET", f"/departments/{MISSING}/adoption", NOT_FOUND),
    row("GET", "/adoption/imports", ADMIN_GET),
    row("POST", "/adoption/imports", (302, 200, 403, 403, 403, 403)),  # no file: the form says so
    row("GET", "/adoption/imports/{usage_import}", ADMIN_GET),
    row("GET", f"/adoption/imports/{MISSING}", ADMIN_404),
    row("GET", "/adoption/imports/{usage_import}/status", ADMIN_GET),
    row("GET", f"/adoption/imports/{MISSING}/status", ADMIN_404),
    row("POST", "/adoption/imports/excluded-accounts", ADMIN_POST, {"patterns": "svc-*", "vendor_markers": "y", "version": "1"}),
    # the people behind the figures: planners see every department, a head their own; key actions: planners
    row("GET", "/departments/{dept_a}/adoption/people", (302, 200, 200, 200, 403, 403)),
    row("GET", "/departments/{dept_a}/adoption/people.xlsx", (302, 200, 200, 200, 403, 403)),
    row("GET", f"/departments/{MISSING}/adoption/people", NOT_FOUND),
    row("GET", f"/departments/{MISSING}/adoption/people.xlsx", NOT_FOUND),
    row("GET", "/plans/{plan}/adoption/key-actions", PLANNER_GET),
    row("POST", "/plans/{plan}/adoption/key-actions", PLANNER_POST, {"rules_text": "Update * | Opportunity", "version": "0"}),
    row("GET", f"/plans/{MISSING}/adoption/key-actions", PLANNER_404),
    # --- status reports: heads write their own, drafts are private, submitted ones are read by all ----------
    row("GET", "/plans/{plan}/reports", READ),
    row("GET", "/plans/{plan}/reports/period.xlsx?period=2026-03-01", READ),
    row("GET", "/plans/{plan}/kpis/values.xlsx", READ),
    row("GET", "/plans/{plan}/reports/write?department={dept_a}", (302, 200, 200, 200, 403, 403)),
    row("POST", "/plans/{plan}/reports/write?department={dept_a}", (302, 302, 302, 302, 403, 403), REPORT_DATA),
    row("GET", "/plans/{plan}/reports/{draft_a}", (302, 200, 200, 200, 403, 403)),
    row("POST", "/plans/{plan}/reports/{draft_a}", (302, 302, 302, 302, 403, 403), REPORT_DATA),
    row("GET", "/plans/{plan}/reports/{submitted_b}", READ),
    row("POST", "/plans/{plan}/reports/{submitted_b}", (302, 409, 409, 409, 409, 409), REPORT_DATA),  # read-only
    row("GET", "/plans/{plan}/reports/{other_report}", NOT_FOUND),
    row("POST", "/plans/{plan}/reports/{submitted_b}/amend", (302, 302, 302, 403, 302, 403)),
    row("GET", "/plans/{plan}/reports/department/{dept_a}", READ),
    row("GET", f"/plans/{{plan}}/reports/department/{MISSING}", NOT_FOUND),
    # --- change tasks: a department head sees and updates only their department's tasks --------------------
    row("GET", "/plans/{plan}/tasks", READ),
    row("GET", "/plans/{plan}/tasks/board", READ),
    row("GET", "/plans/{plan}/tasks.xlsx", READ),
    row("GET", "/plans/{plan}/tasks/import", PLANNER_GET),
    row("POST", "/plans/{plan}/tasks/import", (302, 200, 200, 403, 403, 403)),  # no file: the form says so
    row("GET", "/plans/{plan}/tasks/import/unknown-token-000000", PLANNER_POST),  # back to the upload step
    row("POST", "/plans/{plan}/tasks/import/unknown-token-000000", PLANNER_POST, {"action": "import"}),
    row("GET", "/my-tasks", READ),
    row("GET", "/plans/{plan}/tasks/{task_a}", READ_A),
    row("GET", "/plans/{plan}/tasks/{task_plan}", (302, 200, 200, 403, 403, 200)),
    row("GET", "/plans/{plan}/tasks/{other_task}", NOT_FOUND),
    row("GET", "/plans/{plan}/tasks/new", (302, 200, 200, 200, 200, 403)),
    # head B may file tasks, but only in department B: the form refuses department A at the field (200)
    row("POST", "/plans/{plan}/tasks/new", (302, 302, 302, 302, 200, 403), {**TASK_DATA, "department_id": "{dept_a}"}),
    row("GET", "/plans/{plan}/tasks/{task_a}/edit", (302, 200, 200, 200, 403, 403)),
    row("POST", "/plans/{plan}/tasks/{task_a}/edit", (302, 302, 302, 302, 403, 403), {**TASK_DATA, "department_id": "{dept_a}"}),
    row("GET", "/plans/{plan}/tasks/{task_plan}/edit", (302, 200, 200, 403, 403, 403)),
    row("POST", "/plans/{plan}/tasks/{task_a}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/tasks/{other_task}/delete", NOT_FOUND),
    row("POST", "/plans/{plan}/tasks/bulk-status", (302, 302, 302, 302, 403, 403), {"task_ids": "{task_a}", "status": "done"}),
    row("GET", "/task-categories", READ),
    row("POST", "/task-categories", ADMIN_POST, {"name": "Supplier onboarding"}),
    row("GET", "/plans/{plan}/communications", READ),
    row("POST", "/plans/{plan}/communications", PLANNER_POST, COMMUNICATION_DATA),
    row("GET", "/plans/{plan}/communications/{communication}", READ),
    row("POST", "/plans/{plan}/communications/{communication}", PLANNER_POST, COMMUNICATION_DATA),
    row("GET", "/plans/{plan}/communications/{other_communication}", NOT_FOUND),
    row("POST", "/plans/{plan}/communications/{communication}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/communications/{other_communication}/delete", PLANNER_404),
    # --- training: everyone reads, planners manage, a head updates their own department's enrolments ----------
    # --- phase gates: everyone reads, planners prepare, the steering committee (executives) and admins decide ------
    row("GET", "/plans/{plan}/gates/", READ),
    row("GET", "/plans/{plan}/gates/{gate}", READ),
    row("GET", "/plans/{plan}/gates/{other_gate}", NOT_FOUND),
    row("GET", f"/plans/{{plan}}/gates/{MISSING}", NOT_FOUND),
    row("GET", "/plans/{plan}/gates/new", PLANNER_GET),
    row("POST", "/plans/{plan}/gates/new", PLANNER_POST, GATE_DATA),
    row("GET", "/plans/{plan}/gates/{gate}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/gates/{gate}/edit", PLANNER_POST, {**GATE_DATA, "target": "wave:{wave}", "version": "1"}),
    row("POST", "/plans/{plan}/gates/{other_gate}/edit", PLANNER_404, {**GATE_DATA, "version": "1"}),
    row("POST", "/plans/{plan}/gates/{gate}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/gates/{other_gate}/delete", PLANNER_404),
    row("GET", "/plans/{plan}/gates/{gate}/criteria/new", PLANNER_GET),
    row("POST", "/plans/{plan}/gates/{gate}/criteria/new", PLANNER_POST, CRITERION_DATA),
    row("GET", "/plans/{plan}/gates/{gate}/criteria/{criterion}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/gates/{gate}/criteria/{criterion}/edit", PLANNER_POST, {**CRITERION_DATA, "version": "1"}),
    row("GET", "/plans/{plan}/gates/{gate}/criteria/{other_criterion}/edit", PLANNER_404),
    row("POST", "/plans/{plan}/gates/{gate}/criteria/{criterion}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/gates/{gate}/criteria/{other_criterion}/delete", PLANNER_404),
    row("POST", "/plans/{plan}/gates/{gate}/decisions", DECIDER_POST, DECISION_DATA),
    row("POST", "/plans/{plan}/gates/{other_gate}/decisions", (302, 404, 403, 403, 403, 404), DECISION_DATA),
    # --- steering committee meetings: everyone reads, planners and executives run them -----------------------
    row("GET", "/plans/{plan}/meetings/", READ),
    row("GET", "/plans/{plan}/meetings/new", RUNNER_GET),
    row("POST", "/plans/{plan}/meetings/new", RUNNER_POST, MEETING_DATA),
    row("GET", "/plans/{plan}/meetings/{meeting}", READ),
    row("GET", "/plans/{plan}/meetings/{other_meeting}", NOT_FOUND),
    row("GET", "/plans/{plan}/meetings/{meeting}/edit", RUNNER_GET),
    row("POST", "/plans/{plan}/meetings/{meeting}/edit", RUNNER_POST, {**MEETING_DATA, "minutes": "Agreed.", "version": "1"}),
    row("POST", "/plans/{plan}/meetings/{other_meeting}/edit", RUNNER_404, {**MEETING_DATA, "version": "1"}),
    row("POST", "/plans/{plan}/meetings/{meeting}/actions", RUNNER_POST, {"text": "Retrain", "due_date": "2026-07-01"}),
    row("POST", "/plans/{plan}/meetings/{other_meeting}/actions", RUNNER_404, {"text": "Retrain", "due_date": "2026-07-01"}),
    row("POST", "/plans/{plan}/meetings/{meeting}/agenda", RUNNER_POST),
    row("POST", "/plans/{plan}/meetings/{meeting}/delete", RUNNER_POST),
    row("POST", "/plans/{plan}/meetings/{other_meeting}/delete", RUNNER_404),
    row("GET", "/plans/{plan}/meetings/{meeting}/pack", READ),
    row("GET", "/plans/{plan}/meetings/{meeting}/pack.xlsx", READ),
    row("GET", "/plans/{plan}/meetings/{other_meeting}/pack.xlsx", NOT_FOUND),

    # --- baselines: everyone reads the comparison, planners save and delete them -------------------------
    row("GET", "/plans/{plan}/baselines/", READ),
    row("POST", "/plans/{plan}/baselines/", PLANNER_POST, {"name": "after the pilot"}),
    row("GET", "/plans/{plan}/baselines/{baseline}", READ),
    row("GET", "/plans/{plan}/baselines/{other_baseline}", NOT_FOUND),
    row("POST", "/plans/{plan}/baselines/{baseline}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/baselines/{other_baseline}/delete", PLANNER_404),
    # --- hypercare: everyone reads; planners handle every department's issues, a head their own -----------
    row("GET", "/plans/{plan}/hypercare/", READ),
    row("GET", "/plans/{plan}/hypercare/issues.xlsx", READ),
    row("GET", "/plans/{plan}/hypercare/issues/new", HANDLER_A_GET),
    row("POST", "/plans/{plan}/hypercare/issues/new", HANDLER_A_POST, ISSUE_DATA),
    row("GET", "/plans/{plan}/hypercare/issues/{issue_a}", READ),
    row("GET", "/plans/{plan}/hypercare/issues/{other_issue}", NOT_FOUND),
    row("GET", "/plans/{plan}/hypercare/issues/{issue_a}/edit", HANDLER_A_GET),
    row("POST", "/plans/{plan}/hypercare/issues/{issue_a}/edit", HANDLER_A_POST, {**ISSUE_DATA, "version": "1"}),
    row("POST", "/plans/{plan}/hypercare/issues/{other_issue}/edit", NOT_FOUND, {**ISSUE_DATA, "version": "1"}),
    row("POST", "/plans/{plan}/hypercare/issues/{issue_a}/respond", HANDLER_A_POST),
    row("POST", "/plans/{plan}/hypercare/issues/{other_issue}/respond", NOT_FOUND),
    row("POST", "/plans/{plan}/hypercare/issues/{issue_a}/resolve", HANDLER_A_POST, {"resolution": "Rights fixed"}),
    row("POST", "/plans/{plan}/hypercare/issues/{resolved_a}/reopen", HANDLER_A_POST),
    row("POST", "/plans/{plan}/hypercare/issues/{issue_a}/delete", PLANNER_POST),  # the log decides the gate
    row("POST", "/plans/{plan}/hypercare/issues/{other_issue}/delete", NOT_FOUND),
    # --- risks: everyone reads; planners keep the register, a head edits their own department's risks -------
    row("GET", "/plans/{plan}/risks/", READ),
    row("GET", "/plans/{plan}/risks/?status=active&likelihood=3&impact=5&sort=title", READ),
    row("GET", "/plans/{plan}/risks/risks.xlsx", READ),
    row("POST", "/plans/{plan}/risks/catalogue", PLANNER_POST),
    row("GET", "/plans/{plan}/risks/new", PLANNER_GET),
    row("POST", "/plans/{plan}/risks/new", PLANNER_POST, RISK_DATA),
    row("GET", "/plans/{plan}/risks/{risk_a}", READ),
    row("GET", "/plans/{plan}/risks/{other_risk}", NOT_FOUND),
    row("GET", "/plans/{plan}/risks/{risk_a}/edit", HANDLER_A_GET),
    row("GET", "/plans/{plan}/risks/{risk_plan}/edit", PLANNER_GET),  # a plan-wide risk: not a head's
    row("POST", "/plans/{plan}/risks/{risk_a}/edit", HANDLER_A_POST, RISK_A_DATA),
    row("POST", "/plans/{plan}/risks/{risk_plan}/edit", PLANNER_POST, {**RISK_DATA, "version": "1"}),
    row("POST", "/plans/{plan}/risks/{other_risk}/edit", NOT_FOUND, RISK_A_DATA),
    row("POST", "/plans/{plan}/risks/{risk_a}/close", HANDLER_A_POST, {"note": "Excel switched off"}),
    row("POST", "/plans/{plan}/risks/{risk_b}/close", (302, 302, 302, 403, 302, 403), {"note": "Desk staffed"}),
    row("POST", "/plans/{plan}/risks/{risk_a}/review", HANDLER_A_POST, {"status": "mitigating", "next_review": "2999-01-01"}),
    row("POST", "/plans/{plan}/risks/{closed_a}/reopen", HANDLER_A_POST),
    row("POST", "/plans/{plan}/risks/{risk_a}/tasks", HANDLER_A_POST, {"task_id": "{task_a}"}),
    row("POST", "/plans/{plan}/risks/{closed_a}/tasks/{task_a}/unlink", HANDLER_A_POST),
    row("POST", "/plans/{plan}/risks/{risk_a}/tasks/{task_plan}/unlink", (302, 404, 404, 404, 403, 403)),  # not linked
    row("POST", "/plans/{plan}/risks/{risk_a}/delete", PLANNER_POST),  # closing keeps the record; heads close
    row("POST", "/plans/{plan}/risks/{other_risk}/delete", PLANNER_404),
    row("GET", "/plans/{plan}/hypercare/policy", PLANNER_GET),
    # --- maturity: everyone reads; planners assess the organisation and every department, a head their own ------
    row("GET", "/plans/{plan}/maturity/", READ),
    row("GET", "/plans/{plan}/maturity/maturity.xlsx", READ),
    row("GET", "/plans/{plan}/maturity/assessments/new", HANDLER_A_GET),
    row("POST", "/plans/{plan}/maturity/assessments/new", HANDLER_A_POST, ASSESSMENT_DATA),
    row("GET", "/plans/{plan}/maturity/assessments/{assessment_a}", READ),
    row("GET", "/plans/{plan}/maturity/assessments/{other_assessment}", NOT_FOUND),
    row("GET", "/plans/{plan}/maturity/assessments/{assessment_a}/edit", HANDLER_A_GET),
    row("POST", "/plans/{plan}/maturity/assessments/{assessment_a}/edit", HANDLER_A_POST, {**ASSESSMENT_DATA, "version": "1"}),
    row("GET", "/plans/{plan}/maturity/assessments/{assessment_org}/edit", PLANNER_GET),
    row("POST", "/plans/{plan}/maturity/assessments/{assessment_org}/edit", PLANNER_POST,
        {**ASSESSMENT_DATA, "department_id": "", "version": "1"}),
    row("POST", "/plans/{plan}/maturity/assessments/{other_assessment}/edit", NOT_FOUND, {**ASSESSMENT_DATA, "version": "1"}),
    row("GET", "/plans/{plan}/maturity/assessments/{assessment_a}/levels", HANDLER_A_GET),
    row("POST", "/plans/{plan}/maturity/assessments/{assessment_a}/levels", HANDLER_A_POST,
        {"agreed-vision": "3", "version": "1"}),
    row("POST", "/plans/{plan}/maturity/assessments/{other_assessment}/levels", NOT_FOUND, {"version": "1"}),
    row("POST", "/plans/{plan}/maturity/assessments/{assessment_a}/delete", HANDLER_A_POST),
    row("POST", "/plans/{plan}/maturity/assessments/{assessment_org}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/maturity/assessments/{other_assessment}/delete", NOT_FOUND),
    row("GET", "/plans/{plan}/maturity/targets", PLANNER_GET),
    row("POST", "/plans/{plan}/maturity/targets", PLANNER_POST, {"target_vision": "3", "version": "0"}),
    row("POST", "/plans/{plan}/hypercare/policy", PLANNER_POST, POLICY_DATA),
    # --- readiness pulse: everyone reads the aggregates; planners run every department's, a head their own;
    # --- the personal link answers without an account ---------------------------------------------------
    row("GET", "/plans/{plan}/pulse/", READ),
    row("GET", "/plans/{plan}/pulse/results.xlsx", READ),
    row("GET", "/plans/{plan}/pulse/surveys/new", HANDLER_A_GET),
    row("POST", "/plans/{plan}/pulse/surveys/new", HANDLER_A_POST, SURVEY_DATA),
    row("GET", "/plans/{plan}/pulse/surveys/{pulse_survey}", READ),
    row("GET", "/plans/{plan}/pulse/surveys/{other_pulse_survey}", NOT_FOUND),
    row("GET", "/plans/{plan}/pulse/surveys/{pulse_survey}/edit", HANDLER_A_GET),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/edit", HANDLER_A_POST, {**SURVEY_DATA, "version": "{pulse_version}"}),
    row("POST", "/plans/{plan}/pulse/surveys/{other_pulse_survey}/edit", NOT_FOUND, {**SURVEY_DATA, "version": "1"}),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/open", HANDLER_A_POST),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/close", HANDLER_A_POST),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/invite", HANDLER_A_POST),
    row("POST", "/plans/{plan}/pulse/surveys/{other_pulse_survey}/invite", NOT_FOUND),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/links/{pulse_invitation}/renew", HANDLER_A_POST),
    row("GET", "/plans/{plan}/pulse/surveys/{pulse_survey}/links.xlsx", HANDLER_A_GET),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/pulse/surveys/{other_pulse_survey}/delete", NOT_FOUND),
    row("GET", "/plans/{plan}/pulse/surveys/{pulse_survey}/entered", HANDLER_A_GET),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/entered", HANDLER_A_POST, ENTERED_DATA),
    row("POST", "/plans/{plan}/pulse/surveys/{pulse_survey}/entered/delete", HANDLER_A_POST),
    row("GET", "/pulse/answer/{pulse_token}", PUBLIC),
    row("POST", "/pulse/answer/{pulse_token}", EVERYONE_POST, ANSWER_DATA),
    row("GET", "/pulse/thanks", PUBLIC),
    # --- the timeline, and tasks moved by dragging (who may change the task may move it) -----------------
    row("GET", "/plans/{plan}/timeline/", READ),
    row("POST", "/plans/{plan}/tasks/{task_a}/move", HANDLER_A_POST, {"status": "in_progress", "version": "1"}),
    row("POST", "/plans/{plan}/tasks/{other_task}/move", NOT_FOUND, {"status": "in_progress", "version": "1"}),
    row("POST", "/plans/{plan}/tasks/{task_a}/dates", HANDLER_A_POST,
        {"start": "2026-02-01", "due": "2026-02-10", "version": "1"}),
    row("POST", "/plans/{plan}/tasks/{other_task}/dates", NOT_FOUND,
        {"start": "2026-02-01", "due": "2026-02-10", "version": "1"}),
    # --- costs and benefits: everyone reads the books, planners keep them -------------------------------
    row("GET", "/plans/{plan}/costs/", READ),
    row("GET", "/plans/{plan}/costs/costs.xlsx", READ),
    row("POST", "/plans/{plan}/costs/currency", PLANNER_POST, {"currency": "USD"}),
    row("GET", "/plans/{plan}/costs/lines/new", PLANNER_GET),
    row("POST", "/plans/{plan}/costs/lines/new", PLANNER_POST, {"name": "Trainers", "category": "training"}),
    row("GET", "/plans/{plan}/costs/lines/{budget_line}/edit", PLANNER_GET),
    row("GET", "/plans/{plan}/costs/lines/{other_budget_line}/edit", PLANNER_404),
    row("POST", "/plans/{plan}/costs/lines/{budget_line}/edit", PLANNER_POST,
        {"name": "Partner", "category": "partner", "version": "1"}),
    row("POST", "/plans/{plan}/costs/lines/{budget_line}/delete", PLANNER_POST),
    row("POST", "/plans/{plan}/costs/lines/{other_budget_line}/delete", PLANNER_404),
    row("GET", "/plans/{plan}/costs/lines/{budget_line}", READ),
    row("GET", "/plans/{plan}/costs/lines/{other_budget_line}", NOT_FOUND),
    row("POST", "/plans/{plan}/costs/lines/{budget_line}", PLANNER_POST, {"planned-2026-01": "1000", "version": "1"}),
    row("POST", "/plans/{plan}/costs/lines/{other_budget_line}", NOT_FOUND, {"planned-2026-01": "1000", "version": "1"}),
    row("GET", "/plans/{plan}/costs/benefits", PLANNER_GET),
    row("POST", "/plans/{plan}/costs/benefits", PLANNER_POST, {"value-{kpi}": "1000"}),
    # --- change impact: everyone reads; planners rate every department, a head their own row -----------------
    row("GET", "/plans/{plan}/impact/", READ),
    row("GET", f"/plans/{MISSING}/impact/", NOT_FOUND),
    row("GET", "/plans/{plan}/impact/impact.xlsx", READ),
    row("GET", "/plans/{plan}/impact/grid", READ),
    row("POST", "/plans/{plan}/impact/grid", HANDLER_A_POST, IMPACT_DATA),
    # a cell of a department outside the plan's waves: refused to everyone, planners included
    row("POST", "/plans/{plan}/impact/grid", (302, 403, 403, 403, 403, 403), {**IMPACT_DATA, "processes-{dept_b}-{module}": "3"}),
    row("POST", f"/plans/{MISSING}/impact/grid", (302, 404, 404, 404, 404, 404), IMPACT_DATA),
    # --- comments: whoever sees the object reads them; who may write depends on the object; the author edits,
    # --- the author and administrators delete; the plan's activity, filtered per entry, for every reader -----
    row("POST", "/plans/{plan}/comments/change_tasks/{task_a}", (302, 302, 302, 302, 403, 302), {"body": "Ready?"}),
    row("POST", "/plans/{plan}/comments/change_tasks/{other_task}", NOT_FOUND, {"body": "Ready?"}),
    row("POST", "/plans/{plan}/comments/status_reports/{draft_a}", (302, 302, 302, 302, 403, 403), {"body": "Good"}),
    row("POST", "/plans/{plan}/comments/status_reports/{submitted_b}", (302, 302, 302, 403, 302, 302), {"body": "Good"}),
    row("POST", "/plans/{plan}/comments/kpis/{kpi}", EVERYONE_POST, {"body": "Why the dip?"}),
    row("POST", "/plans/{plan}/comments/gate_decisions/{decision}", RUNNER_POST, {"body": "Agreed"}),
    row("POST", "/plans/{plan}/comments/nothing/{kpi}", NOT_FOUND, {"body": "Hello"}),
    # the address a refused comment was answered at, opened again: to the conversation, for who may see the object
    row("GET", "/plans/{plan}/comments/change_tasks/{task_a}", (302, 302, 302, 302, 403, 302)),
    row("GET", "/plans/{plan}/comments/status_reports/{draft_a}", (302, 302, 302, 302, 403, 403)),
    row("GET", "/plans/{plan}/comments/kpis/{kpi}", (302, 302, 302, 302, 302, 302)),
    row("GET", "/plans/{plan}/comments/nothing/{kpi}", NOT_FOUND),
    row("GET", "/plans/{plan}/comments/{comment_a}/edit", (302, 403, 403, 200, 403, 403)),
    row("POST", "/plans/{plan}/comments/{comment_a}/edit", (302, 403, 403, 302, 403, 403), {"body": "Ready now?"}),
    row("POST", "/plans/{plan}/comments/{comment_a}/delete", (302, 302, 403, 302, 403, 403)),
    row("POST", f"/plans/{{plan}}/comments/{MISSING}/delete", NOT_FOUND),
    row("GET", "/plans/{plan}/activity", READ),
    row("GET", "/plans/{plan}/activity?who={head_a}&kind=change_tasks&after=20260101000000000000-5", READ),
    row("GET", f"/plans/{MISSING}/activity", NOT_FOUND),
    row("GET", "/training/", READ),
    row("GET", "/training/courses/{course}", READ),
    row("GET", f"/training/courses/{MISSING}", NOT_FOUND),
    row("GET", "/training/courses/new", PLANNER_GET),
    row("POST", "/training/courses/new", PLANNER_POST, {**COURSE_DATA, "code": "MA-201"}),
    row("GET", "/training/courses/{course}/edit", PLANNER_GET),
    row("POST", "/training/courses/{course}/edit", PLANNER_POST, COURSE_DATA),
    row("GET", f"/training/courses/{MISSING}/edit", PLANNER_404),
    row("POST", "/training/courses/{course}/delete", PLANNER_POST),
    row("POST", f"/training/courses/{MISSING}/delete", PLANNER_404),
    row("POST", "/training/courses/{course}/sessions", PLANNER_POST, TRAINING_SESSION_DATA),
    row("GET", "/training/courses/{course}/sessions/{training_session}/edit", PLANNER_GET),
    row("POST", "/training/courses/{course}/sessions/{training_session}/edit", PLANNER_POST, TRAINING_SESSION_DATA),
    row("GET", "/training/courses/{course}/sessions/{other_training_session}/edit", PLANNER_404),
    row("POST", "/training/courses/{course}/sessions/{training_session}/delete", PLANNER_POST),
    row("POST", "/training/courses/{course}/sessions/{other_training_session}/delete", PLANNER_404),
    row("POST", "/training/courses/{course}/enrol-department", PLANNER_POST, {"department_id": "{dept_b}", "session_id": ""}),
    row("POST", "/training/courses/{other_course}/enrolments", PLANNER_POST, {"employee": "ann@example.com", "session_id": ""}),
    row("GET", "/training/enrolments/{enrolment_a}", (302, 200, 200, 200, 403, 403)),
    row("POST", "/training/enrolments/{enrolment_a}", (302, 302, 302, 302, 403, 403), ENROLMENT_DATA),
    row("GET", "/training/enrolments/{enrolment_b}", (302, 200, 200, 403, 200, 403)),
    row("GET", f"/training/enrolments/{MISSING}", NOT_FOUND),
    row("POST", "/training/enrolments/{enrolment_a}/delete", PLANNER_POST),
    row("POST", f"/training/enrolments/{MISSING}/delete", PLANNER_404),
]

# every download is also a CSV of the same workbook, with the same rights (crmproject.exports.spreadsheet_routes)
MATRIX += [row(p.values[0], p.values[1].replace(".xlsx", ".csv").replace("/download", "/download.csv"),
               tuple(p.values[2][r] for r in ROLES), p.values[3])
           for p in list(MATRIX) if ".xlsx" in p.values[1] or p.values[1].endswith("/download")]

# every table page's table as CSV, with the page's rights (crmproject.exports.table_page): the page's address ending
# in .csv (a trailing slash dropped), its query string (the filters) kept
TABLE_PAGES = ("/admin/users", "/departments/", "/plans/", "/plans/modules", "/plans/{plan}/team", "/plans/{plan}/kpis",
               "/plans/{plan}/reports", "/my-tasks", "/plans/{plan}/communications", "/plans/{plan}/gates/",
               "/plans/{plan}/meetings/", "/plans/{plan}/baselines/", "/plans/{plan}/hypercare/", "/plans/{plan}/risks/",
               "/training/", "/training/courses/{course}", "/plans/{plan}", "/plans/{plan}/maturity/",
               "/plans/{plan}/adoption", "/plans/{plan}/kpis/{kpi}", "/plans/{plan}/gates/{gate}",
               "/plans/{plan}/maturity/assessments/{assessment_a}", "/adoption/imports",
               "/plans/{plan}/baselines/{baseline}", "/account/tokens", "/admin/tokens")


def _csv_address(url: str) -> str:
    base, mark, query = url.partition("?")
    return base.rstrip("/") + ".csv" + mark + query


MATRIX += [row("GET", _csv_address(p.values[1]), tuple(p.values[2][r] for r in ROLES))
           for p in list(MATRIX) if p.values[0] == "GET" and p.values[1].split("?")[0] in TABLE_PAGES]
MATRIX += [
    row("GET", "/plans/{plan}/hypercare.csv?table=departments", READ),
    row("GET", "/plans/{plan}.csv?table=waves", READ),
    row("GET", "/plans/{plan}/kpis/{kpi}.csv?table=values", READ),
    row("GET", "/plans/{plan}/gates/{other_gate}.csv", NOT_FOUND),
    row("GET", "/plans/{plan}/baselines/{baseline}.csv?table=tasks", READ),
    row("GET", "/training/courses/{course}.csv?table=sessions", READ),
    row("GET", "/training/courses/{course}.csv?table=departments", READ),
    row("GET", "/plans/{plan}/baselines/{other_baseline}.csv", NOT_FOUND),
    row("GET", f"/plans/{MISSING}/gates.csv", NOT_FOUND),
    row("GET", f"/training/courses/{MISSING}.csv", NOT_FOUND),
    row("GET", "/training/courses/{course}.csv?department={dept_b}&status=completed", READ),
]

# --- the REST API (/api/v1): a token of each role with every scope; without one, 401 -----------------------------------
API_READ = (401, 200, 200, 200, 200, 200)
API_PUBLIC = PUBLIC  # the OpenAPI document and its page describe the API, they hold no data
API_NOT_FOUND = (404,) * 6  # an unknown address under /api/v1, to everyone
API_A = (401, 200, 200, 200, 403, 403)  # department A's own: planners and A's head
API_TASK_A = (401, 200, 200, 200, 403, 200)  # a task of department A: a head sees their department's only
USAGE_EVENTS = {"events": [{"user": "ann", "time": "2026-03-02T09:00:00Z", "action": "Login"}]}
MATRIX += [
    row("GET", "/api/v1/openapi.json", API_PUBLIC),
    row("GET", "/api/v1/docs", API_PUBLIC),
    *[row(method, "/api/v1/nothing-here", API_NOT_FOUND) for method in ("GET", "POST", "PUT", "PATCH", "DELETE")],
    row("GET", "/api/v1/plans", API_READ),
    row("GET", "/api/v1/plans/{plan}", API_READ),
    row("GET", f"/api/v1/plans/{MISSING}", (401, 404, 404, 404, 404, 404)),
    row("GET", "/api/v1/plans/{plan}/phases", API_READ),
    row("GET", "/api/v1/plans/{plan}/waves", API_READ),
    row("GET", "/api/v1/plans/{plan}/team", API_READ),
    row("GET", "/api/v1/departments", API_READ),
    row("GET", "/api/v1/departments/{dept_a}", API_READ),
    row("GET", "/api/v1/departments/{dept_a}/adoption?from=2026-01-01&to=2026-03-01", API_READ),
    row("GET", "/api/v1/plans/{plan}/tasks", API_READ),
    row("GET", "/api/v1/plans/{plan}/tasks/{task_a}", API_TASK_A),
    row("GET", "/api/v1/plans/{plan}/tasks/{other_task}", (401, 404, 404, 404, 404, 404)),
    row("PATCH", "/api/v1/plans/{plan}/tasks/{task_a}", (401, 200, 200, 200, 403, 403), {"version": "1", "title": "Renamed"}),
    row("GET", "/api/v1/plans/{plan}/kpis", API_READ),
    row("GET", "/api/v1/plans/{plan}/kpis/{kpi}/values", API_READ),
    row("POST", "/api/v1/plans/{plan}/kpis/{kpi}/values", (401, 201, 201, 201, 403, 403),
        {"department_id": "{dept_a}", "measured_on": "2026-03-01", "value": "7"}),
    row("GET", "/api/v1/plans/{plan}/status-reports?period=2026-03-15", API_READ),
    row("PUT", "/api/v1/plans/{plan}/status-reports", API_A,
        {"department_id": "{dept_a}", "period": "2026-03-15", "version": "1", "achievements": "Trained"}),
    row("GET", "/api/v1/plans/{plan}/status-reports/{draft_a}", API_A),  # a draft: its head and the planners
    row("GET", "/api/v1/plans/{plan}/status-reports/{submitted_b}", API_READ),
    row("GET", "/api/v1/training/courses", API_READ),
    row("GET", "/api/v1/training/completion", API_READ),
    row("POST", "/api/v1/usage/events", (401, 200, 403, 403, 403, 403), USAGE_EVENTS),  # as the usage import page
    # the token pages: everyone's own tokens; every token for administrators
    row("GET", "/account/tokens", READ),
    row("GET", "/account/tokens.csv", READ),  # its table as CSV (TABLE_PAGES: these rows come after the derived ones)
    # made by everyone, its secret shown once in the POST's own answer
    row("POST", "/account/tokens", READ, {"name": "Script", "scopes": "read", "days": "30"}),
    row("POST", "/account/tokens/{head_token}/revoke", (302, 404, 404, 302, 404, 404)),  # its owner's (head A's)
    row("POST", f"/account/tokens/{MISSING}/revoke", NOT_FOUND),
    row("GET", "/admin/tokens", ADMIN_GET),
    row("GET", "/admin/tokens.csv", ADMIN_GET),
    # --- notifications: everyone's own; an e-mail's stop link works without an account ---------------------------
    row("GET", "/notifications", READ),
    row("GET", "/notifications/{head_note}", (302, 404, 404, 302, 404, 404)),  # head A's: opens its object
    row("GET", f"/notifications/{MISSING}", NOT_FOUND),
    row("POST", "/notifications/{head_note}/read", (302, 404, 404, 302, 404, 404)),
    row("POST", "/notifications/read-all", EVERYONE_POST),
    row("GET", "/account/notifications", READ),
    row("POST", "/account/notifications", EVERYONE_POST, NOTIFICATION_SETTINGS),
    row("GET", "/notifications/stop/{stop_token}", PUBLIC),
    row("POST", "/notifications/stop/{stop_token}", PUBLIC),
    row("GET", "/notifications/stop/not-a-token", (404, 404, 404, 404, 404, 404)),
    row("POST", "/notifications/stop/not-a-token", (404, 404, 404, 404, 404, 404)),
    row("POST", "/admin/tokens/{head_token}/revoke", ADMIN_POST),
    row("POST", f"/admin/tokens/{MISSING}/revoke", ADMIN_404),
]


def _build_world() -> dict:
    """Departments A, B and a spare C; one user per role; a plan and another plan, each with phases and a wave."""
    a, b, c = (create_department(name=n, code=n.upper()) for n in ("Sales", "Service", "Spare"))
    users = {
        role: create_user(email=f"{role}@example.com", name=role, password=PASSWORD, role=r, department=d)
        for role, r, d in [("admin", Role.ADMIN, None), ("project_manager", Role.PROJECT_MANAGER, None),
                           ("head_a", Role.DEPARTMENT_HEAD, a), ("head_b", Role.DEPARTMENT_HEAD, b),
                           ("executive", Role.EXECUTIVE, None)]
    }
    plan = create_plan(name="CRM rollout", start=date(2026, 1, 1), end=date(2027, 12, 31))
    other = create_plan(name="Other rollout", start=date(2026, 1, 1), end=date(2027, 12, 31))
    phase = add_phase(plan, name="Phase 1", start=date(2026, 1, 1), end=date(2026, 6, 30))
    phase_two = add_phase(plan, name="Phase 2", start=date(2026, 7, 1), end=date(2027, 12, 31))
    module = ensure_standard_modules()[0]
    wave = add_wave(plan, name="Pilot", go_live=date(2026, 6, 1), kind=WaveKind.PILOT, departments=[a], modules=[module])
    other_phase = add_phase(other, name="Other phase", start=date(2026, 1, 1), end=date(2026, 6, 30))
    other_wave = add_wave(other, name="Other wave", go_live=date(2026, 6, 1), departments=[b])
    team_role = teams.create_role(plan, kind=TeamRoleKind.IT, title="IT")
    assignment = teams.assign(team_role, person_name="Ivan", start=date(2026, 1, 1))
    other_team_role = teams.create_role(other, kind=TeamRoleKind.IT, title="IT")
    other_assignment = teams.assign(other_team_role, person_name="Olga", start=date(2026, 1, 1))
    deliverable = teams.add_deliverable(plan, name="Goals")
    other_deliverable = teams.add_deliverable(other, name="Goals")
    category = tasks.ensure_categories()[0]
    task_a = tasks.create_task(plan, title="Task A", category=category, actor=None, department=a)
    task_plan = tasks.create_task(plan, title="Plan-wide task", category=category, actor=None)
    other_task = tasks.create_task(other, title="Other task", category=category, actor=None, department=a)
    message = dict(audience="All", channel=CommunicationChannel.EMAIL, message="Hello", planned_date=date(2026, 2, 1),
                   owner=None, department=None, status=CommunicationStatus.PLANNED)
    communication = tasks.save_communication(None, plan, **message)
    other_communication = tasks.save_communication(None, other, **message)
    kpi_values = dict(goal_family=GoalFamily.ADOPTION, direction=Direction.HIGHER, baseline_value=Decimal(0),
                      baseline_date=date(2026, 1, 1), target_value=Decimal(80), target_date=date(2027, 6, 30))
    kpi = kpis.create_kpi(plan, kpis.KpiValues(name="Adoption", **kpi_values))
    other_kpi = kpis.create_kpi(other, kpis.KpiValues(name="Adoption", **kpi_values))
    kpi_target = kpis.set_target(kpi, target_date=date(2026, 9, 30), value=Decimal(50))
    measurement_a = kpis.record_measurement(kpi, measured_on=date(2026, 2, 1), value=Decimal(5), department=a, entered_by=None)
    other_measurement = kpis.record_measurement(other_kpi, measured_on=date(2026, 2, 1), value=Decimal(5), department=a, entered_by=None)
    draft_a = reports.start_report(plan, a, reports.Period(date(2026, 3, 1), date(2026, 3, 31)), author=None)
    submitted_b = reports.start_report(plan, b, reports.Period(date(2026, 3, 1), date(2026, 3, 31)), author=None)
    reports.submit(submitted_b, reports.ReportContent(overall_rag=Rag.GREEN, achievements="A", next_steps="B", values={}),
                   author=None, due_kpis=[])
    other_report = reports.start_report(other, b, reports.Period(date(2026, 3, 1), date(2026, 3, 31)), author=None)
    course = training.create_course(training.CourseValues(code="SFA-101", name="SFA basics", mandatory=True))
    other_course = training.create_course(training.CourseValues(code="DQ-100", name="Data quality rules"))
    training_session = training.add_session(course, training.SessionValues(day=date(2026, 3, 1)))
    other_training_session = training.add_session(other_course, training.SessionValues(day=date(2026, 3, 1)))
    employee_a, employee_b = Employee(name="Ann", email="ann@example.com", department=a), Employee(name="Bo", department=b)
    db.session.add_all([employee_a, employee_b])
    enrolment_a, enrolment_b = training.enrol(employee_a, course), training.enrol(employee_b, course)
    gate = gates.create_gate(plan, name="Pilot may go live", wave=wave)
    criterion = gates.add_criterion(gate, kind=GateKind.CRITICAL_TASKS)
    other_gate = gates.create_gate(other, name="Other gate", wave=other_wave)
    other_criterion = gates.add_criterion(other_gate, kind=GateKind.CRITICAL_TASKS)
    meeting = steering.plan_meeting(plan, held_on=date(2026, 6, 1), title="SC", attendees=[], today=date(2026, 6, 1))
    other_meeting = steering.plan_meeting(other, held_on=date(2026, 6, 1), title="SC", attendees=[], today=date(2026, 6, 1))
    baseline = baselines.save_baseline(plan, name="approved plan", saved_by=None)
    other_baseline = baselines.save_baseline(other, name="approved plan", saved_by=None)
    issue_values = dict(title="Cannot save a deal", severity=IssueSeverity.HIGH, category=IssueCategory.DEFECT,
                        reported_at=datetime(2026, 7, 1, 8, tzinfo=UTC))
    issue_a = hypercare.log_issue(plan, hypercare.IssueValues(department=a, **issue_values), actor=None)
    resolved_a = hypercare.log_issue(plan, hypercare.IssueValues(
        department=a, resolved_at=datetime(2026, 7, 1, 9, tzinfo=UTC), resolution="Done", **issue_values), actor=None)
    budget_line = business_case.save_line(plan, None, name="Partner", category=CostCategory.PARTNER)
    other_budget_line = business_case.save_line(other, None, name="Partner", category=CostCategory.PARTNER)
    other_issue = hypercare.log_issue(other, hypercare.IssueValues(department=b, **issue_values), actor=None)
    assessed = dict(assessed_on=date(2026, 5, 1), assessors=["Ann"])
    assessment_a = maturity.create_assessment(plan, maturity.AssessmentValues(department=a, **assessed), today=date(2026, 6, 1))
    assessment_org = maturity.create_assessment(plan, maturity.AssessmentValues(department=None, **assessed),
                                                today=date(2026, 6, 1))
    other_assessment = maturity.create_assessment(other, maturity.AssessmentValues(department=b, **assessed),
                                                  today=date(2026, 6, 1))
    risk_a = risks.create_risk(plan, risks.RiskValues(title="Reps keep their Excel", likelihood=3, impact=4, department=a))
    risk_b = risks.create_risk(plan, risks.RiskValues(title="Desk understaffed", likelihood=3, impact=4, department=b))
    closed_a = risks.create_risk(plan, risks.RiskValues(title="Old lists", likelihood=2, impact=2, department=a,
                                                        status=risks.RiskStatus.CLOSED, closed_note="Lists merged"))
    risks.link_task(closed_a, task_a)
    risk_plan = next(r for r in risks.list_risks(plan) if r.factor == "cost")
    other_risk = risks.list_risks(other)[0]
    survey_values = dict(kind=SurveyKind.AFTER, title="Pulse", opens_on=date(2026, 6, 10), closes_on=date(2099, 12, 31))
    pulse_survey = pulse.create_survey(plan, pulse.SurveyValues(department=a, **survey_values), actor=None)
    pulse.invite_department(pulse_survey, plan)
    pulse.open_survey(pulse_survey, today=date(2026, 6, 10))
    other_pulse_survey = pulse.create_survey(other, pulse.SurveyValues(department=b, **survey_values), actor=None)
    decided_gate = gates.create_gate(plan, name="Rollout proven", phase=phase_two)
    decision = gates.record_decision(decided_gate, outcome=gates.GateOutcome.GO, decided_on=date(2026, 6, 1),
                                     decided_by="SC", reasoning="", conditions=[], recorded_by=None, today=date(2026, 6, 1))
    comment_a = comments.post_comment(comment_targets.get("change_tasks"), task_a, author=users["head_a"], body="Ready?")
    comment_kpi = comments.post_comment(comment_targets.get("kpis"), kpi, author=users["head_a"], body="Why the dip?")
    head_token = create_token(users["head_a"], scopes=[TokenScope.READ]).token
    usage_import = UsageImport(filename="usage.csv", timezone="UTC", state=ImportState.DONE)
    head_note = Notification(user_id=users["head_a"].id, kind=Kind.TASK_OVERDUE, event_key=f"task:{task_a.id}:overdue",
                             params={"task": "Task A", "due": "2026-05-01"}, link=f"/plans/{plan.id}/tasks/{task_a.id}")
    db.session.add_all([usage_import, head_note])
    db.session.flush()
    return {
        "head_note": head_note.id, "stop_token": stop_token(users["head_a"].id, Kind.TASK_OVERDUE),
        "pulse_survey": pulse_survey.id, "other_pulse_survey": other_pulse_survey.id,
        "pulse_version": str(pulse_survey.version), "pulse_invitation": pulse_survey.invitations[0].id,
        "pulse_token": pulse.link_token(pulse_survey.invitations[0]),
        "decided_gate": decided_gate.id, "decision": decision.id, "comment_a": comment_a.id, "comment_kpi": comment_kpi.id,
        "usage_import": usage_import.id, "head_token": head_token.id, "module": module.id, "gate": gate.id,
        "other_gate": other_gate.id, "criterion": criterion.id,
        "other_criterion": other_criterion.id, "meeting": meeting.id, "other_meeting": other_meeting.id,
        "baseline": baseline.id, "other_baseline": other_baseline.id,
        "budget_line": budget_line.id, "other_budget_line": other_budget_line.id,
        "risk_a": risk_a.id, "risk_b": risk_b.id, "closed_a": closed_a.id, "risk_plan": risk_plan.id,
        "other_risk": other_risk.id,
        "issue_a": issue_a.id, "resolved_a": resolved_a.id, "other_issue": other_issue.id,
        "assessment_a": assessment_a.id, "assessment_org": assessment_org.id, "other_assessment": other_assessment.id,
        "course": course.id, "other_course": other_course.id, "training_session": training_session.id,
        "other_training_session": other_training_session.id, "enrolment_a": enrolment_a.id, "enrolment_b": enrolment_b.id,
        "draft_a": draft_a.id, "submitted_b": submitted_b.id, "other_report": other_report.id,
        "kpi": kpi.id, "other_kpi": other_kpi.id, "kpi_target": kpi_target.id, "measurement_a": measurement_a.id,
        "other_measurement": other_measurement.id,
        "team_role": team_role.id, "assignment": assignment.id, "other_team_role": other_team_role.id,
        "other_assignment": other_assignment.id, "deliverable": deliverable.id, "other_deliverable": other_deliverable.id,
        "category": category.id, "task_a": task_a.id, "task_plan": task_plan.id, "other_task": other_task.id,
        "communication": communication.id, "other_communication": other_communication.id,
        "dept_a": a.id, "dept_b": b.id, "dept_c": c.id, "plan": plan.id, "phase": phase.id, "wave": wave.id,
        "other_phase": other_phase.id, "other_wave": other_wave.id, "admin_email": users["admin"].email,
        **{role: user.id for role, user in users.items()},
    }


def _empty_tables(*, restart: bool = False) -> None:
    """DELETE every row: on PostgreSQL ten times faster than conftest's TRUNCATE, which ~400 cases feel."""
    db.session.rollback()
    if restart and db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in data_tables())
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    elif db.engine.dialect.name == "postgresql":  # every DELETE in one round trip (statements without parameters)
        db.session.connection().exec_driver_sql("; ".join(f'DELETE FROM "{t.name}"' for t in reversed(data_tables())))
    else:
        for table in reversed(data_tables()):
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(scope="module")
def _world_rows(_app):
    """The world is built once with the services, its rows are kept and the transaction is rolled back:
    copying ~20 rows back in is ten times faster than building it again for each case."""
    with _app.app_context():
        ids = _build_world()
        rows = [(t, [dict(r._mapping) for r in db.session.execute(t.select())]) for t in data_tables()]
        db.session.rollback()
    yield ids, [(table, table_rows) for table, table_rows in rows if table_rows]
    with _app.app_context():
        _empty_tables(restart=True)  # as conftest's `app` fixture leaves it, sequences included
        db.session.remove()


@pytest.fixture
def world(_app, _world_rows):
    """A fresh copy of the world per case (not conftest's `app`: its TRUNCATE per case is the slow part)."""
    ids, rows = _world_rows
    with _app.app_context():
        for table, table_rows in rows:
            db.session.execute(table.insert(), table_rows)
        if db.engine.dialect.name == "postgresql":  # explicit ids leave the sequences behind: set them, at once
            db.session.execute(text("SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT MAX(id) FROM \"{table.name}\"))"
                for table, _rows_of in rows if "id" in table.c)))
        db.session.commit()
        yield ids
        _empty_tables()
        db.session.remove()


@pytest.fixture
def client(_app, world):
    return _app.test_client()


def api_token(role: str) -> dict:
    """Every scope of the role's own token: what a request may then do is the pages' rules alone."""
    if role == "anonymous":
        return {}
    user = db.session.scalar(select(User).where(User.email == f"{role}@example.com"))
    issued = create_token(user, scopes=list(TokenScope))
    db.session.commit()
    return {"Authorization": f"Bearer {issued.secret}"}


def log_in(client, role: str):
    if role != "anonymous":
        response = client.post("/login", data={"email": f"{role}@example.com", "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
    return client


_NOT_COMPARED = ("last_login_at", "updated_at", "last_used_at")  # what a login or a token's use stamps


def _rows() -> dict:
    """Every row of every table (bar the login bookkeeping, and the audit trail, which records the refusal), each
    table's rows as one text, read in one statement in a fresh transaction: a refused case compares them before
    and after (one round trip, not one per table: the matrix has some 1,500 refused cases)."""
    db.session.rollback()
    names, statement = _dump_statement(db.engine.dialect.name)
    dump = dict(zip(names, db.session.connection().exec_driver_sql(statement).one(), strict=True))
    db.session.rollback()
    return dump


@functools.cache
def _dump_statement(dialect: str) -> tuple[tuple[str, ...], str]:
    """The statement of _rows, compiled once: each table's rows as text, sorted, joined."""
    tables = [t for t in data_tables() if t.name not in ("audit_entries", "rate_limit_counters")]  # a refused API request still counts
    texts = []
    for table in tables:
        values = [func.coalesce(cast(c, String), "~") for c in table.c if c.name not in _NOT_COMPARED]
        row = values[0]
        for value in values[1:]:
            row = row + "|" + value
        rows = select(row.label("row")).select_from(table).order_by(row).subquery()
        texts.append(select(func.coalesce(func.aggregate_strings(rows.c.row, "\n"), "")).scalar_subquery())
    compiled = select(*texts).compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
    return tuple(t.name for t in tables), str(compiled).replace("%%", "%") if dialect == "postgresql" else str(compiled)


def fill(data: dict, world: dict) -> dict:
    return {k.format_map(world): v.format_map(world) if isinstance(v, str) else v for k, v in data.items()}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "url", "expected", "data"), MATRIX)
def test_permission_matrix(client, world, role, method, url, expected, data):
    path = url.format_map(world)
    if path.startswith("/api/"):  # a token, never the session
        request = {"headers": api_token(role), "json": fill(data, world) if data else None}
    else:
        log_in(client, role)
        request = {"data": fill(data, world)}
    public = path.startswith(PUBLIC_PATHS)
    refused = expected[role] in (401, 403, 404) or (role == "anonymous" and not public)
    before = _rows() if refused else None
    with client.open(path, method=method, **request) as response:  # closes sent files
        pass
    location = response.headers.get("Location", "")
    assert response.status_code == expected[role], f"{role} {method} {path}: {response.status_code} -> {location}"
    if refused:
        assert _rows() == before, f"{role} {method} {path} was refused but changed the database"
    if response.status_code != 302:
        return
    if role == "anonymous" and not public:
        # The login wall: back to the login page, with the page asked for as `next`.
        assert location.startswith("/login?"), location
        assert parse_qs(urlsplit(location).query)["next"] == [path]
    else:
        assert "next=" not in location, f"{role} was sent to the login wall: {location}"


class _AnyId(dict):
    def __missing__(self, key):
        return "1"


def test_matrix_covers_every_rule_and_method(_app):
    """A new route (or a new method on one) must get its row in MATRIX."""
    adapter = _app.url_map.bind("localhost")
    covered = set()
    for param in MATRIX:
        method, url, expected, _data = param.values
        assert set(expected) == set(ROLES)
        rule, _args = adapter.match(url.format_map(_AnyId()).split("?")[0], method=method, return_rule=True)
        covered.add((rule.rule, method))
    missing = sorted(
        (rule.rule, method)
        for rule in _app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if (rule.rule, method) not in covered
    )
    assert not missing, "rules without a row in MATRIX:\n" + "\n".join(f"  {m} {r}" for r, m in missing)


# --- the UI shows only what the user may do ------------------------------------------------------------

UI = [  # (page, snippet, roles that see it)
    ("/plans/{plan}/meetings/", 'href="/plans/{plan}/meetings/new"', PLANNERS | {"executive"}),
    ("/plans/{plan}/baselines/", 'action="/plans/{plan}/baselines/"', PLANNERS),
    ("/plans/{plan}/baselines/{baseline}", 'action="/plans/{plan}/baselines/{baseline}/delete"', PLANNERS),
    ("/plans/{plan}/meetings/{meeting}", 'action="/plans/{plan}/meetings/{meeting}/actions"', PLANNERS | {"executive"}),
    ("/plans/{plan}/gates/", 'href="/plans/{plan}/gates/new"', PLANNERS),
    ("/plans/{plan}/hypercare/", 'href="/plans/{plan}/hypercare/issues/new"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/costs/", 'href="/plans/{plan}/costs/lines/new"', PLANNERS),
    ("/plans/{plan}/tasks/board", 'action="/plans/{plan}/tasks/{task_a}/move"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/costs/", 'action="/plans/{plan}/costs/currency"', PLANNERS),
    ("/plans/{plan}/costs/lines/{budget_line}", 'name="planned-2026-01"', PLANNERS),
    ("/plans/{plan}/hypercare/", 'href="/plans/{plan}/hypercare/policy"', PLANNERS),
    ("/plans/{plan}/maturity/", 'href="/plans/{plan}/maturity/assessments/new', PLANNERS | {"head_a"}),
    ("/plans/{plan}/maturity/", 'href="/plans/{plan}/maturity/targets"', PLANNERS),
    ("/plans/{plan}/maturity/assessments/{assessment_a}", 'href="/plans/{plan}/maturity/assessments/{assessment_a}/levels"',
     PLANNERS | {"head_a"}),
    ("/plans/{plan}/maturity/assessments/{assessment_org}", 'href="/plans/{plan}/maturity/assessments/{assessment_org}/levels"',
     PLANNERS),
    ("/plans/{plan}/pulse/", 'href="/plans/{plan}/pulse/surveys/new"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/pulse/surveys/{pulse_survey}", 'action="/plans/{plan}/pulse/surveys/{pulse_survey}/invite"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/pulse/surveys/{pulse_survey}", 'value="http://localhost/pulse/answer/', PLANNERS | {"head_a"}),
    ("/plans/{plan}/pulse/surveys/{pulse_survey}", 'href="/plans/{plan}/pulse/surveys/{pulse_survey}/entered"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/pulse/surveys/{pulse_survey}", 'action="/plans/{plan}/pulse/surveys/{pulse_survey}/delete"', PLANNERS),
    ("/plans/{plan}/hypercare/issues/{issue_a}", 'action="/plans/{plan}/hypercare/issues/{issue_a}/respond"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/hypercare/issues/{issue_a}", 'action="/plans/{plan}/hypercare/issues/{issue_a}/resolve"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/hypercare/issues/{resolved_a}", 'action="/plans/{plan}/hypercare/issues/{resolved_a}/reopen"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/risks/", 'href="/plans/{plan}/risks/new"', PLANNERS),
    ("/plans/{plan}/risks/", 'action="/plans/{plan}/risks/catalogue"', set()),  # the plan has the whole catalogue
    ("/plans/{plan}/risks/{risk_a}", 'href="/plans/{plan}/risks/{risk_a}/edit"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/risks/{risk_a}", 'action="/plans/{plan}/risks/{risk_a}/close"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/risks/{risk_a}", 'action="/plans/{plan}/risks/{risk_a}/review"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/risks/{risk_a}", 'action="/plans/{plan}/risks/{risk_a}/tasks"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/risks/{risk_a}", 'action="/plans/{plan}/risks/{risk_a}/delete"', PLANNERS),
    ("/plans/{plan}/risks/{risk_plan}", 'href="/plans/{plan}/risks/{risk_plan}/edit"', PLANNERS),
    ("/plans/{plan}/risks/{closed_a}", 'action="/plans/{plan}/risks/{closed_a}/reopen"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/risks/{closed_a}", 'action="/plans/{plan}/risks/{closed_a}/tasks/{task_a}/unlink"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/gates/{gate}", 'href="/plans/{plan}/gates/{gate}/criteria/new"', PLANNERS),
    ("/plans/{plan}/gates/{gate}", 'action="/plans/{plan}/gates/{gate}/decisions"', {"admin", "executive"}),
    ("/plans/{plan}", 'href="/plans/{plan}/edit"', PLANNERS),
    ("/plans/{plan}", 'action="/plans/{plan}/delete"', PLANNERS),
    ("/plans/{plan}", ">Add phase<", PLANNERS),
    ("/plans/{plan}", ">Add wave<", PLANNERS),
    ("/plans/{plan}", 'href="/plans/{plan}/phases/{phase}/edit"', PLANNERS),
    ("/plans/{plan}", 'action="/plans/{plan}/waves/{wave}/delete"', PLANNERS),
    ("/plans/", 'href="/plans/new"', PLANNERS),
    ("/plans/", 'href="/plans/from-template"', PLANNERS),
    ("/plans/modules", "Add a module", PLANNERS),
    ("/departments/", 'href="/departments/new"', PLANNERS),
    ("/departments/{dept_a}", 'href="/departments/{dept_a}/edit"', PLANNERS | {"head_a"}),
    ("/departments/{dept_b}", 'href="/departments/{dept_b}/edit"', PLANNERS | {"head_b"}),
    ("/departments/{dept_a}", 'action="/departments/{dept_a}/delete"', PLANNERS),
    ("/plans/", 'href="/admin/users"', {"admin"}),  # the "Users" entry of the navigation
    ("/account/tokens", 'action="/account/tokens/{head_token}/revoke"', {"head_a"}),
    ("/departments/", 'href="/admin/users"', {"admin"}),
    ("/plans/", 'href="/admin/audit"', {"admin"}),  # the "Audit trail" entry of the navigation
    ("/plans/{plan}", 'id="history"', set(ROLES) - {"anonymous"}),  # the plan's own history, for every reader
    ("/plans/{plan}", 'href="/admin/audit?type=plans&amp;object={plan}"', {"admin"}),
    ("/plans/{plan}/impact/grid", 'name="processes-{dept_a}-{module}"', PLANNERS | {"head_a"}),
    ("/plans/{plan}/impact/", ">Rate the impact<", PLANNERS | {"head_a", "head_b"}),
    ("/plans/{plan}", 'href="/plans/{plan}/activity"', set(ROLES) - {"anonymous"}),
    ("/plans/{plan}/kpis/{kpi}", 'action="/plans/{plan}/comments/kpis/{kpi}"', set(ROLES) - {"anonymous"}),
    ("/plans/{plan}/kpis/{kpi}", 'href="/plans/{plan}/comments/{comment_kpi}/edit"', {"head_a"}),
    ("/plans/{plan}/kpis/{kpi}", 'action="/plans/{plan}/comments/{comment_kpi}/delete"', {"head_a", "admin"}),
    ("/plans/{plan}/reports/{submitted_b}", 'action="/plans/{plan}/comments/status_reports/{submitted_b}"',
     PLANNERS | {"head_b", "executive"}),
    ("/plans/{plan}/gates/{decided_gate}", 'action="/plans/{plan}/comments/gate_decisions/{decision}"',
     PLANNERS | {"executive"}),
    ("/training/", 'href="/training/courses/new"', PLANNERS),
    ("/training/courses/{course}", ">Add session<", PLANNERS),
    ("/training/courses/{course}", 'action="/training/courses/{course}/delete"', PLANNERS),
    ("/training/courses/{course}", 'href="/training/enrolments/{enrolment_a}"', PLANNERS | {"head_a"}),
    ("/training/courses/{course}?department={dept_b}", 'href="/training/enrolments/{enrolment_b}"', PLANNERS | {"head_b"}),
]


@pytest.mark.parametrize("role", ROLES[1:])
def test_ui_hides_what_the_user_cannot_do(client, world, role):
    log_in(client, role)
    pages: dict[str, str] = {}
    for page, snippet, roles in UI:
        path = page.format_map(world)
        if path not in pages:
            response = client.get(path)
            assert response.status_code == 200, path
            pages[path] = response.get_data(as_text=True)
        shown = snippet.format_map(world) in pages[path]
        assert shown == (role in roles), f"{role} on {path}: {snippet!r} {'shown' if shown else 'hidden'}"


@pytest.mark.parametrize("role", ROLES[1:])
def test_nav_shows_users_only_to_admins(client, role):
    html = log_in(client, role).get("/plans/").get_data(as_text=True)
    nav = html.split('<nav class="mainnav"', 1)[1].split("</nav>", 1)[0]
    assert (">Users</a>" in nav) == (role == "admin")


def test_a_department_head_cannot_rename_their_department(client, world):
    """The head's form has only the numbers: name and code in the POST are ignored."""
    log_in(client, "head_a")
    data = fill({**DEPARTMENT_A, "name": "Renamed", "code": "RENAMED", "headcount": "41"}, world)
    assert client.post(f"/departments/{world['dept_a']}/edit", data=data).status_code == 302
    page = client.get(f"/departments/{world['dept_a']}").get_data(as_text=True)
    assert "Renamed" not in page and "Sales" in page
