"""Signals of the departments, so that the features above them act on a change without the departments importing
them.

    department_deleting.send(department)   # in the deleting transaction, before the row goes: whatever refers
                                           # to the department without a foreign key lets go of it
"""

from __future__ import annotations

from blinker import Namespace

department_deleting = Namespace().signal("department-deleting")
