"""adoption weeks: each department's snapshots summed per week, kept by triggers on adoption_snapshots (weekly
adoption was a GROUP BY over three years of daily rows on every dashboard request)

Revision ID: b8f2d4e6a913
Revises: e7a1c5d2f8b4
Create Date: 2026-12-06 06:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = 'b8f2d4e6a913'
down_revision = 'e7a1c5d2f8b4'
branch_labels = None
depends_on = None

ACTIVE = "COALESCE({row}monthly_active_users, {row}active_users, 0)"  # {row}: "NEW.", "OLD." or ""

# SQLite: a row trigger per change; an UPDATE takes the old row out and puts the new one in. (A REPLACE fires the
# delete triggers of the rows it removes only with PRAGMA recursive_triggers, which the app sets on each connection.)
SQLITE_TRIGGERS = {
    "adoption_weeks_add": "AFTER INSERT ON adoption_snapshots WHEN NEW.licensed_seats > 0 BEGIN {add} END",
    "adoption_weeks_remove": "AFTER DELETE ON adoption_snapshots WHEN OLD.licensed_seats > 0 BEGIN {remove} END",
    "adoption_weeks_update_old": "AFTER UPDATE ON adoption_snapshots WHEN OLD.licensed_seats > 0 BEGIN {remove} END",
    "adoption_weeks_update_new": "AFTER UPDATE ON adoption_snapshots WHEN NEW.licensed_seats > 0 BEGIN {add} END",
}
SQLITE_ADD = (
    "INSERT INTO adoption_weeks (department_id, week, days, active, seats) "
    f"VALUES (NEW.department_id, NEW.week, 1, {ACTIVE.format(row='NEW.')}, NEW.licensed_seats) "
    "ON CONFLICT (department_id, week) DO UPDATE SET days = days + 1, active = active + excluded.active, "
    "seats = seats + excluded.seats;"
)
SQLITE_REMOVE = (
    f"UPDATE adoption_weeks SET days = days - 1, active = active - {ACTIVE.format(row='OLD.')}, "
    "seats = seats - OLD.licensed_seats WHERE department_id = OLD.department_id AND week = OLD.week; "
    "DELETE FROM adoption_weeks WHERE department_id = OLD.department_id AND week = OLD.week AND days <= 0;"
)

# PostgreSQL: statement triggers over the transition tables, so an import's bulk insert of thousands of days
# costs one grouped upsert, not one per row
POSTGRESQL_FUNCTIONS = {
    "adoption_weeks_add": """
        INSERT INTO adoption_weeks (department_id, week, days, active, seats)
        SELECT department_id, week, count(*), sum({active}), sum(licensed_seats) FROM new_rows
        WHERE licensed_seats > 0 GROUP BY department_id, week ORDER BY department_id, week
        ON CONFLICT (department_id, week) DO UPDATE SET days = adoption_weeks.days + excluded.days,
            active = adoption_weeks.active + excluded.active, seats = adoption_weeks.seats + excluded.seats;
    """,
    "adoption_weeks_remove": """
        UPDATE adoption_weeks w SET days = w.days - o.days, active = w.active - o.active, seats = w.seats - o.seats
        FROM (SELECT department_id, week, count(*) AS days, sum({active}) AS active, sum(licensed_seats) AS seats
              FROM old_rows WHERE licensed_seats > 0 GROUP BY department_id, week) o
        WHERE w.department_id = o.department_id AND w.week = o.week;
        DELETE FROM adoption_weeks w USING (SELECT DISTINCT department_id, week FROM old_rows) o
        WHERE w.department_id = o.department_id AND w.week = o.week AND w.days <= 0;
    """,
}
# a TRUNCATE of the snapshots (row triggers never see one) empties the weeks too
POSTGRESQL_FUNCTIONS["adoption_weeks_empty"] = "DELETE FROM adoption_weeks;"
POSTGRESQL_TRIGGERS = (
    ("adoption_weeks_insert", "INSERT", "NEW TABLE AS new_rows", ("adoption_weeks_add",)),
    ("adoption_weeks_delete", "DELETE", "OLD TABLE AS old_rows", ("adoption_weeks_remove",)),
    ("adoption_weeks_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows",
     ("adoption_weeks_remove", "adoption_weeks_add")),
)


def upgrade():
    op.create_table(
        'adoption_weeks',
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('week', sa.Integer(), nullable=False),
        sa.Column('days', sa.Integer(), nullable=False),
        sa.Column('active', sa.BigInteger(), nullable=False),
        sa.Column('seats', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['departments.id'],
                                name=op.f('fk_adoption_weeks_department_id_departments'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('department_id', 'week', name=op.f('pk_adoption_weeks')),
    )
    op.execute(
        "INSERT INTO adoption_weeks (department_id, week, days, active, seats) "
        f"SELECT department_id, week, count(*), sum({ACTIVE.format(row='')}), sum(licensed_seats) "
        "FROM adoption_snapshots WHERE licensed_seats > 0 GROUP BY department_id, week"
    )
    if op.get_bind().dialect.name == "postgresql":
        for name, body in POSTGRESQL_FUNCTIONS.items():
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                       f"{body.format(active=ACTIVE.format(row=''))} RETURN NULL; END $$")
        for trigger, event, transition, functions in POSTGRESQL_TRIGGERS:
            for n, function in enumerate(functions):
                op.execute(f"CREATE TRIGGER {trigger}_{n} AFTER {event} ON adoption_snapshots "
                           f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
        op.execute("CREATE TRIGGER adoption_weeks_truncate AFTER TRUNCATE ON adoption_snapshots "
                   "FOR EACH STATEMENT EXECUTE FUNCTION adoption_weeks_empty()")
    else:
        for name, body in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body.format(add=SQLITE_ADD, remove=SQLITE_REMOVE)}")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER adoption_weeks_truncate ON adoption_snapshots")
        for trigger, _event, _transition, functions in POSTGRESQL_TRIGGERS:
            for n, _function in enumerate(functions):
                op.execute(f"DROP TRIGGER {trigger}_{n} ON adoption_snapshots")
        for name in POSTGRESQL_FUNCTIONS:
            op.execute(f"DROP FUNCTION {name}()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('adoption_weeks')
