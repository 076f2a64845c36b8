"""Reading a task plan's status and priority words, including words no list foresaw.

A status is taken, in order: from the user's own mapping (preview or
--status-map), from the known words of each status, from a percentage, and
last by meaning: the words of the cell are scored against keywords of each
status in English, Russian, Chinese and Persian ("Ready for Final Review" has
"review": in progress). Only a word that shares no keyword with any status is
refused, and the user can still map it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from crmproject.spreadsheets import CellError, CellValue, parse_percent
from crmproject.spreadsheets.values import display

from .import_words import words
from .models import TaskPriority, TaskStatus

STATUS_WORDS = {
    TaskStatus.NOT_STARTED: ("not started", "to do", "todo", "open", "new", "planned", "not yet started", "pending",
                             "не начата", "не начато", "запланировано", "新建", "未开始", "待办", "شروع نشده", "برنامه ریزی شده"),
    TaskStatus.IN_PROGRESS: ("in progress", "started", "ongoing", "doing", "wip", "active", "underway", "on track",
                             "at risk", "в работе", "в процессе", "выполняется", "进行中", "处理中", "در حال انجام"),
    TaskStatus.BLOCKED: ("blocked", "on hold", "waiting", "stuck", "delayed", "заблокировано", "приостановлено",
                         "受阻", "暂停", "阻塞", "متوقف", "مسدود"),
    TaskStatus.DONE: ("done", "complete", "completed", "finished", "closed", "resolved", "approved", "выполнено",
                      "завершено", "готово", "已完成", "完成", "انجام شده", "تکمیل شده"),
    TaskStatus.CANCELLED: ("cancelled", "canceled", "dropped", "abandoned", "n/a", "отменено", "已取消", "取消", "لغو شده"),
}
# Words that lean towards a status when no phrase above matches (weights: how sure the word makes us).
STATUS_KEYWORDS: dict[TaskStatus, dict[str, int]] = {
    TaskStatus.NOT_STARTED: {w: 2 for w in (
        "not", "yet", "todo", "backlog", "queued", "queue", "scheduled", "upcoming", "proposed", "idea", "draft",
        "planned", "plan", "pending", "future", "unassigned", "новая", "новый", "план", "ожидает", "待", "未", "计划",
        "جدید", "آینده")},
    TaskStatus.IN_PROGRESS: {w: 2 for w in (
        "progress", "working", "review", "reviewing", "ready", "testing", "test", "qa", "validation", "feedback",
        "revision", "revise", "rework", "change", "needed", "need", "draft", "drafting", "development", "building",
        "started", "ongoing", "risk", "track", "partially", "partial", "half", "approval", "submitted", "sent",
        "проверка", "проверке", "согласование", "согласовании", "работе", "доработка", "тестирование", "审核", "审批",
        "测试", "进行", "修改", "بررسی", "اصلاح", "تایید", "انجام")},
    TaskStatus.BLOCKED: {w: 2 for w in (
        "blocked", "block", "hold", "waiting", "wait", "stuck", "delayed", "delay", "late", "overdue", "issue",
        "problem", "escalated", "impediment", "paused", "suspended", "behind", "задержка", "ожидание", "проблема",
        "просрочено", "延迟", "逾期", "问题", "等待", "تاخیر", "معطل", "مشکل")},
    TaskStatus.DONE: {w: 3 for w in (
        "done", "complete", "completed", "finished", "closed", "resolved", "approved", "delivered", "published",
        "live", "released", "signed", "accepted", "final", "готово", "выполнена", "закрыта", "сдано", "完成", "关闭",
        "交付", "تکمیل", "بسته", "تحویل")},
    TaskStatus.CANCELLED: {w: 3 for w in (
        "cancelled", "canceled", "cancel", "dropped", "abandoned", "rejected", "obsolete", "removed", "descoped",
        "withdrawn", "отменена", "отклонено", "拒绝", "作废", "لغو", "رد")},
}
# A word naming the next step ("ready for final review") says the work is not done yet.
_NOT_YET = frozenset({"ready", "for", "awaiting", "need", "needed", "pending", "to"})

PRIORITY_WORDS = {
    TaskPriority.LOW: ("low", "4", "p4", "minor", "низкий", "低", "کم", "پایین"),
    TaskPriority.MEDIUM: ("medium", "normal", "3", "p3", "moderate", "med", "средний", "中", "متوسط"),
    TaskPriority.HIGH: ("high", "2", "p2", "major", "important", "высокий", "高", "زیاد", "بالا"),
    TaskPriority.CRITICAL: ("critical", "1", "p1", "urgent", "blocker", "highest", "критический", "срочно", "紧急",
                            "فوری", "بحرانی"),
}


def status_key(value: CellValue) -> str:
    """A status cell as compared: words only, so "Change is Needed " and "change is needed" are one."""
    return " ".join(words(display(value))) or display(value).strip().casefold()


@cache
def _phrases(table: str) -> dict[str, TaskStatus | TaskPriority]:
    source: dict = STATUS_WORDS if table == "status" else PRIORITY_WORDS
    return {" ".join(words(p)) or p: member for member, phrases in source.items() for p in phrases}


def _phrase(table: str, key: str):
    return _phrases(table).get(key)


def status_choice(text: str) -> TaskStatus | None:
    """A status named by its value or label, as typed in --status-map ("in_progress", "In progress")."""
    key = " ".join(words(text))
    return next((s for s in TaskStatus if key in (" ".join(words(s.value)), " ".join(words(str(s.label))))), None)


def known_status(value: CellValue) -> TaskStatus | None:
    """The status a known word or a percentage names, None for any other word."""
    found = _phrase("status", status_key(value))
    if found is not None:
        return found
    try:
        percent = parse_percent(value)
    except CellError:
        return None
    if percent is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        percent = Decimal(str(value)) * 100  # a cell formatted as % holds the fraction
    if percent <= 0:
        return TaskStatus.NOT_STARTED
    return TaskStatus.DONE if percent >= 100 else TaskStatus.IN_PROGRESS


def status_by_meaning(value: CellValue) -> TaskStatus | None:
    """The status whose keywords the word shares most; None when it shares none."""
    said = words(display(value))
    joined = "".join(said)
    scores: dict[TaskStatus, int] = {}
    for status, keywords in STATUS_KEYWORDS.items():
        score = sum(weight for word, weight in keywords.items() if word in said or (not word.isascii() and
                                                                                  len(word) > 1 and word in joined))
        if score:
            scores[status] = score
    if not scores:
        return None
    if TaskStatus.DONE in scores and _NOT_YET & set(said):
        scores[TaskStatus.DONE] = 0  # "ready for final review": the final step is still ahead
    best = max(scores.items(), key=lambda item: (item[1], item[0] == TaskStatus.IN_PROGRESS))
    return best[0] if best[1] else TaskStatus.IN_PROGRESS


@dataclass
class StatusWord:
    """One status word of the file and the status it becomes (None: not mapped, the rows are refused)."""

    key: str
    text: str
    rows: list[int] = field(default_factory=list)
    status: TaskStatus | None = None
    how: str = "known"  # known, meaning, chosen, unknown

    def as_dict(self) -> dict:
        return {"word": self.text, "status": self.status.value if self.status else None, "how": self.how,
                "rows": len(self.rows)}


def map_status_words(found: dict[str, StatusWord], chosen: dict[str, str]) -> None:
    """Give each word its status: the user's choice, a known word, or the nearest by meaning."""
    chosen_keys = {status_key(word): value for word, value in chosen.items()}
    for key, entry in found.items():
        if key in chosen_keys:
            entry.status = TaskStatus(chosen_keys[key]) if chosen_keys[key] else None
            entry.how = "chosen" if entry.status else "unknown"
        elif (status := known_status(entry.text)) is not None:
            entry.status, entry.how = status, "known"
        elif (status := status_by_meaning(entry.text)) is not None:
            entry.status, entry.how = status, "meaning"
        else:
            entry.status, entry.how = None, "unknown"


def priority(value: CellValue) -> TaskPriority | None:
    return _phrase("priority", status_key(value))
