from flask import Blueprint

bp = Blueprint("teams", __name__, url_prefix="/plans/<int:plan_id>")

from crmproject.teams import views  # noqa: E402,F401
