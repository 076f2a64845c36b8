"""A plan's activity feed: who did what in the plan, newest first, read from the audit trail (every change of an
object of the plan, comments included), each entry shown only to a reader who may see its object.

The audit trail files each entry under its plan (audit_entries.plan_id, set by crmproject.audit.capture), so the
feed is one indexed query; what a reader may see is decided per entry (crmproject.auth.permissions
.can_see_in_activity and each commentable kind's rule), so the pages are read onward from a cursor (the last
entry shown) rather than numbered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, UTC
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from crmproject.audit import capture
from crmproject.audit.models import CHANGES, AuditAction, AuditEntry
from crmproject.audit.services import EntryShown, last_deleted, show, type_label
from crmproject.auth.permissions import RESTRICTED_TABLES, can_see_in_activity
from crmproject.comments import targets
from crmproject.comments.models import Comment, CommentMention
from crmproject.comments.services import render_body
from crmproject.db import Base, mapped_table
from crmproject.extensions import db
from crmproject.i18n import _, isolate, ngettext

PER_PAGE = 30
BATCH = 200  # entries read at once while looking for a page of visible ones
MAX_BATCHES = 10  # then the page ends early, with a link onward from where the reading stopped
COMMENTS = "comments"
# Recorded values enough to apply a rule to an object that is gone (a deleted task's department and owner)
FACTS = ("department_id", "owner_id", "status")


@dataclass
class ActivityFilter:
    user_id: int | None = None
    object_type: str | None = None  # a kind of object (its table), "comments" for the comments


@dataclass(frozen=True)
class Cursor:
    """Where a page of the feed ends: the last entry it showed (or read)."""

    at: datetime
    id: int

    def token(self) -> str:
        """Digits and a hyphen (nothing an address would change): the moment in UTC, then the entry's id."""
        return f"{self.at.astimezone(UTC):%Y%m%d%H%M%S%f}-{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        stamp, _sep, number = (text or "").partition("-")
        if len(stamp) != 20 or not (stamp + number).isascii() or not (stamp + number).isdigit() or len(number) > 18:
            return None
        try:
            at = datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(at, int(number))


@dataclass
class ActivityItem:
    entry: AuditEntry
    shown: EntryShown
    sentence: Markup
    comment_html: Markup | None = None  # a comment's text as it is now (for the entry that posted it)
    comment_edited: bool = False
    changes: bool = True  # whether the entry's field changes are worth listing


@dataclass
class ActivityPage:
    items: list[ActivityItem] = field(default_factory=list)
    next: Cursor | None = None  # older entries may follow from here


def activity(plan_id: int, viewer, flt: ActivityFilter, *, after: Cursor | None = None,
             per_page: int = PER_PAGE) -> ActivityPage:
    """A page of the plan's activity the viewer may see, newest first, older than `after`."""
    conditions: list[Any] = [AuditEntry.plan_id == plan_id, AuditEntry.action.in_(CHANGES),
                             AuditEntry.object_type.is_not(None)]
    if flt.user_id is not None:
        conditions.append(AuditEntry.user_id == flt.user_id)
    if flt.object_type:
        conditions.append(AuditEntry.object_type == flt.object_type)
    visible: list[AuditEntry] = []
    cursor = after
    complete = False
    for _batch in range(MAX_BATCHES):
        query = select(AuditEntry).where(*conditions).options(selectinload(AuditEntry.user))
        if cursor is not None:
            query = query.where(or_(AuditEntry.at < cursor.at, and_(AuditEntry.at == cursor.at, AuditEntry.id < cursor.id)))
        rows = list(db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(BATCH)))
        if not rows:
            complete = True
            break
        seen = _Visibility(viewer, rows)
        for entry in rows:
            if seen.visible(entry):
                visible.append(entry)
                if len(visible) == per_page:
                    break
        if len(visible) == per_page:
            cursor = Cursor(visible[-1].at, visible[-1].id)
            break
        cursor = Cursor(rows[-1].at, rows[-1].id)
        if len(rows) < BATCH:
            complete = True
            break
    items = _items(visible, viewer)
    return ActivityPage(items=items, next=None if complete else cursor)


def kinds(plan_id: int) -> list[tuple[str, str]]:
    """The kinds of object the plan's activity has entries about, as (key, name) by name: the filter's choices."""
    found = db.session.scalars(select(AuditEntry.object_type).where(
        AuditEntry.plan_id == plan_id, AuditEntry.object_type.is_not(None)).distinct())
    pairs = [(key, _("Comment") if key == COMMENTS else type_label(key)) for key in found if key]
    return sorted(pairs, key=lambda pair: pair[1].casefold())


# --- who may see what --------------------------------------------------------------------------------------


def _mapper(table: str):
    return next((m for m in Base.registry.mappers if mapped_table(m).name == table), None)


def _load(table: str, ids: set[int]) -> dict[int, Any]:
    mapper = _mapper(table)
    model = capture.audited_model(mapper) if mapper is not None else None
    if mapper is None or model is None or model.id_key is None or not ids:
        return {}
    key = mapper.column_attrs[model.id_key].columns[0]
    return {getattr(obj, model.id_key): obj for obj in db.session.scalars(select(mapper).where(key.in_(sorted(ids))))}


def _recorded(entry: AuditEntry) -> SimpleNamespace | None:
    """What the entry recorded of a gone object's facts (its department, owner, status), or None."""
    values: dict[str, Any] = {}
    for name in FACTS:
        change = (entry.changes or {}).get(name) or {}
        value = change.get("before", change.get("after"))
        if value is not None:
            values[name] = SimpleNamespace(value=value) if name == "status" else value
    if "department_id" not in values:
        return None
    values.setdefault("owner_id", None)
    return SimpleNamespace(**values)


def _comment_target(entry: AuditEntry, comment: Comment | None) -> tuple[str | None, int | None]:
    if comment is not None:
        return comment.target_type, comment.target_id
    changes = entry.changes or {}
    kind = changes.get("target_type") or {}
    number = changes.get("target_id") or {}
    target_type = kind.get("before", kind.get("after"))
    target_id = number.get("before", number.get("after"))
    return (target_type if isinstance(target_type, str) else None,
            target_id if isinstance(target_id, int) and not isinstance(target_id, bool) else None)


class _Visibility:
    """Decides, for the entries of one batch, which the viewer may see, loading the objects their rules need once
    per kind."""

    def __init__(self, viewer, entries: list[AuditEntry]):
        self.viewer = viewer
        self.gone = _about_gone_objects(entries)
        wanted: dict[str, set[int]] = {}
        comment_ids = {e.object_id for e in entries if e.object_type == COMMENTS and e.object_id is not None}
        self.comments = _load(COMMENTS, comment_ids) if comment_ids else {}
        for entry in entries:
            for table, object_id in ((entry.object_type, entry.object_id), (entry.parent_type, entry.parent_id)):
                if table in RESTRICTED_TABLES and object_id is not None:
                    wanted.setdefault(table, set()).add(object_id)
        self.objects = {table: _load(table, ids) for table, ids in wanted.items()}
        self.targets: dict[str, dict[int, Any]] = {}
        by_type: dict[str, set[int]] = {}
        for entry in entries:
            if entry.object_type == COMMENTS:
                target_type, target_id = _comment_target(entry, self._comment(entry))
                if target_type and target_id is not None:
                    by_type.setdefault(target_type, set()).add(target_id)
        self.targets = {t: targets.load_many(t, ids) for t, ids in by_type.items()}

    def _comment(self, entry: AuditEntry) -> Comment | None:
        return None if entry.id in self.gone else self.comments.get(entry.object_id or 0)

    def _object_rule(self, table: str | None, object_id: int | None, entry: AuditEntry | None) -> bool:
        if table not in RESTRICTED_TABLES:
            return can_see_in_activity(self.viewer, table, None)
        obj = self.objects.get(table, {}).get(object_id) if object_id is not None else None
        if entry is not None and entry.id in self.gone and table == entry.object_type:
            obj = None  # the row with this id now is another object
        if obj is None and entry is not None:
            obj = _recorded(entry)
        return can_see_in_activity(self.viewer, table, obj)

    def visible(self, entry: AuditEntry) -> bool:
        if entry.object_type == COMMENTS:
            target_type, target_id = _comment_target(entry, self._comment(entry))
            target = targets.get(target_type)
            obj = self.targets.get(target_type or "", {}).get(target_id) if target_id is not None else None
            if target is not None and obj is not None:
                return bool(target.can_see(self.viewer, obj))
            # its object is gone: shown only to those who see every object of every kind
            return all(can_see_in_activity(self.viewer, t, None) for t in RESTRICTED_TABLES)
        if not self._object_rule(entry.object_type, entry.object_id, entry):
            return False
        return entry.parent_type is None or self._object_rule(entry.parent_type, entry.parent_id, None)


# --- as sentences ------------------------------------------------------------------------------------------

_SENTENCES = {
    AuditAction.CREATE: lambda: _("%(who)s added %(name)s (%(kind)s)"),
    AuditAction.UPDATE: lambda: _("%(who)s changed %(name)s (%(kind)s)"),
    AuditAction.DELETE: lambda: _("%(who)s deleted %(name)s (%(kind)s)"),
}
_COMMENT_SENTENCES = {
    AuditAction.CREATE: lambda: _("%(who)s commented on %(name)s (%(kind)s)"),
    AuditAction.UPDATE: lambda: _("%(who)s edited a comment on %(name)s (%(kind)s)"),
    AuditAction.DELETE: lambda: _("%(who)s deleted a comment on %(name)s (%(kind)s)"),
}


def _sentence(template: str, **values) -> Markup:
    """A translated sentence whose values are escaped (or already HTML: a link), each kept in its own direction
    on a right-to-left page."""
    return escape(template) % {k: isolate(v) for k, v in values.items()}


def _link(label: str, url: str | None) -> Markup:
    quoted = escape(_("“%(name)s”", name=label))  # each language's quotation marks: «…» in Russian and Persian
    return Markup('<a href="%s">%s</a>') % (url, quoted) if url else quoted


def _labels(entries: list[AuditEntry]) -> dict[tuple[str, int], str]:
    """The names, now, of the parents the entries name (a KPI value's KPI)."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.parent_type and entry.parent_id is not None:
            wanted.setdefault(entry.parent_type, set()).add(entry.parent_id)
    found = {}
    for table, ids in wanted.items():
        mapper = _mapper(table)
        model = capture.audited_model(mapper) if mapper is not None else None
        target = targets.get(table)
        for object_id, obj in _load(table, ids).items():
            if target is not None:
                found[(table, object_id)] = target.label(obj)
            elif model is not None and model.label is not None:
                found[(table, object_id)] = str(getattr(obj, model.label))
    return found


def _url(table: str | None, object_id: int | None, loaded: dict) -> str | None:
    target = targets.get(table)
    obj = loaded.get((table, object_id))
    return target.url(obj) if target is not None and obj is not None else None


def _about_gone_objects(entries: list[AuditEntry]) -> set[int]:
    """The entries about an object deleted since (their own deletion included): the row that holds its id now, if
    any, is another object (SQLite may give a new row the id of the last one deleted)."""
    deleted = last_deleted({(e.object_type, e.object_id) for e in entries
                            if e.object_type is not None and e.object_id is not None})
    return {e.id for e in entries if e.id <= deleted.get((e.object_type or "", e.object_id or 0), 0)}


def _items(entries: list[AuditEntry], viewer) -> list[ActivityItem]:
    shown = show(entries, viewer)
    parents = _labels(entries)
    gone = _about_gone_objects(entries)
    # the commentable objects the entries are about (for their links and names), and the comments
    wanted: dict[str, set[int]] = {}
    comment_ids = {e.object_id for e in entries if e.object_type == COMMENTS and e.object_id is not None}
    comments = {c.id: c for c in db.session.scalars(select(Comment).where(Comment.id.in_(comment_ids)).options(
        selectinload(Comment.mentions).selectinload(CommentMention.user)))} if comment_ids else {}

    def comment_of(entry: AuditEntry) -> Comment | None:
        return None if entry.id in gone else comments.get(entry.object_id or 0)

    for entry in entries:
        if entry.object_type == COMMENTS:
            target_type, target_id = _comment_target(entry, comment_of(entry))
        else:
            target_type, target_id = entry.object_type, entry.object_id
            if targets.get(target_type) is None:
                target_type, target_id = entry.parent_type, entry.parent_id
        if targets.get(target_type) is not None and target_id is not None:
            wanted.setdefault(target_type or "", set()).add(target_id)
    loaded = {(t, object_id): obj for t, ids in wanted.items() for object_id, obj in targets.load_many(t, ids).items()}
    items = []
    for entry, one in zip(entries, shown, strict=True):
        who = one.who
        if entry.object_type == COMMENTS:
            comment = comment_of(entry)
            target_type, target_id = _comment_target(entry, comment)
            target = targets.get(target_type)
            obj = loaded.get((target_type or "", target_id or 0))
            name = target.label(obj) if target is not None and obj is not None else f"#{target_id or ''}"
            url = (target.url(obj).partition("#")[0] + f"#comment-{comment.id}" if comment is not None else target.url(obj)) \
                if target is not None and obj is not None else None
            template = _COMMENT_SENTENCES.get(entry.action, _COMMENT_SENTENCES[AuditAction.UPDATE])()
            items.append(ActivityItem(
                entry=entry, shown=one, changes=False,
                sentence=_sentence(template, who=who, name=_link(name, url), kind=type_label(target_type)),
                comment_html=render_body(comment) if comment is not None and entry.action == AuditAction.CREATE else None,
                comment_edited=comment is not None and comment.edited_at is not None))
            continue
        items.append(_change_item(entry, one, loaded=loaded, parents=parents, gone=gone))
    return items


def _change_item(entry: AuditEntry, one: EntryShown, *, loaded: dict, parents: dict, gone: set) -> ActivityItem:
    """A change to an object, told as a sentence: who did what to which object (by its name now, with its page
    while it is there), and the object it belongs to."""
    who = one.who
    in_parent = bool(entry.parent_type and entry.parent_id is not None and entry.parent_type != "plans")
    label = one.label_in_parent if in_parent else one.label  # the sentence names the parent after it
    name = label or (f"#{entry.object_id}" if entry.object_id is not None else "")
    url = None
    target, obj = targets.get(entry.object_type), loaded.get((entry.object_type or "", entry.object_id or 0))
    if target is not None and obj is not None and entry.id not in gone:
        name, url = target.label(obj), target.url(obj)  # as it is called now, with its page
    if entry.action == AuditAction.BULK_INSERT:
        rows = (entry.details or {}).get("rows", 0)
        sentence = escape(ngettext("%(who)s added %(n)s row (%(kind)s)", "%(who)s added %(n)s rows (%(kind)s)",
                                   rows if isinstance(rows, int) else 0, who=who, kind=one.what))
    else:
        sentence = _sentence(_SENTENCES.get(entry.action, _SENTENCES[AuditAction.UPDATE])(), who=who,
                             name=_link(name, url), kind=one.what)
    if in_parent:
        parent = parents.get((entry.parent_type or "", entry.parent_id or 0), f"#{entry.parent_id}")
        sentence += Markup(" ") + _sentence(_("in %(name)s (%(kind)s)"), kind=type_label(entry.parent_type),
                                            name=_link(parent, _url(entry.parent_type, entry.parent_id, loaded)))
    return ActivityItem(entry=entry, shown=one, sentence=sentence, changes=entry.action == AuditAction.UPDATE)
