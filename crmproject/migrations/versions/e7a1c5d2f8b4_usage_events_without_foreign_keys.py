"""usage events: no foreign key checks on employee, department and import (the import resolves them itself; a
million rows checked three times each took half of the insert on PostgreSQL)

Revision ID: e7a1c5d2f8b4
Revises: d3e9a4c1f623
Create Date: 2026-12-06 03:30:00

"""
from alembic import op


revision = 'e7a1c5d2f8b4'
down_revision = 'd3e9a4c1f623'
branch_labels = None
depends_on = None

_KEYS = (
    ('fk_usage_events_employee_id_employees', 'employees', 'employee_id'),
    ('fk_usage_events_department_id_departments', 'departments', 'department_id'),
    ('fk_usage_events_import_id_usage_imports', 'usage_imports', 'import_id'),
)


def upgrade():
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        for name, _table, _column in _KEYS:
            batch_op.drop_constraint(name, type_='foreignkey')


def downgrade():
    # events whose employee, department or import is gone lose that id, as ON DELETE SET NULL would have done
    for _name, table, column in _KEYS:
        op.execute(f"UPDATE usage_events SET {column} = NULL WHERE {column} IS NOT NULL "
                   f"AND {column} NOT IN (SELECT id FROM {table})")
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        for name, table, column in _KEYS:
            batch_op.create_foreign_key(name, table, [column], ['id'], ondelete='SET NULL')
