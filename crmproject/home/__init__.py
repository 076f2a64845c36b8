"""The home page: each user's way in (a department head lands on their department)."""

from flask import Blueprint

bp = Blueprint("home", __name__)
