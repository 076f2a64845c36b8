"""The landing page after login."""

from __future__ import annotations

from datetime import date

from flask import redirect, render_template, url_for
from flask_login import current_user

from crmproject.auth.models import Role
from crmproject.home import bp
from crmproject.plans.services import list_plans, plan_summaries


@bp.get("/")
def index():
    # A department head works on their own department: that is their home.
    if current_user.role == Role.DEPARTMENT_HEAD and current_user.department_id:
        return redirect(url_for("department_page.show", department_id=current_user.department_id))
    return render_template("home/index.html", summaries=plan_summaries(list_plans(), today=date.today()))

