from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")

from crmproject.plans import views  # noqa: E402,F401
