"""Change-management tasks with dependencies and history, the board, and the communication plan."""

from flask import Blueprint

bp = Blueprint("tasks", __name__, url_prefix="/plans/<int:plan_id>")
# Pages that are not about one plan: my tasks across plans, the category list.
my_bp = Blueprint("my_tasks", __name__)
