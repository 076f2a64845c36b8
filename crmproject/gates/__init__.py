"""Phase gates: criteria measured from the plan's own data, a recommendation, and the steering committee's decisions."""

from flask import Blueprint

bp = Blueprint("gates", __name__, url_prefix="/plans/<int:plan_id>/gates")
