"""The risk register: each plan's risks (the texts' failure factors first), scored, mitigated, reviewed."""

from flask import Blueprint

bp = Blueprint("risks", __name__, url_prefix="/plans/<int:plan_id>/risks")
