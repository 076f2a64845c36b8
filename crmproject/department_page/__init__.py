"""The department page: one department's rollout, gathered from every feature (a page above them)."""

from flask import Blueprint

bp = Blueprint("department_page", __name__, url_prefix="/departments")
