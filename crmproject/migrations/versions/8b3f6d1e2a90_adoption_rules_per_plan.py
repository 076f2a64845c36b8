"""adoption rules per plan: the thresholds that tell adoption shapes apart; the data generation of each table (cache)

Revision ID: 8b3f6d1e2a90
Revises: 5c0d2a8e41f7
Create Date: 2026-11-23 01:50:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8b3f6d1e2a90'
down_revision = '5c0d2a8e41f7'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('adoption_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('min_weeks', sa.Integer(), nullable=False),
    sa.Column('effect_level', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('fade_points', sa.Numeric(precision=5, scale=1), nullable=False),
    sa.Column('fade_weeks', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['plans.id'], name=op.f('fk_adoption_rules_plan_id_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adoption_rules')),
    sa.UniqueConstraint('plan_id', name=op.f('uq_adoption_rules_plan_id'))
    )
    op.create_table('data_generations',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_data_generations'))
    )


def downgrade():
    op.drop_table('data_generations')
    op.drop_table('adoption_rules')
