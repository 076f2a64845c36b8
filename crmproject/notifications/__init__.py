"""Notifications by e-mail and in the application: reports due and overdue, tasks assigned, due soon, overdue and
blocked, gates coming up, adoption fading or without effect, mentions in comments, and leadership's weekly digest.

This package sits above the features it reads (like the dashboard): it imports them, none imports it. It hears the
comments' signal (crmproject.comments.signals) so a mention is told at once.
"""

from flask import Blueprint, Flask, current_app

bp = Blueprint("notifications", __name__)


def init_app(app: Flask) -> None:
    """The mail extension, the header's unread count, the comments' signal and the queue's job."""
    from flask_login import current_user

    from crmproject.comments.signals import comment_posted
    from crmproject.notifications import jobs, mail, services  # noqa: F401 - jobs: the queue's job, registered on import

    mail.init_app(app)

    def unread_notifications() -> int:
        """The header's count; an error page drawn because the database failed still draws (without it)."""
        from sqlalchemy.exc import SQLAlchemyError

        from crmproject.extensions import db

        if not current_user.is_authenticated:
            return 0
        try:
            return services.unread_count(current_user)
        except SQLAlchemyError:
            db.session.rollback()
            app.logger.warning("the unread notifications could not be counted", exc_info=True)
            return 0

    app.jinja_env.globals["unread_notifications"] = unread_notifications
    comment_posted.connect(_comment_posted, weak=False)


def _comment_posted(comment, mentioned=(), **_extra) -> None:
    """A committed comment's newly mentioned people are told at once (the comments send this after their commit)."""
    from crmproject.extensions import db
    from crmproject.notifications import services

    wanted = {user.id for user in mentioned}
    ids = [m.id for m in comment.mentions if m.user_id in wanted]
    if not ids:
        return
    try:
        services.notify_mentions(ids)
    except Exception:  # the comment is saved: its answer stays a success, and `notify send` tells them later
        db.session.rollback()
        current_app.logger.exception("the people mentioned in comment %s could not be told at once", comment.id)
