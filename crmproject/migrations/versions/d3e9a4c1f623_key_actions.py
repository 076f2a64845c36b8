"""key actions: a plan's mapping of usage events to key actions (its rules), and the key actions counted per
plan, department and week

Revision ID: d3e9a4c1f623
Revises: c2d8f3b0e512
Create Date: 2026-11-24 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd3e9a4c1f623'
down_revision = 'c2d8f3b0e512'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('key_action_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_key_action_mappings_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_action_mappings')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_key_action_mappings_plan_id'))
    )
    op.create_table('key_action_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mapping_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('action_pattern', sa.String(length=300), nullable=False),
    sa.Column('object_pattern', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['mapping_id'], ['key_action_mappings.id'], name=op.f('fk_key_action_rules_mapping_id_key_action_mappings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_action_rules')),
    sa.UniqueConstraint('mapping_id', 'position', name=op.f('uq_key_action_rules_mapping_id_position'))
    )
    op.create_table('key_action_weeks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('key_actions', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('active_people', sa.Integer(), nullable=False),
    sa.Column('licensed_seats', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_key_action_weeks_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_key_action_weeks_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_action_weeks')),
    sa.UniqueConstraint('plan_id', 'department_id', 'week', name=op.f('uq_key_action_weeks_plan_id_department_id_week'))
    )
    with op.batch_alter_table('key_action_weeks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_key_action_weeks_department_id'), ['department_id'], unique=False)


def downgrade():
    with op.batch_alter_table('key_action_weeks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_key_action_weeks_department_id'))
    op.drop_table('key_action_weeks')
    op.drop_table('key_action_rules')
    op.drop_table('key_action_mappings')
