from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/plans/<int:plan_id>")
