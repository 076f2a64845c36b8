"""Change impact: how much the rollout changes each department's processes, tools and roles, per CRM module."""

from flask import Blueprint

bp = Blueprint("impact", __name__, url_prefix="/plans/<int:plan_id>/impact")
