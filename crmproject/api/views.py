"""The token pages: a user's own API tokens (create, shown once; list; revoke), and every token for administrators."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from crmproject.api import services
from crmproject.api.forms import TokenForm
from crmproject.api.models import ApiToken, TokenScope
from crmproject.api.tables import tokens_table
from crmproject.auth.permissions import admins_only, can_revoke_token, require
from crmproject.db import utcnow
from crmproject.exports import table_csv, table_page, wants_csv
from crmproject.extensions import db
from crmproject.i18n import _

tokens_bp = Blueprint("tokens", __name__)


@table_page(tokens_bp, "/account/tokens", methods=("GET", "POST"))
def mine():
    if wants_csv():
        return table_csv(tokens_table(utcnow()), services.tokens_of(current_user), _("API tokens"))
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form)
    issued = services.create_token(current_user, scopes=[TokenScope(s) for s in form.scopes.data],
                                   days=form.days.data, name=form.name.data or "")
    # Shown in this answer only: never in the session (a signed cookie anyone holding it can read), never cached,
    # and the database keeps only its hash. A reload asks the browser to post again, and it warns first.
    return _tokens_page(TokenForm(formdata=None), secret=issued.secret), {"Cache-Control": "no-store"}


def _tokens_page(form: TokenForm, secret: str | None = None) -> str:
    return render_template("api/tokens.html", form=form, secret=secret, tokens=services.tokens_of(current_user),
                           now=utcnow())


def _token(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None:
        abort(404)
    return token


@tokens_bp.post("/account/tokens/<int:token_id>/revoke")
def revoke_mine(token_id: int):
    token = _token(token_id)
    if token.user_id != current_user.id:
        abort(404)  # another user's token is not named to its owner's peers
    _revoke(token)
    return redirect(url_for("tokens.mine"))


@table_page(tokens_bp, "/admin/tokens")
@admins_only
def every():
    if wants_csv():
        return table_csv(tokens_table(utcnow(), owners=True), services.all_tokens(), _("every API token"))
    return render_template("api/all_tokens.html", tokens=services.all_tokens(), now=utcnow())


@tokens_bp.post("/admin/tokens/<int:token_id>/revoke")
@admins_only
def revoke_any(token_id: int):
    _revoke(_token(token_id))
    return redirect(url_for("tokens.every"))


def _revoke(token: ApiToken) -> None:
    require(can_revoke_token(current_user, token))
    if services.revoke(token, by=current_user):
        flash(_("Token %(prefix)s… revoked: it no longer opens the API.", prefix=token.prefix), "success")
    else:
        flash(_("Token %(prefix)s… was already revoked.", prefix=token.prefix), "info")
