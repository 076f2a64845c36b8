"""Comments with @mentions on tasks, status reports, KPIs and gate decisions, and each plan's activity feed.

The features register the kinds of object that take comments (crmproject.comments.targets); this package never
imports them."""

from flask import Blueprint

bp = Blueprint("comments", __name__, url_prefix="/plans/<int:plan_id>")
