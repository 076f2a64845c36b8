"""Declarative base, naming convention and small mixins shared by all models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import CursorResult, DateTime, Integer, MetaData, Result, Table, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert(table, dialect_name: str):
    """An INSERT of `table` that can take ON CONFLICT DO UPDATE/NOTHING, in the database's dialect
    (PostgreSQL and SQLite spell it the same way, through different classes)."""
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (postgresql_insert if dialect_name == "postgresql" else sqlite_insert)(table)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones: values are stored naive in UTC and come back
    aware, so comparisons and arithmetic behave the same as on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)

    if TYPE_CHECKING:
        # Every model here maps one Table (none a join or a select), so its Core statements and name type-check.
        __table__: ClassVar[Table]


def mapped_table(mapper: Mapper[Any]) -> Table:
    """The table a model maps: every model here maps one Table (SQLAlchemy types it as any FROM clause)."""
    return cast(Table, mapper.local_table)


def rows_matched(result: Result[Any]) -> int:
    """The rows an UPDATE, DELETE or INSERT matched: Session.execute is typed as giving a Result, but for these
    statements it gives a CursorResult, which counts them."""
    return cast(CursorResult[Any], result).rowcount


# The Flask-SQLAlchemy extension (its session, its engines), here with the models' base so that this module, the
# lowest, needs no other; crmproject.extensions hands it on with the other extensions.
db = SQLAlchemy(model_class=Base)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Versioned:
    """Optimistic locking for an object two people can open and save at once.

    `version` moves on every UPDATE of the row (SQLAlchemy's version_id_col):
    an UPDATE from a session that loaded an older version matches no row and
    raises StaleDataError, answered with 409: the last line of defence, for two
    saves at the same instant. Edit forms carry the version they were opened at
    and what they showed (crmproject.forms.VersionedForm); when the version
    moved since, `saving(form, obj)` (crmproject.errors) keeps what each person
    changed and refuses only a field both changed, showing its three values.
    """

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.version}


def touch(obj: Versioned) -> None:
    """Count a save as a change of the object even when only its parts changed (a report's KPI values,
    a wave's departments, a seat's holder): its version moves at the next flush. Once per save: after a
    flush has moved it, touching again would move it once more."""
    obj.version = obj.version + 1


def driver_rows(query, *, name: str | None = None) -> Iterator[tuple]:
    """The rows of a select read straight from the database driver, as plain tuples.

    For large results of numbers and dates that would spend more time
    becoming SQLAlchemy rows than being computed (a million activity rows,
    ten thousand weekly figures). The query is compiled with its values
    written in, so its parameters must be numbers and dates the code made,
    never text a user typed. On PostgreSQL `name` makes it a server-side
    cursor, read in batches.
    """
    sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    driver: Any = db.session.connection().connection.driver_connection  # the DBAPI's own connection, not typed
    postgresql = db.engine.dialect.name == "postgresql"
    cursor = driver.cursor(name=name) if postgresql and name else driver.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(10_000):
            yield from rows
    finally:
        cursor.close()


# Called with (table, rows) after insert_rows wrote them, in the same transaction: the audit trail records one
# entry per bulk write (crmproject.audit.capture), as the ORM's events never see these rows.
BULK_INSERT_LISTENERS: list[Callable[..., None]] = []


def insert_rows(table, rows: list[dict], *, ids: bool = True) -> list[int]:
    """Insert `rows` (dicts with the same keys) into `table`; returns their new ids in the order of `rows` (none
    when `ids` is false). For imports, where one ORM object per row costs many times what writing it does.
    Columns the rows leave out get their Python-side defaults (created_at, version...), as from the ORM.

    Each column's values are converted by the column's type once per distinct value (dates, enums and the
    import's timestamp repeat), then written by the driver: COPY on PostgreSQL, executemany on SQLite. The ids
    are known before the rows are written: on PostgreSQL taken from the table's sequence; on SQLite, which
    cannot tie a new rowid to its row in a batch, the first row is inserted alone, which takes the database's
    write lock until the transaction ends, and the others are given the ids that follow it (no other
    connection can insert meanwhile; the ids are max + 1, no AUTOINCREMENT).
    """
    from sqlalchemy import func, insert, select

    if not rows:
        return []
    rows = _with_defaults(table, rows)
    new_ids: list[int] = []
    if not ids:
        _write(table, rows)
    elif db.engine.dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        new_ids = list(db.session.scalars(select(func.nextval(sequence)).select_from(
            func.generate_series(1, len(rows)))))
        _write(table, [{**row, "id": row_id} for row, row_id in zip(rows, new_ids, strict=True)])
    else:
        first = db.session.execute(insert(table).returning(table.c.id), rows[0]).scalar_one()
        new_ids = list(range(first, first + len(rows)))
        if len(rows) > 1:
            _write(table, [{**row, "id": row_id} for row, row_id in zip(rows[1:], new_ids[1:], strict=True)])
    for listener in BULK_INSERT_LISTENERS:
        listener(table, rows)
    return new_ids


def _with_defaults(table, rows: list[dict]) -> list[dict]:
    """The rows with the Python-side defaults of the columns they leave out (created_at, version...), computed
    once for them all, as the ORM would for each."""
    given = rows[0].keys()
    defaults = {}
    for column in table.columns:
        default = column.default
        if column.key in given or column.primary_key or default is None:
            continue
        if default.is_scalar:
            defaults[column.key] = default.arg
        elif default.is_callable:
            defaults[column.key] = default.arg(None)  # SQLAlchemy wraps a plain callable to take the context
    return [{**defaults, **row} for row in rows] if defaults else rows


def _write(table, rows: list[dict]) -> None:
    dialect = db.engine.dialect
    names = list(rows[0])
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            converted = {value: process(value) for value in set(values)}
            values = [converted[value] for value in values]
        columns.append(values)
    preparer = dialect.identifier_preparer
    target = f"{preparer.format_table(table)} ({', '.join(preparer.quote(n) for n in names)})"
    connection = db.session.connection()
    if dialect.name == "postgresql":
        driver: Any = connection.connection.driver_connection  # psycopg's connection (the DBAPI is not typed)
        with driver.cursor() as cursor, \
                cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in zip(*columns, strict=True):
                copy.write_row(row)
        return  # the cache hears of it through BULK_INSERT_LISTENERS (the engine's events never see a COPY)
    connection.exec_driver_sql(f"INSERT INTO {target} VALUES ({', '.join(['?'] * len(names))})",
                               list(zip(*columns, strict=True)))
