"""Users, roles and logging in; permissions.py holds every authorisation rule."""

from flask import Blueprint

bp = Blueprint("auth", __name__)
