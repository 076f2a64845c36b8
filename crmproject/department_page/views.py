"""The department page."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from crmproject.adoption import key_actions
from crmproject.adoption.key_action_charts import key_action_figure
from crmproject.adoption.views import adoption_context
from crmproject.department_page import bp, services
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.pulse.charts import trend_figure
from crmproject.pulse.results import ELEMENTS as PULSE_ELEMENTS
from crmproject.pulse.results import department_trend
from crmproject.training.charts import course_completion_figure


@bp.get("/<int:department_id>")
def show(department_id: int):
    department = db.get_or_404(Department, department_id)
    overview = services.department_overview(department, viewer=current_user)
    today = overview.today
    first = overview.go_lives[0].wave.plan if overview.go_lives else None
    cells = overview.training_cells
    adoption = adoption_context(first, [department], today=today) if first else {}
    key_summary = None
    if first is not None and overview.go_lives[0].is_live:
        key_summary = key_actions.department_summary(first, department.id, go_live=overview.go_lives[0].wave.go_live_date,
                                                     today=today)
    pulse = department_trend(department.id, today=today, plan_id=first.id if first is not None else None)
    readiness = services.readiness_summary(first.id, department, today=today) if first is not None else {}
    return render_template(
        "department_page/show.html", department=department, overview=overview, today=today, adoption=adoption,
        pulse=pulse, pulse_elements=PULSE_ELEMENTS, pulse_plan=first,
        pulse_chart=trend_figure(pulse) if sum(r.shown for r in pulse) > 1 else None,
        key_actions=key_summary,
        key_action_chart=key_action_figure(key_summary, target=adoption["target"]) if key_summary and key_summary.weeks else None,
        training_cells=cells,
        training_figure=course_completion_figure(cells, overview.mandatory_course_ids) if cells else None,
        **readiness,
    )
