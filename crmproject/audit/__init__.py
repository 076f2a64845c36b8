"""The audit trail: every change to every object (who, when, before and after), recorded by one mechanism on the
database session in the same transaction as the change, and the security events (logins, failed logins,
logouts, permission refusals, exports)."""

from flask import Blueprint

bp = Blueprint("audit", __name__)
