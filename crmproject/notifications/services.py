"""Preferences, recording events once, the e-mails of a run, and the in-app list.

Recording: each event is inserted in a savepoint of its own; the unique (user, kind, event key) turns a second
insert of the same event (this run's or another's at the same moment) into an IntegrityError, and that event is
skipped. E-mails: a run claims the rows it will send (an UPDATE from pending to sending that only one run can
win), sends them grouped per user and kind, and marks them sent; a failure puts them back to pending for the
next run (up to MAX_ATTEMPTS), and a claim left by a run that died is taken again after CLAIM_TIMEOUT.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, event as orm_event, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crmproject.auth.models import User
from crmproject.cascades import deleted_in, going_with, in_chunks
from crmproject.comments.models import Comment
from crmproject.db import rows_matched, utcnow
from crmproject.extensions import db
from crmproject.notifications.collect import Event
from crmproject.notifications.kinds import DEFAULTS, Channel, EmailStatus, Kind
from crmproject.notifications.models import Notification, NotificationPreference

_log = logging.getLogger(__name__)
PER_PAGE = 30
MAX_ATTEMPTS = 5
CLAIM_TIMEOUT = timedelta(minutes=30)


# --- preferences ---------------------------------------------------------------------------------------------


def preferences(user: User) -> dict[Kind, Channel]:
    """How `user` wants each kind: their choices over the defaults."""
    chosen = {p.kind: p.channel for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    return {kind: chosen.get(kind, DEFAULTS[kind]) for kind in Kind}


def set_preference(user: User, kind: Kind, channel: Channel) -> None:
    """Keep `user`'s choice for one kind (a change the audit trail records as theirs)."""
    found = db.session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user.id,
                                                                   NotificationPreference.kind == kind))
    if found is None:
        if channel != DEFAULTS[kind]:
            db.session.add(NotificationPreference(user_id=user.id, kind=kind, channel=channel))
    elif found.channel != channel:
        found.channel = channel
    db.session.flush()


def set_preferences(user: User, choices: dict[Kind, Channel]) -> None:
    for kind, channel in choices.items():
        set_preference(user, kind, channel)


# --- recording -------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run did (or, dry, would do)."""

    found: int = 0  # events due now, told before or not
    recorded: list[Notification] = field(default_factory=list)  # new this run
    in_app: int = 0
    emails_sent: int = 0
    notifications_emailed: int = 0
    emails_failed: int = 0
    by_kind: Counter = field(default_factory=Counter)

    def as_dict(self, *, dry_run: bool, smtp: bool) -> dict:
        return {"dry_run": dry_run, "smtp": smtp, "events_found": self.found, "new": len(self.recorded),
                "in_app": self.in_app, "emails_sent": self.emails_sent,
                "notifications_emailed": self.notifications_emailed, "emails_failed": self.emails_failed,
                "by_kind": {kind.value: self.by_kind.get(kind.value, 0) for kind in Kind}}


def _channels(user_ids: Iterable[int]) -> dict[tuple[int, Kind], Channel]:
    ids = list(set(user_ids))
    if not ids:
        return {}
    return {(p.user_id, p.kind): p.channel for p in db.session.scalars(
        select(NotificationPreference).where(NotificationPreference.user_id.in_(ids)))}


def _already(events: Sequence[Event]) -> set[tuple[int, str, str]]:
    """The events of this list already recorded (so a run skips them without trying to insert them)."""
    if not events:
        return set()
    keys = {e.key for e in events}
    found: set[tuple[int, str, str]] = set()
    key_list = sorted(keys)
    for start in range(0, len(key_list), 500):
        rows = db.session.execute(select(Notification.user_id, Notification.kind, Notification.event_key)
                                  .where(Notification.event_key.in_(key_list[start:start + 500])))
        found.update((user_id, kind.value, key) for user_id, kind, key in rows)
    return found


def record(events: Sequence[Event], *, smtp: bool) -> Outcome:
    """Record the events not told before, each as the user wants it; commits each (the caller's transaction
    must be clean). Returns what was new."""
    outcome = Outcome(found=len(events))
    done = _already(events)
    chosen = _channels(e.user.id for e in events)
    for event in events:
        if (event.user.id, event.kind.value, event.key) in done:
            continue
        done.add((event.user.id, event.kind.value, event.key))
        channel = chosen.get((event.user.id, event.kind), DEFAULTS[event.kind])
        email = channel.wants_email and smtp
        # wanted by e-mail with no server to send it: it stays in the application
        in_app = channel.wants_app or (channel.wants_email and not smtp)
        notification = Notification(user_id=event.user.id, kind=event.kind, event_key=event.key,
                                     plan_id=event.plan_id, params=event.params, link=event.link, in_app=in_app,
                                     email_status=EmailStatus.PENDING if email else EmailStatus.NONE)
        try:
            with db.session.begin_nested():
                db.session.add(notification)
        except IntegrityError:
            continue  # told already, by another run at this very moment
        db.session.commit()
        outcome.recorded.append(notification)
        outcome.by_kind[event.kind.value] += 1
        outcome.in_app += in_app
    return outcome


# --- e-mail ----------------------------------------------------------------------------------------------------


def _claim() -> list[Notification]:
    """The pending e-mails this run sends, claimed so no other run sends them."""
    now = utcnow()
    candidates = db.session.scalars(
        select(Notification.id).where(
            (Notification.email_status == EmailStatus.PENDING)
            | ((Notification.email_status == EmailStatus.SENDING) & (Notification.email_claimed_at < now - CLAIM_TIMEOUT)))
        .order_by(Notification.id)).all()
    claimed = []
    for notification_id in candidates:
        result = db.session.execute(
            update(Notification).where(
                Notification.id == notification_id,
                (Notification.email_status == EmailStatus.PENDING)
                | ((Notification.email_status == EmailStatus.SENDING)
                   & (Notification.email_claimed_at < now - CLAIM_TIMEOUT)))
            .values(email_status=EmailStatus.SENDING, email_claimed_at=now)
            .execution_options(synchronize_session=False))
        db.session.commit()  # the claim holds before anything is sent
        if rows_matched(result) == 1:
            claimed.append(notification_id)
    if not claimed:
        return []
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)
                                   .execution_options(populate_existing=True)))


def send_emails(outcome: Outcome) -> None:
    """Send every pending e-mail: one per user and kind, listing that kind's new notifications."""
    from crmproject.notifications.mail import build_email, open_connection

    claimed = _claim()
    if not claimed:
        return
    groups: dict[tuple[int, Kind], list[Notification]] = defaultdict(list)
    for notification in claimed:
        groups[(notification.user_id, notification.kind)].append(notification)
    connection = open_connection()
    try:
        for (user_id, kind), notifications in groups.items():
            user = db.session.get(User, user_id)
            ids = [n.id for n in notifications]
            if user is None or not user.active:
                _mark(ids, EmailStatus.NONE)
                continue
            try:
                email = build_email(user, kind, notifications)
                email.connection = connection
                email.send()
            except Exception:  # noqa: BLE001 - the server refused or was away: this group waits for the next run
                _log.warning("notification e-mail to %s could not be sent", user.email, exc_info=True)
                db.session.rollback()
                _failed(notifications)
                outcome.emails_failed += 1
                connection.close()
                continue
            _mark(ids, EmailStatus.SENT, emailed_at=utcnow())
            outcome.emails_sent += 1
            outcome.notifications_emailed += len(ids)
    finally:
        connection.close()


def _mark(ids: list[int], status: EmailStatus, **values) -> None:
    db.session.execute(update(Notification).where(Notification.id.in_(ids))
                       .values(email_status=status, **values).execution_options(synchronize_session=False))
    db.session.commit()


def _failed(notifications: list[Notification]) -> None:
    for n in notifications:
        attempts = n.email_attempts + 1
        db.session.execute(update(Notification).where(Notification.id == n.id).values(
            email_attempts=attempts, email_status=EmailStatus.FAILED if attempts >= MAX_ATTEMPTS else EmailStatus.PENDING)
            .execution_options(synchronize_session=False))
    db.session.commit()


# --- the run ---------------------------------------------------------------------------------------------------


def send_due(*, dry_run: bool = False, today: date | None = None) -> dict:
    """Find what is due, record what is new, send the e-mails: what `crmproject notify send` and its job do.
    Dry: counts what would be new and sends and records nothing."""
    from crmproject.notifications.collect import collect_all
    from crmproject.notifications.mail import link_context, smtp_configured

    smtp = smtp_configured()
    with link_context():
        events = collect_all(today=today)
        if dry_run:
            outcome = _dry(events, smtp=smtp)
            db.session.rollback()
            return outcome.as_dict(dry_run=True, smtp=smtp)
        db.session.commit()
        outcome = record(events, smtp=smtp)
        if smtp:
            send_emails(outcome)
    return outcome.as_dict(dry_run=False, smtp=smtp)


def _dry(events: Sequence[Event], *, smtp: bool) -> Outcome:
    outcome = Outcome(found=len(events))
    done = _already(events)
    chosen = _channels(e.user.id for e in events)
    emails: set[tuple[int, Kind]] = set()
    for event in events:
        if (event.user.id, event.kind.value, event.key) in done:
            continue
        done.add((event.user.id, event.kind.value, event.key))
        channel = chosen.get((event.user.id, event.kind), DEFAULTS[event.kind])
        outcome.by_kind[event.kind.value] += 1
        outcome.in_app += channel.wants_app or (channel.wants_email and not smtp)
        outcome.recorded.append(Notification(user_id=event.user.id, kind=event.kind, event_key=event.key))
        if channel.wants_email and smtp:
            emails.add((event.user.id, event.kind))
            outcome.notifications_emailed += 1
    outcome.emails_sent = len(emails)
    return outcome


def notify_mentions(mention_ids: Sequence[int]) -> list[Notification]:
    """Tell the people just mentioned in a comment, at once (in the application; the e-mail, when they want one,
    goes with the next `notify send`). Commits."""
    from flask import has_request_context

    from crmproject.notifications.collect import Collected, mentions
    from crmproject.notifications.mail import link_context, smtp_configured

    found = Collected()
    if has_request_context():
        mentions(found, mention_ids=mention_ids)
    else:  # a comment posted from the command line or a job: links are made at the base address
        with link_context():
            mentions(found, mention_ids=mention_ids)
    return record(found.events, smtp=smtp_configured()).recorded


@orm_event.listens_for(Comment, "after_delete")
def _forget_a_deleted_comments_mentions(mapper, connection, comment: Comment) -> None:
    """A comment deleted takes its mentions' notifications with it: they would lead to nothing, and a later comment
    given the same id (SQLite may reuse the highest) is a new event for the people it names."""
    connection.execute(delete(Notification).where(Notification.kind == Kind.MENTION,
                                                  Notification.event_key.startswith(f"mention:{comment.id}:")))


# The notifications about one object, by the table its id is in: the kinds that tell of it, and the first part of
# their event keys ("task:12:overdue:2026-12-01", "gate:3:2026-12-20"), which the object's id follows.
_ABOUT_AN_OBJECT: dict[str, tuple[str, tuple[Kind, ...]]] = {
    "change_tasks": ("task", (Kind.TASK_ASSIGNED, Kind.TASK_DUE_SOON, Kind.TASK_OVERDUE, Kind.TASK_BLOCKED)),
    "phase_gates": ("gate", (Kind.GATE_UPCOMING,)),
}


@orm_event.listens_for(Session, "before_flush")
def _forget_what_was_told_of_a_deleted_object(session: Session, flush_context, instances) -> None:
    """A task or gate deleted, or going with its phase, wave or department, takes its notifications with it: they
    would open a page that is gone, and a later task or gate given the same id (SQLite may reuse the highest) is a
    new event for the people it concerns, not one already told."""
    deleted = deleted_in(session)
    if not deleted:
        return
    with session.no_autoflush:
        for table, ids in going_with(session, deleted, _ABOUT_AN_OBJECT).items():
            prefix, kinds = _ABOUT_AN_OBJECT[table]
            gone = {str(object_id) for object_id in ids}
            told = session.execute(select(Notification.id, Notification.event_key).where(
                Notification.kind.in_(kinds), Notification.event_key.startswith(f"{prefix}:")))
            doomed = [notification_id for notification_id, key in told if key.split(":")[1] in gone]
            for chunk in in_chunks(doomed):
                session.execute(delete(Notification).where(Notification.id.in_(chunk)))


# --- in the application ----------------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """The header's badge: one indexed count."""
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.in_app.is_(True), Notification.read_at.is_(None))) or 0


def page_of(user: User, *, page: int = 1, per_page: int = PER_PAGE) -> tuple[list[Notification], int]:
    """A user's notifications in the application, newest first, and how many there are."""
    where = (Notification.user_id == user.id, Notification.in_app.is_(True))
    total = db.session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    rows = db.session.scalars(select(Notification).where(*where)
                              .order_by(Notification.created_at.desc(), Notification.id.desc())
                              .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def own_notification(user: User, notification_id: int) -> Notification | None:
    """One of the user's own notifications (None for anybody else's: never told apart from a missing one)."""
    found = db.session.get(Notification, notification_id)
    return found if found is not None and found.user_id == user.id and found.in_app else None


def mark_read(notification: Notification) -> None:
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.flush()


def mark_all_read(user: User) -> int:
    result = db.session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.in_app.is_(True), Notification.read_at.is_(None))
        .values(read_at=utcnow()).execution_options(synchronize_session=False))
    return rows_matched(result)
