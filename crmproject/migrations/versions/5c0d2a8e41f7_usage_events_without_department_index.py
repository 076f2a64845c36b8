"""usage events: drop the (department, day) index, which no query uses

Adoption is read from the snapshots; the events are read by employee and
day (recompute) and by import. The index cost about a second of every
million-row import.

Revision ID: 5c0d2a8e41f7
Revises: 01efe520997e
Create Date: 2026-11-23 01:40:00

"""
from alembic import op


revision = '5c0d2a8e41f7'
down_revision = '01efe520997e'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_usage_events_department_day', table_name='usage_events')


def downgrade():
    op.create_index('ix_usage_events_department_day', 'usage_events', ['department_id', 'day'], unique=False)
