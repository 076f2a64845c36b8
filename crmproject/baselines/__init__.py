"""Plan baselines: named copies of the plan's dates and KPI targets, and the slippage of today's plan against them."""

from flask import Blueprint

bp = Blueprint("baselines", __name__, url_prefix="/plans/<int:plan_id>/baselines")
