"""Training: courses, sessions, enrolments and completion per department and course."""

from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")
