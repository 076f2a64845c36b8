"""CRM adoption: usage exports imported and matched to the roster, daily adoption per department, its shapes and key actions."""

from flask import Blueprint

bp = Blueprint("adoption", __name__)
