"""Rollout plans: phases, waves of departments (the pilot first), go-lives, CRM modules and seed plan templates."""

from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")
