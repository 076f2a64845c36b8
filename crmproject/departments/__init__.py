"""The organisation's departments: headcount, licensed seats and heads."""

from flask import Blueprint

bp = Blueprint("departments", __name__, url_prefix="/departments")
