"""The kinds of object people may comment on, registered by the features that own them.

The comments package sits below tasks, status reports, KPIs and gates: it never imports them. Each of those
features registers its kind here when its views are loaded (crmproject.app imports every views module):

    targets.register(targets.Target(
        type="change_tasks", kind=_l("Change task"), load=lambda id: db.session.get(ChangeTask, id),
        plan_id=lambda task: task.plan_id, url=lambda task: url_for("tasks.show", ...), label=lambda task: task.title,
        can_see=can_view_task, can_comment=can_comment_on_task))

`type` is the audit trail's name for the object (its table), as stored in Comment.target_type. The rules come
from crmproject.auth.permissions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect


@dataclass(frozen=True)
class Target:
    """One kind of object that takes comments."""

    type: str  # its table: Comment.target_type
    kind: Any  # what people call it ("Change task"), a lazy translation
    load: Callable[[int], Any]  # the object by id, or None
    plan_id: Callable[[Any], int]
    url: Callable[[Any], str]  # its page (a gate decision: the gate's page, at the decision)
    label: Callable[[Any], str]  # its name for people
    can_see: Callable[[Any, Any], bool]  # (user, object): may read it and its comments
    can_comment: Callable[[Any, Any], bool]  # (user, object): may write a comment on it
    load_many: Callable[[Iterable[int]], dict[int, Any]] | None = None  # by ids at once, for the activity feed


_targets: dict[str, Target] = {}


def register(target: Target) -> None:
    """Make a kind of object commentable (called once per kind; registering it again replaces it)."""
    _targets[target.type] = target


def get(target_type: str | None) -> Target | None:
    return _targets.get(target_type or "")


def all_targets() -> list[Target]:
    return list(_targets.values())


def type_of(obj) -> str | None:
    """The registered type of an object (its table), or None for an object that takes no comments."""
    state = inspect(obj, raiseerr=False)
    table = getattr(getattr(state, "mapper", None), "local_table", None)
    name = getattr(table, "name", None)
    return name if name in _targets else None


def load_many(target_type: str, ids: Iterable[int]) -> dict[int, Any]:
    """Objects of one type by id (missing ones left out)."""
    target = _targets.get(target_type)
    if target is None:
        return {}
    wanted = sorted(set(ids))
    if target.load_many is not None:
        return target.load_many(wanted)
    return {found_id: obj for found_id in wanted if (obj := target.load(found_id)) is not None}
