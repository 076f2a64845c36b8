"""The leadership dashboard of a plan, its print view and the leadership report."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__, url_prefix="/plans/<int:plan_id>")
