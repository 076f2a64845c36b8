"""The words a task plan's headers are written in, in English, Russian, Chinese and Persian.

A header is compared word by word after `words()`: case, accents, punctuation,
"&", numbering ("1.", "a)") and plurals do not matter, so "MILESTONES & TASKS",
"Task(s)" and "2. Tasks" all contain the word "task". Chinese has no spaces
between words, so a Chinese name is found inside a header ("任务名称" holds
"任务"); Persian letters are unified first (Arabic yeh and kaf, zero-width
non-joiner), so "پیش‌نیاز" and "پيش نياز" are the same words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crmproject.i18n import lazy_gettext as _l
from crmproject.spreadsheets import FieldSpec

# A title column named with a task word is enough on its own (with one more field); a generic one
# ("Name", "Title", "Item") needs an owner, a date, a status or predecessors beside it.
STRONG_TITLES = (
    "Task", "Task name", "Task title", "Task description", "Tasks", "Activity", "Activities", "Activity name",
    "Deliverable", "Deliverables", "Work item", "Work package", "Sub task", "Subtask", "Sub-task", "Milestones and tasks",
    "Milestone", "Action item", "Action", "Step",
    "Задача", "Задачи", "Название задачи", "Наименование задачи", "Наименование работ", "Наименование работы", "Работа",
    "Работы", "Мероприятие", "Мероприятия", "Вид работ", "Подзадача",
    "任务", "任务名称", "工作任务", "子任务", "工作内容", "工作项", "活动", "事项", "里程碑",
    "وظیفه", "وظایف", "عنوان کار", "کار", "فعالیت", "فعالیت ها", "عنوان وظیفه", "شرح کار", "زیرکار",
)
WEAK_TITLES = ("Title", "Name", "Item", "Summary", "Subject", "Description of work", "Название", "Наименование",
               "名称", "标题", "عنوان", "نام")

TASK_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("title", _l("Task"), STRONG_TITLES + WEAK_TITLES, required=True),
    FieldSpec("outline", _l("Outline"), (
        "ID", "WBS", "WBS code", "Outline number", "No", "Number", "Task ID", "Ref", "Reference", "#", "Task number",
        "Номер", "Код", "ИСР", "序号", "编号", "任务编号", "شماره", "ردیف", "کد")),
    FieldSpec("owner", _l("Owner"), (
        "Owners", "In-charge", "In charge", "Assigned to", "Assignee", "Resourcing", "Resources", "Resource",
        "Resource names", "Task owner", "Responsible", "Responsible person", "Who", "Lead", "Task lead", "Person",
        "Ответственный", "Ответственные", "Исполнитель", "Исполнители", "Владелец", "Кто",
        "负责人", "责任人", "执行人", "负责", "مسئول", "مسوول", "مجری", "انجام دهنده", "مالک")),
    FieldSpec("start", _l("Start"), (
        "Start date", "Begin", "Begins", "Begin date", "From", "Planned start", "Start on", "Baseline start",
        "Начало", "Дата начала", "Старт", "开始", "开始日期", "开始时间", "计划开始", "شروع", "تاریخ شروع"), kind="date"),
    FieldSpec("due", _l("Due"), (
        "Due date", "End", "End date", "Finish", "Finish date", "Deadline", "Target date", "Planned end", "Until",
        "Due by", "Completion date", "Baseline finish",
        "Срок", "Срок выполнения", "Окончание", "Дата окончания", "Конец", "Крайний срок", "Дата завершения",
        "截止", "截止日期", "结束", "结束日期", "结束时间", "完成日期", "计划完成", "پایان", "تاریخ پایان", "مهلت",
        "ددلاین", "تاریخ تحویل"), kind="date"),
    FieldSpec("status", _l("Status"), (
        "State", "Task status", "Статус", "Состояние", "状态", "任务状态", "وضعیت")),
    FieldSpec("progress", _l("% complete"), (
        "Percent complete", "Complete", "Progress", "Done", "Pct of task complete", "Percent done", "Completion",
        "% done", "Выполнено", "Прогресс", "Готовность", "完成", "完成度", "进度", "完成百分比", "پیشرفت", "درصد پیشرفت"),
        kind="percent"),
    FieldSpec("priority", _l("Priority"), ("Prio", "Importance", "Urgency", "Приоритет", "Важность", "优先级", "اولویت")),
    FieldSpec("phase", _l("Phase"), (
        "Stage", "Workstream", "Work stream", "Stream", "Milestone group", "Project phase", "Task group", "Group",
        "Этап", "Фаза", "Стадия", "阶段", "项目阶段", "فاز", "مرحله")),
    FieldSpec("duration", _l("Duration"), (
        "Days", "Estimated duration", "Duration days", "Effort", "Estimate", "Work days",
        "Длительность", "Продолжительность", "Дней", "工期", "持续时间", "天数", "مدت", "مدت زمان")),
    FieldSpec("department", _l("Department"), ("Dept", "Business unit", "Unit", "Team",
                                               "Отдел", "Подразделение", "部门", "واحد", "دپارتمان")),
    FieldSpec("category", _l("Category"), ("Type", "Kind", "Work type", "Task type", "Категория", "Тип", "类别", "类型",
                                           "دسته", "نوع")),
    FieldSpec("predecessors", _l("Depends on"), (
        "Predecessors", "Predecessor", "Dependencies", "Dependency", "Depends", "Depends on", "Prerequisites",
        "Предшественники", "Предшественник", "Зависит от", "Зависимости", "前置任务", "前置", "紧前任务", "依赖",
        "پیش نیاز", "پیش نیازها", "وابستگی")),
    FieldSpec("description", _l("Description"), ("Notes", "Comments", "Details", "Remarks", "Comment", "Note",
                                                 "Примечание", "Комментарий", "Описание", "备注", "说明", "描述",
                                                 "توضیحات", "یادداشت")),
)
FIELD_LABELS = {f.key: f.label for f in TASK_FIELDS}
# Fields that make a table a task plan rather than, say, a list of people.
TASK_SIGNALS = frozenset({"owner", "start", "due", "status", "predecessors", "duration", "progress"})
FIELD_WEIGHTS = {"title": 4, **{key: 2 for key in TASK_SIGNALS}}

_PERSIAN = str.maketrans({"ي": "ی", "ك": "ک", "\u200c": " ", "ى": "ی", "ة": "ه"})
_SYMBOLS = str.maketrans({"%": " percent ", "#": " number ", "№": " number ", "&": " and ", "+": " and "})
_NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[a-z]|[ivx]+)[.)]\s+", re.IGNORECASE)
_NON_WORD = re.compile(r"[\W_]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_MIN_STRENGTH = 48
_FILLER = frozenset({"and", "of", "the", "a", "an", "to", "for", "и", "的", "و"})


def words(text: str) -> tuple[str, ...]:
    """A header as the words it is made of: lowercase, no accents, punctuation or numbering, singular."""
    text = _NUMBERING.sub("", text.translate(_PERSIAN).translate(_SYMBOLS))
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return tuple(_singular(w) for w in _NON_WORD.sub(" ", plain.casefold()).split() if w not in _FILLER)


def _singular(word: str) -> str:
    if len(word) > 3 and word.isascii() and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


@dataclass(frozen=True)
class NameMatch:
    """How well a header names a field: longer and exact names are better."""

    key: str
    strength: int
    strong_title: bool = False


def _index() -> list[tuple[tuple[str, ...], str, bool]]:
    names = []
    strong = {words(n) for n in STRONG_TITLES}
    for spec in TASK_FIELDS:
        for name in (str(spec.label), spec.key, *spec.synonyms):
            if found := words(name):
                names.append((found, spec.key, spec.key == "title" and found in strong))
    return names


_NAMES = _index()


def match_header(text: str) -> NameMatch | None:
    """The field a header names, by its best (longest, exact first) name, or None."""
    header = words(text)
    if not header:
        return None
    best: NameMatch | None = None
    joined = " ".join(header)
    for name, key, strong in _NAMES:
        if name == header:
            strength = 100 + 10 * len(name)
        elif _contains(header, name):
            strength = 40 + 10 * len(name) - 2 * (len(header) - len(name))
        elif _CJK.search(name[0]) and len(name) == 1 and name[0] in joined:
            strength = 40 + 5 * len(name[0])
        else:
            continue
        if best is None or strength > best.strength:
            best = NameMatch(key, strength, strong)
    # a known word lost among many others ("Number Off Bends", "Maximal Fold Length") names nothing
    return best if best is not None and best.strength >= _MIN_STRENGTH else None


def _contains(header: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """True when the words of `name` appear in `header` one after another."""
    size = len(name)
    return any(header[i:i + size] == name for i in range(len(header) - size + 1))
