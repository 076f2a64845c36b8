"""Costs and benefits of the rollout: budget lines with planned and actual costs by month, benefits valued from
the KPIs' improvement, and the return so far."""

from flask import Blueprint

bp = Blueprint("business_case", __name__, url_prefix="/plans/<int:plan_id>/costs")
