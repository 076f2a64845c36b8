"""adoption snapshots: the week of each day, and an index that reads weekly adoption without a sort

Revision ID: 3d7a9c2b5e14
Revises: 8b3f6d1e2a90
Create Date: 2026-11-23 02:40:00

"""
from datetime import date

from alembic import op
import sqlalchemy as sa


revision = '3d7a9c2b5e14'
down_revision = '8b3f6d1e2a90'
branch_labels = None
depends_on = None

EPOCH_MONDAY = date(1970, 1, 5)


def upgrade():
    with op.batch_alter_table('adoption_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('week', sa.Integer(), nullable=True))
    connection = op.get_bind()
    if connection.dialect.name == 'postgresql':
        connection.execute(sa.text("UPDATE adoption_snapshots SET week = FLOOR((day - DATE '1970-01-05') / 7.0)"))
    else:
        connection.execute(sa.text(
            "UPDATE adoption_snapshots SET week = "
            "((CAST(julianday(day) - 2440591.5 AS INTEGER) + 700000) / 7 - 100000)"))
    with op.batch_alter_table('adoption_snapshots', schema=None) as batch_op:
        batch_op.alter_column('week', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index('ix_adoption_snapshots_weekly', ['department_id', 'week', 'licensed_seats',
                                                               'monthly_active_users', 'active_users'], unique=False)


def downgrade():
    with op.batch_alter_table('adoption_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_adoption_snapshots_weekly')
        batch_op.drop_column('week')
