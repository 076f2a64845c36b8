"""The CRM maturity model (Gartner): assessments of the eight building blocks on the 0-6 scale, targets, the gate's evidence."""

from flask import Blueprint

bp = Blueprint("maturity", __name__, url_prefix="/plans/<int:plan_id>/maturity")
