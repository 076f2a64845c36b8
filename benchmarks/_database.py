"""What the benchmarks share: emptying the database they are given and building it from the migrations."""

from __future__ import annotations

from sqlalchemy import text


def rebuild(app) -> None:
    """EMPTY the app's database (every table, whatever schema version it holds) and upgrade it to the head."""
    from flask_migrate import upgrade

    from crmproject.extensions import db

    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("DROP SCHEMA public CASCADE"))
        db.session.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
    db.session.commit()
    upgrade(directory=app.extensions["migrate"].directory)
