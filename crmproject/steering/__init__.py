"""Steering committee meetings: an agenda built from the plan's figures, attendees, minutes and action items."""

from flask import Blueprint

bp = Blueprint("steering", __name__, url_prefix="/plans/<int:plan_id>/meetings")
