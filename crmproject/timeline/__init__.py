"""The plan's interactive timeline: phases, go-lives and change tasks with their dependencies, a baseline beside
today's dates; tasks rescheduled by dragging their bars."""

from flask import Blueprint

bp = Blueprint("timeline", __name__, url_prefix="/plans/<int:plan_id>/timeline")
