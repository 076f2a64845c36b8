"""The readiness pulse: short ADKAR surveys per department before and after its go-live, answered through personal links."""

from flask import Blueprint

# Two kinds of address: the plan's pages (/plans/<plan_id>/pulse/...) and the public answer page
# (/pulse/answer/<token>), which needs no account; so the blueprint has no prefix of its own.
bp = Blueprint("pulse", __name__)
PREFIX = "/plans/<int:plan_id>/pulse"
