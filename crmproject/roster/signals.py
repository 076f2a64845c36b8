"""Signals of the roster, so that a feature above it (adoption) acts on a change without the roster importing it.

    roster_saved.send(saved)   # an import saved (flushed, not committed); `saved.moved_employee_ids` moved
                               # department; a receiver returns how many usage events it counted again
"""

from __future__ import annotations

from blinker import Namespace

roster_saved = Namespace().signal("roster-saved")
