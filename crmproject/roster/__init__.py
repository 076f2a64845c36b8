"""The employees: their CRM user names, ids and dated department history."""

from flask import Blueprint

bp = Blueprint("roster", __name__, url_prefix="/roster")
