"""`crmproject users`: accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from crmproject.cli_params import errors_text
from crmproject.i18n import _


@click.group("users")
def users_group() -> None:
    """Manage users."""


@users_group.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(["admin", "project_manager", "department_head", "executive"]), required=True)
@click.option("--department", "department_code", help="Department code; required for a department head.")
@click.password_option(help="Asked for when not given.")
@with_appcontext
def users_create(email: str, name: str, role: str, department_code: str | None, password: str) -> None:
    """Add a user."""
    from crmproject.auth.models import Role
    from crmproject.auth.services import create_user
    from crmproject.departments.services import get_department_by_code
    from crmproject.errors import ValidationFailed
    from crmproject.extensions import db

    department = None
    if department_code:
        department = get_department_by_code(department_code)
        if department is None:
            raise click.UsageError(_("There is no department with the code %(code)s.", code=department_code))
    try:
        user = create_user(email=email, name=name, password=password, role=Role(role), department=department)
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(errors_text(exc)) from None
    db.session.commit()
    click.echo(_("Created %(role)s %(email)s (id %(id)s).", role=user.role.label, email=user.email, id=user.id))
