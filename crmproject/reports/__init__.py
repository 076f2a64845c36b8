"""Periodic status reports of each department, with revisions, and who has reported."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/plans/<int:plan_id>")
