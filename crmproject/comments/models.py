"""A comment on one object (a task, a status report, a KPI or a gate decision) and the people it mentions.

The object is named by its type and id (`target_type`, `target_id`), as the audit trail names objects, so that
the comments package sits below the features it serves: a feature registers its type (crmproject.comments.targets)
and never the other way round. `plan_id` is kept with the comment so a plan's activity feed finds its comments
without knowing every type."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crmproject.auth.models import User
from crmproject.db import Base, UTCDateTime, utcnow

# The types a comment may be on; each is the audit trail's name for the object (its table).
TARGET_TYPES = ("change_tasks", "status_reports", "kpis", "gate_decisions")


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        Index("ix_comments_target", "target_type", "target_id", "created_at"),
        Index("ix_comments_plan_created", "plan_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    mentions: Mapped[list[CommentMention]] = relationship(back_populates="comment", cascade="all, delete-orphan",
                                                         passive_deletes=True)

    def __repr__(self) -> str:
        return f"<Comment {self.id} on {self.target_type}:{self.target_id}>"


class CommentMention(Base):
    """One person named in a comment with @; the notifications read these (kind "mention")."""

    __tablename__ = "comment_mentions"
    __table_args__ = (UniqueConstraint("comment_id", "user_id", name="uq_comment_mentions_comment_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    comment: Mapped[Comment] = relationship(back_populates="mentions")
    user: Mapped[User] = relationship()
