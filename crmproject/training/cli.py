"""`crmproject import training` (grown below)."""

from __future__ import annotations

import click


def register(import_group: click.Group) -> None:
    """Add the training commands to `crmproject import`."""
