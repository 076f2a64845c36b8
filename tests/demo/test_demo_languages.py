"""`crmproject demo --lang`: the demo organisation built in Russian, Chinese or Persian, with no English text left
in what it writes, and its users' interface in that language."""

import re
from datetime import date

import pytest
from sqlalchemy import Enum, String, Text, select

from crmproject.auth.models import User
from crmproject.demo.language import DEMO_LANGUAGES, demo_texts, text_files
from crmproject.demo.large import load_large_demo
from crmproject.demo.services import DEMO_PASSWORD
from crmproject.departments.models import Department
from crmproject.extensions import db
from crmproject.plans.models import Plan
from crmproject.roster.models import Employee
from crmproject.tasks.models import ChangeTask

CURRENCY = re.compile(r"[A-Z]{3}")  # ISO 4217 codes (a KPI in EUR) are the same in every language
SCRIPTS = {"ru": r"[\u0400-\u04FF]", "zh_Hans": r"[\u4E00-\u9FFF]", "fa": r"[\u0600-\u06FF]"}
PAGE_LANG = {"ru": 'lang="ru"', "zh_Hans": 'lang="zh-Hans"', "fa": 'lang="fa"'}
# what stays as it is in every language: codes, keys and enum values, logins and addresses, machine data (the CRM's
# usage log, JSON kept for the record, hashes, the audit trail), and the built-in task categories (stored as their
# English names and translated where they are shown)
NOT_TEXT = {
    "users.email", "users.password_hash", "users.session_token", "users.language", "employees.email",
    "employees.crm_username", "employees.crm_username_key", "employees.crm_user_id", "usage_events.username_key",
    "usage_events.action", "usage_events.object", "usage_imports.filename", "usage_imports.unknown_usernames",
    "usage_imports.excluded_accounts", "usage_imports.timezone", "plans.template_key", "plans.seed_key",
    "plans.timezone", "plans.currency", "training_sessions.location", "data_generations.name",
    "steering_meetings.agenda_json", "gate_decisions.evidence_json", "gate_criteria.blocks",
    "pulse_invitations.token_hash", "task_categories.name", "risks.factor",
    "task_changes.field", "comments.target_type",
    # a notification's key of its event and the address it links to
    "notifications.event_key", "notifications.link",
    # the audit trail records what was written, as it was: tables' names, logins, requests, a row's key
    "audit_entries.object_type", "audit_entries.parent_type", "audit_entries.user_label", "audit_entries.request",
    "audit_entries.address", "audit_entries.object_label",
}


def english_left(language: str) -> list[str]:
    """Every text the database holds with a Latin word and no letter of `language`'s script."""
    script, latin = re.compile(SCRIPTS[language]), re.compile(r"[A-Za-z]{3,}")
    left = []
    for table in db.metadata.sorted_tables:
        if table.name == "audit_entries":  # the record of what was written, in the application's own terms
            continue
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if (not isinstance(column.type, (String, Text)) or isinstance(column.type, Enum) or column.foreign_keys
                    or name in NOT_TEXT or column.name in ("code", "key")):
                continue
            for value in db.session.scalars(select(column).distinct()):
                if value and latin.search(value) and not script.search(value) and not CURRENCY.fullmatch(value):
                    left.append(f"{name}: {value}")
    return left


@pytest.mark.parametrize("lang", ["ru", "zh", "fa"])
def test_the_demo_in_a_language_has_its_names_and_texts_and_interface(runner, client, lang):
    language = DEMO_LANGUAGES[lang]
    script = re.compile(SCRIPTS[language])
    result = runner("demo", "--no-serve", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert "head.sales@example.com" in result.output  # the logins stay as the README gives them

    sales = db.session.scalar(select(Department).where(Department.code == "SALES"))
    head = db.session.scalar(select(User).where(User.email == "head.sales@example.com"))
    task = db.session.scalar(select(ChangeTask).where(ChangeTask.department_id == sales.id).order_by(ChangeTask.id))
    person = db.session.scalar(select(Employee).order_by(Employee.id))
    plan = db.session.scalar(select(Plan))
    for text in (sales.name, head.name, task.title, person.name, plan.phases[0].name, plan.phases[0].goal):
        assert script.search(text), text
    assert person.crm_username.isascii() and person.email.isascii()
    assert {u.language for u in db.session.scalars(select(User))} == {language}
    assert english_left(language) == []

    page = client.post("/login", data={"email": head.email, "password": DEMO_PASSWORD}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and PAGE_LANG[language] in html
    assert sales.name in html and script.search(re.sub(r"<[^>]+>", " ", html.split("<main", 1)[-1]))


@pytest.mark.parametrize("language", ["ru", "zh_Hans", "fa"])
def test_the_large_demo_in_a_language(app, language):
    script = re.compile(SCRIPTS[language])
    load_large_demo(today=date(2026, 11, 23), departments=12, employees=150, tasks=200, kpis=20, years=1,
                    language=language)
    db.session.commit()
    departments = db.session.scalars(select(Department)).all()
    heads = db.session.scalars(select(User).where(User.department_id.is_not(None))).all()
    assert all(script.search(d.name) for d in departments) and all(script.search(u.name) for u in heads)
    assert english_left(language) == []


def test_every_text_file_translates_the_same_texts_and_keeps_their_placeholders():
    placeholders = re.compile(r"%\(\w+\)s")
    files = text_files()
    assert set(files) == {"ru", "zh_Hans", "fa"}
    texts = {language: demo_texts(language) for language in files}
    sources = {language: set(t.translations) for language, t in texts.items()}
    assert sources["ru"] == sources["zh_Hans"] == sources["fa"]
    for language, t in texts.items():
        for source, translated in t.translations.items():
            assert sorted(placeholders.findall(source)) == sorted(placeholders.findall(translated)), (language, source)
            words = re.search(r"[A-Za-z]", placeholders.sub("", source))
            assert translated.strip() and (translated != source or not words), (language, source)
        # the roster goes round every family name (the builders step through them by 5 and 7)
        assert len(t.names.family) % 5 and len(t.names.family) % 7
        assert {g.female for g in t.names.given} == {True, False}
