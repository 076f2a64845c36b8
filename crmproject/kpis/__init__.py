"""KPIs with baselines, targets and intermediate targets, their measured values and attainment."""

from flask import Blueprint

bp = Blueprint("kpis", __name__, url_prefix="/plans/<int:plan_id>")
