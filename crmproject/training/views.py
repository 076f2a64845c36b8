"""Training routes (grown below)."""

from crmproject.training import bp  # noqa: F401
