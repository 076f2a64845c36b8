from datetime import date

import pytest

from crmproject.extensions import db
from crmproject.tasks import services


@pytest.fixture
def categories(app):
    cats = {c.key: c for c in services.ensure_categories()}
    db.session.commit()
    return cats


@pytest.fixture
def make_task(app, categories):
    def make(plan, title="Task", *, actor=None, category="communication", **kwargs):
        task = services.create_task(plan, title=title, category=categories[category], actor=actor, **kwargs)
        db.session.commit()
        return task

    return make


@pytest.fixture
def today():
    return date(2026, 6, 15)
