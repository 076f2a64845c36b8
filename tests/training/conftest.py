"""Factories for the training tests: employees (made directly, the roster has its own tests) and courses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.roster.models import Employee, username_key
from crmproject.training import services
from crmproject.training.models import Course


@pytest.fixture
def make_employee(app):
    counter = iter(range(1, 100_000))

    def make(name: str | None = None, department: Department | None = None, email: str | None = None,
             crm_username: str | None = None, active: bool = True) -> Employee:
        n = next(counter)
        employee = Employee(name=name or f"Person {n}", email=email, crm_username=crm_username,
                            crm_username_key=username_key(crm_username) if crm_username else None,
                            department=department, active=active)
        db.session.add(employee)
        db.session.commit()
        return employee

    return make


@pytest.fixture
def make_course(app):
    counter = iter(range(1, 10_000))

    def make(code: str | None = None, name: str | None = None, mandatory: bool = False, **kwargs) -> Course:
        n = next(counter)
        course = services.create_course(services.CourseValues(
            code=code or f"C-{n}", name=name or f"Course {n}", mandatory=mandatory,
            length_hours=kwargs.pop("length_hours", Decimal(2)), **kwargs))
        db.session.commit()
        return course

    return make
