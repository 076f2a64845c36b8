from flask import Blueprint

bp = Blueprint("departments", __name__, url_prefix="/departments")

from crmproject.departments import views  # noqa: E402,F401
