"""Comments: post, edit, delete, the @mentions in them, and each object's thread.

A person is mentioned by `@` and their e-mail address (`@anna.lee@example.com`): unambiguous whatever the script
of their name (Cyrillic, Chinese, Persian) and typed without any help from the page. The body is kept as typed;
it is shown escaped, each mention as the person's name, line breaks kept. Only people who may see the object
can be mentioned: naming anyone else is refused at the field, never dropped silently.

The signal `comment_posted` (crmproject.comments.signals) is sent after the comment's transaction committed,
once per save, with the users that save newly mentioned; a rollback sends nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, selectinload

from crmproject.auth.models import User
from crmproject.auth.services import normalise_email
from crmproject.cascades import deleted_in, going_with, in_chunks
from crmproject.comments import targets
from crmproject.comments.models import Comment, CommentMention
from crmproject.comments.signals import comment_posted
from crmproject.db import utcnow
from crmproject.errors import ValidationFailed
from crmproject.extensions import db
from crmproject.i18n import _, format_number

MAX_BODY = 5_000  # characters of one comment
MAX_MENTIONS = 20  # people named in one comment
# `@` and an address, where a word may start (not inside one: "write to sales@vendor.example" is no mention)
_MENTION = re.compile(r"(?<![^\s(\[{«“\"'])@([^\s@]+@[^\s@]+)")
_TRAILING = ".,;:!?)]}»”\"'،؛؟…"


@dataclass(frozen=True)
class Mention:
    start: int  # of the "@" in the body
    end: int
    email: str  # as typed


def find_mentions(body: str) -> list[Mention]:
    """The @address mentions of a text, in order (trailing punctuation is not part of an address)."""
    found = []
    for match in _MENTION.finditer(body or ""):
        address = match.group(1).rstrip(_TRAILING)
        if "@" not in address or address.endswith("@"):
            continue
        found.append(Mention(match.start(), match.start() + 1 + len(address), address))
    return found


# --- the thread of one object ------------------------------------------------------------------------------


def comments_on(target_type: str, target_id: int, *, plan_id: int | None = None) -> list[Comment]:
    """An object's comments, oldest first (a conversation), with their authors and mentioned people; only those
    filed under `plan_id` when it is given (the object's plan)."""
    query = select(Comment).where(Comment.target_type == target_type, Comment.target_id == target_id)
    if plan_id is not None:
        query = query.where(Comment.plan_id == plan_id)
    return list(db.session.scalars(
        query
        .options(selectinload(Comment.author), selectinload(Comment.mentions).selectinload(CommentMention.user))
        .order_by(Comment.created_at, Comment.id)))


def mentionable(target: targets.Target, obj) -> list[User]:
    """The active people who may see the object, so may be mentioned on it, by name."""
    from crmproject.auth.services import list_active_users

    return [user for user in list_active_users() if target.can_see(user, obj)]


def people(users: list[User]) -> list[dict[str, str]]:
    """People as the page's mention suggestions read them (static/js/mentions.js)."""
    return [{"name": user.name, "email": user.email} for user in users]


def plain_body(comment: Comment) -> str:
    """The body as plain text, each mention of a person named in it as @ and their name (as the page shows it):
    for a notification's excerpt."""
    people = {normalise_email(m.user.email): m.user for m in comment.mentions if m.user is not None}
    body, parts, last = comment.body, [], 0
    for mention in find_mentions(body):
        user = people.get(normalise_email(mention.email))
        if user is not None:
            parts += [body[last:mention.start], f"@{user.name}"]
            last = mention.end
    parts.append(body[last:])
    return "".join(parts)


def render_body(comment: Comment) -> Markup:
    """The body as HTML: escaped, each mention of a person named in it shown as their name (the address as its
    title); line breaks are kept by the page's style (white-space: pre-line)."""
    people = {normalise_email(m.user.email): m.user for m in comment.mentions if m.user is not None}
    body, parts, last = comment.body, [], 0
    for mention in find_mentions(body):
        user = people.get(normalise_email(mention.email))
        if user is None:
            continue  # an address changed since: shown as typed
        parts += [escape(body[last:mention.start]),
                  Markup('<bdi class="mention" title="%s">@%s</bdi>') % (user.email, user.name)]
        last = mention.end
    parts.append(escape(body[last:]))
    return Markup("").join(parts)


# --- writing -------------------------------------------------------------------------------------------------


def _checked_body(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed({"body": _("Write the comment first.")})
    if len(text) > MAX_BODY:
        raise ValidationFailed({"body": _("A comment cannot be longer than %(max)s characters.",
                                          max=format_number(MAX_BODY))})
    return text


def _mentioned_users(body: str, target: targets.Target, obj) -> list[User]:
    """The people the body mentions, each once, checked: an unknown address, a deactivated account or a person
    who may not see the object is refused with a message naming them."""
    emails: list[str] = []
    for mention in find_mentions(body):
        email = normalise_email(mention.email)
        if email not in emails:
            emails.append(email)
    if not emails:
        return []
    if len(emails) > MAX_MENTIONS:
        raise ValidationFailed({"body": _("A comment can mention at most %(max)s people.", max=MAX_MENTIONS)})
    found = {normalise_email(u.email): u for u in db.session.scalars(
        select(User).where(func.lower(User.email).in_(emails)))}
    problems = []
    users = []
    for email in emails:
        user = found.get(email)
        if user is None:
            problems.append(_("Nobody has the e-mail address %(email)s: check the mention @%(email)s.", email=email))
        elif not user.active:
            problems.append(_("%(name)s (%(email)s) can no longer log in, so cannot be mentioned.", name=user.name,
                              email=email))
        elif not target.can_see(user, obj):
            problems.append(_("%(name)s (%(email)s) may not see what this comment is about, so cannot be mentioned "
                              "in it.", name=user.name, email=email))
        else:
            users.append(user)
    if problems:
        raise ValidationFailed({"body": problems})
    return users


def post_comment(target: targets.Target, obj, *, author: User | None, body: str) -> Comment:
    """A new comment on `obj` (of the registered kind `target`), with its mentions; flushed. The author's right to
    comment is the caller's to check (crmproject.auth.permissions)."""
    text = _checked_body(body)
    users = _mentioned_users(text, target, obj)
    comment = Comment(plan_id=target.plan_id(obj), target_type=target.type, target_id=obj.id, author=author, body=text,
                      created_at=utcnow())
    comment.mentions = [CommentMention(user=user) for user in users]
    db.session.add(comment)
    db.session.flush()
    _announce_after_commit(comment, users)
    return comment


def edit_comment(comment: Comment, *, body: str) -> Comment:
    """Change a comment's text; people it now mentions for the first time are announced, people no longer
    mentioned are taken off it."""
    target = _target_of(comment)
    obj = target.load(comment.target_id)
    text = _checked_body(body)
    users = _mentioned_users(text, target, obj)
    if text == comment.body:
        return comment
    before = {m.user_id for m in comment.mentions}
    wanted = {u.id for u in users}
    comment.mentions = [m for m in comment.mentions if m.user_id in wanted] + [
        CommentMention(user=u) for u in users if u.id not in before]
    comment.body = text
    comment.edited_at = utcnow()
    db.session.flush()
    added = [u for u in users if u.id not in before]
    if added:
        _announce_after_commit(comment, added)
    return comment


def delete_comment(comment: Comment) -> None:
    db.session.delete(comment)
    db.session.flush()


def _target_of(comment: Comment) -> targets.Target:
    target = targets.get(comment.target_type)
    if target is None:
        raise ValidationFailed(_("Comments on this kind of object are no longer kept."))
    return target


def target_object(comment: Comment):
    """The object a comment is on, or None when it is gone (or its kind no longer takes comments)."""
    target = targets.get(comment.target_type)
    return target.load(comment.target_id) if target is not None else None


# --- the signal, after the commit --------------------------------------------------------------------------
# Kept on the session: pending until its transaction commits, then sent once the transaction has ended (the
# receivers may then read and write in a transaction of their own); a rollback forgets them.

_PENDING = "crmproject.comments.pending"
_COMMITTED = "crmproject.comments.committed"


def _announce_after_commit(comment: Comment, users: list[User]) -> None:
    db.session().info.setdefault(_PENDING, []).append((comment, list(users)))


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction may still roll back
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _send(session: Session, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint: the outer transaction decides
    session.info.pop(_PENDING, None)  # not committed: rolled back or closed
    ready = session.info.pop(_COMMITTED, None)
    for comment, users in ready or ():
        comment_posted.send(comment, mentioned=users)


@event.listens_for(Session, "before_flush")
def _delete_with_their_object(session: Session, flush_context, instances) -> None:
    """An object deleted takes its comments with it (they have no foreign key to it: any kind may take them),
    and so do the objects the database deletes with it (a department's status reports and KPIs, a phase's gates
    and their decisions: foreign keys ON DELETE CASCADE), found before the flush while they are still there."""
    deleted = deleted_in(session)
    if not deleted:
        return
    with session.no_autoflush:
        commentable = [t.type for t in targets.all_targets()]
        for target_type, ids in going_with(session, deleted, commentable).items():
            for chunk in in_chunks(ids):
                for comment in session.scalars(select(Comment).where(
                        Comment.target_type == target_type, Comment.target_id.in_(chunk))):
                    session.delete(comment)

