"""Hypercare after each go-live: a department's issue log, response and resolution times against targets, exit criteria."""

from flask import Blueprint

bp = Blueprint("hypercare", __name__, url_prefix="/plans/<int:plan_id>/hypercare")
