"""session tokens of users, login throttles, rate limit counters, the demo plan's seed key

Revision ID: 7f3e2b9c4d10
Revises: 3d7a9c2b5e14
Create Date: 2026-12-05 10:00:00

"""
import secrets

from alembic import op
import sqlalchemy as sa


revision = '7f3e2b9c4d10'
down_revision = '3d7a9c2b5e14'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('session_token', sa.String()))
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        # every session begun before this upgrade ends: its cookie holds the old id
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(32)))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_users_session_token'), ['session_token'])

    op.create_table(
        'login_throttles',
        sa.Column('account_key', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('account_key', name=op.f('pk_login_throttles')),
    )
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttles_last_failure_at'), ['last_failure_at'], unique=False)
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )

    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seed_key', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_plans_seed_key'), ['seed_key'])
    # a demo loaded before this revision found its plan by name; from now on by this key
    plans = sa.table('plans', sa.column('name', sa.String()), sa.column('seed_key', sa.String()))
    connection.execute(plans.update().where(plans.c.name == 'Northwind CRM rollout').values(seed_key='demo'))


def downgrade():
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_plans_seed_key'), type_='unique')
        batch_op.drop_column('seed_key')
    op.drop_table('rate_limit_counters')
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttles_last_failure_at'))
    op.drop_table('login_throttles')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_session_token'), type_='unique')
        batch_op.drop_column('session_token')
