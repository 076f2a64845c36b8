"""crmproject: runs a CRM implementation project."""

from crmproject.app import create_app

__all__ = ["create_app"]
