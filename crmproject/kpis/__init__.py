from flask import Blueprint

bp = Blueprint("kpis", __name__, url_prefix="/plans/<int:plan_id>")
