"""The tests' copy of the demo (tests/conftest.py, load_demo_copy) puts back the very database load_demo left:
every row of every table, the tables triggers keep, the sequences new ids come from, the summary."""

from datetime import date

from crmproject.demo.services import demo_plan
from crmproject.extensions import db

TODAY = date(2026, 11, 23)  # as tests/demo's other tests: the copy they use


def _rows(copy) -> dict:
    """Each table's rows, in an order of their own (PostgreSQL may write copied rows elsewhere in the table)."""
    return {name: sorted(map(repr, data.splitlines() if isinstance(data, bytes) else data))
            for name, data in {**copy.rows, **copy.derived}.items()}


def test_the_copy_of_the_demo_is_the_database_load_demo_left(app, load_demo_copy):
    summary = load_demo_copy(today=TODAY)  # this worker's first load of that date builds it: load_demo itself
    built = load_demo_copy.kept[TODAY, "en"]
    assert built.rows["usage_events"] and built.derived["adoption_weeks"]

    for table in reversed(db.metadata.sorted_tables):
        if table.name != "data_generations":
            db.session.execute(table.delete())
    db.session.commit()
    assert load_demo_copy.database_is_empty()

    assert load_demo_copy(today=TODAY) == summary  # copied in
    copied = load_demo_copy.dump()
    assert _rows(copied) == _rows(built)
    assert copied.sequences == built.sequences
    assert demo_plan() is not None
