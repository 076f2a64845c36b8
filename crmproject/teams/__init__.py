"""A plan's project team: role seats, who held them when, handovers, and the RACI matrix."""

from flask import Blueprint

bp = Blueprint("teams", __name__, url_prefix="/plans/<int:plan_id>")
