"""a version on every object two people can edit at once (optimistic locking, as change tasks have)

Revision ID: a4c19e7d2b53
Revises: 7f3e2b9c4d10
Create Date: 2026-12-06 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a4c19e7d2b53'
down_revision = '7f3e2b9c4d10'
branch_labels = None
depends_on = None

# Every existing row starts at version 1, as a new one does.
TABLES = (
    'status_reports', 'kpis', 'plans', 'phases', 'waves', 'departments', 'team_roles', 'deliverables', 'communications',
    'courses', 'training_sessions', 'enrolments', 'adoption_rules', 'users',
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    # change tasks had their version already; it now comes from the same mixin, default included
    with op.batch_alter_table('change_tasks', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.Integer(), existing_nullable=False, server_default='1')


def downgrade():
    with op.batch_alter_table('change_tasks', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.Integer(), existing_nullable=False, server_default=None)
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
