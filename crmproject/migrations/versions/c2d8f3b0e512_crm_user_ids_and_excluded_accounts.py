"""CRM user ids on employees (events without a user name are matched on them), the excluded accounts rule
(service and integration accounts kept out of adoption), and what each usage import kept out

Revision ID: c2d8f3b0e512
Revises: a4c19e7d2b53
Create Date: 2026-11-24 11:00:00

"""
from alembic import op
import sqlalchemy as sa

from crmproject.db import UTCDateTime


revision = 'c2d8f3b0e512'
down_revision = 'a4c19e7d2b53'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crm_user_id', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('crm_user_id_key', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_employees_crm_user_id_key'), ['crm_user_id_key'])
    with op.batch_alter_table('usage_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_events', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('excluded_accounts', sa.Text(), server_default='', nullable=False))
    op.create_table('excluded_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patterns', sa.Text(), nullable=False),
    sa.Column('vendor_markers', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_excluded_accounts'))
    )


def downgrade():
    op.drop_table('excluded_accounts')
    with op.batch_alter_table('usage_imports', schema=None) as batch_op:
        batch_op.drop_column('excluded_accounts')
        batch_op.drop_column('excluded_events')
    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_employees_crm_user_id_key'), type_='unique')
        batch_op.drop_column('crm_user_id_key')
        batch_op.drop_column('crm_user_id')
