"""Comment routes (post, edit, delete; the feature pages show the threads through the `comments` macro) and a
plan's activity feed."""

from __future__ import annotations

from flask import Flask, abort, flash, redirect, render_template, request
from flask_login import current_user

from crmproject.auth.permissions import (
    allow, can_delete_comment, can_edit_comment, can_read_activity, require,
)
from crmproject.auth.services import list_users
from crmproject.comments import activity, bp, services, targets
from crmproject.comments.forms import CommentForm
from crmproject.comments.models import Comment
from crmproject.errors import saving
from crmproject.extensions import db
from crmproject.i18n import _
from crmproject.plans.models import Plan
from crmproject.plans.views import plan_or_404


def _object(plan: Plan, target_type: str, target_id: int):
    """The commented object of this plan, or 404; 403 when the reader may not see it."""
    target = targets.get(target_type)
    obj = target.load(target_id) if target is not None else None
    if target is None or obj is None or target.plan_id(obj) != plan.id:
        abort(404)
    require(target.can_see(current_user, obj))
    return target, obj


def _comment(plan: Plan, comment_id: int):
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.plan_id != plan.id:
        abort(404)
    target, obj = _object(plan, comment.target_type, comment.target_id)
    return comment, target, obj


def _at(target, obj, anchor: str) -> str:
    """The object's page at an anchor (the object's own address may hold one: a decision on its gate's page)."""
    return f"{target.url(obj).partition('#')[0]}#{anchor}"


def _form_page(plan: Plan, target, obj, form: CommentForm, comment: Comment | None = None, status: int = 200):
    return render_template("comments/form.html", plan=plan, target=target, obj=obj, form=form, comment=comment,
                           people=services.people(services.mentionable(target, obj))), status


@bp.get("/comments/<kind>/<int:object_id>")
def thread(plan_id: int, kind: str, object_id: int):
    """The address a refused comment's page was answered at, opened again (a reload, a bookmark): the object's
    conversation on its page."""
    plan = plan_or_404(plan_id, waves=False)
    target, obj = _object(plan, kind, object_id)
    return redirect(_at(target, obj, f"comments-{target.type}-{object_id}"))


@bp.post("/comments/<kind>/<int:object_id>")
def post(plan_id: int, kind: str, object_id: int):
    plan = plan_or_404(plan_id, waves=False)
    target, obj = _object(plan, kind, object_id)
    require(target.can_comment(current_user, obj))
    form = CommentForm()
    if form.validate_on_submit():
        with saving(form) as outcome:
            comment = services.post_comment(target, obj, author=current_user, body=form.body.data or "")
        if outcome.saved:
            flash(_("Comment posted."), "success")
            return redirect(_at(target, obj, f"comment-{comment.id}"))
    return _form_page(plan, target, obj, form, status=400)


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit(plan_id: int, comment_id: int):
    plan = plan_or_404(plan_id, waves=False)
    comment, target, obj = _comment(plan, comment_id)
    require(can_edit_comment(current_user, comment) and target.can_comment(current_user, obj))
    form = CommentForm(obj=comment if request.method == "GET" else None)
    if form.validate_on_submit():
        with saving(form) as outcome:
            services.edit_comment(comment, body=form.body.data or "")
        if outcome.saved:
            flash(_("Comment saved."), "success")
            return redirect(_at(target, obj, f"comment-{comment.id}"))
    return _form_page(plan, target, obj, form, comment, 400 if form.errors else 200)


@bp.post("/comments/<int:comment_id>/delete")
def delete(plan_id: int, comment_id: int):
    plan = plan_or_404(plan_id, waves=False)
    comment, target, obj = _comment(plan, comment_id)
    require(can_delete_comment(current_user, comment))
    services.delete_comment(comment)
    flash(_("Comment deleted."), "success")
    return redirect(_at(target, obj, f"comments-{target.type}-{obj.id}"))


def _id(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@bp.get("/activity")
@allow(can_read_activity)
def plan_activity(plan_id: int):
    plan = plan_or_404(plan_id, waves=False)
    kinds = activity.kinds(plan.id)
    kind = request.args.get("kind", "")
    flt = activity.ActivityFilter(user_id=_id(request.args.get("who")),
                                  object_type=kind if kind in dict(kinds) else None)
    page = activity.activity(plan.id, current_user, flt, after=activity.Cursor.parse(request.args.get("after")))
    args = {k: v for k, v in (("who", flt.user_id), ("kind", flt.object_type)) if v}
    return render_template("comments/activity.html", plan=plan, page=page, flt=flt, kinds=kinds, users=list_users(),
                           args=args, older=request.args.get("after") is not None)


# --- the threads on the features' pages ------------------------------------------------------------------


def _thread(obj):
    """An object's comments for its page (the `comments/_macros.html` macro): None when it takes none or the
    reader may not see it."""
    target_type = targets.type_of(obj)
    target = targets.get(target_type)
    if target is None or not target.can_see(current_user, obj):
        return None
    found = services.comments_on(target.type, obj.id, plan_id=target.plan_id(obj))
    may_comment = target.can_comment(current_user, obj)
    return {
        "target": target, "obj": obj, "plan_id": target.plan_id(obj),
        "comments": [(c, services.render_body(c)) for c in found],
        "form": CommentForm() if may_comment else None,
        "people": services.people(services.mentionable(target, obj)) if may_comment else [],
    }


def init_app(app: Flask) -> None:
    app.jinja_env.globals["comment_thread"] = _thread
