"""The interface in English, Russian, Chinese and Persian: which language a request gets (the user's setting, the
footer's switch, the browser's Accept-Language, the instance's default), the page's lang and dir, and catalogues
that translate every message of the source."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from crmproject.auth.models import Role, User
from crmproject.extensions import db
from crmproject.i18n import LANGUAGES, accepted_language

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "crmproject" / "translations"
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdfg]|%[sd%]")
HEADINGS = {"en": "Log in to crmproject", "ru": "Вход в crmproject", "zh_Hans": "登录 crmproject", "fa": "ورود به crmproject"}


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


@pytest.mark.parametrize(("header", "lang", "direction", "language"), [
    ("ru-RU,ru;q=0.9,en;q=0.5", "ru", "ltr", "ru"),
    ("zh-CN,zh;q=0.9", "zh-Hans", "ltr", "zh_Hans"),
    ("zh-TW", "zh-Hans", "ltr", "zh_Hans"),  # the only Chinese it has
    ("fa-IR,fa;q=0.8", "fa", "rtl", "fa"),
    ("de-DE,fr;q=0.8", "en", "ltr", "en"),  # none it speaks: the instance's default
    ("", "en", "ltr", "en"),
])
def test_the_login_page_speaks_the_browsers_language(client, header, lang, direction, language):
    page = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert html_tag(page) == f'<html lang="{lang}" dir="{direction}">'
    assert HEADINGS[language] in page


def test_accept_language_is_read_by_quality():
    assert accepted_language("en;q=0.4, fa;q=0.9") == "fa"
    assert accepted_language("*") is None and accepted_language(None) is None


def test_the_instance_default_applies_when_the_browser_names_none(app, client):
    app.config["LOCALE"] = "ru"
    try:
        assert 'lang="ru"' in html_tag(client.get("/login").get_data(as_text=True))
        assert 'lang="fa"' in html_tag(client.get("/login", headers={"Accept-Language": "fa"}).get_data(as_text=True))
    finally:
        app.config["LOCALE"] = "en"


def test_the_footer_switch_before_login_keeps_the_choice_for_the_session(client):
    response = client.post("/language", data={"language": "fa", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'dir="rtl"' in html_tag(page) and HEADINGS["fa"] in page


def test_a_users_own_language_wins_over_the_browser_and_is_set_by_the_switch(client, make_user, login):
    user = make_user(Role.PROJECT_MANAGER)
    login(user)
    assert client.post("/language", data={"language": "zh_Hans", "next": "/plans/"}).headers["Location"] == "/plans/"
    db.session.expire_all()
    assert db.session.scalar(select(User.language).where(User.id == user.id)) == "zh_Hans"
    page = client.get("/plans/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'lang="zh-Hans"' in html_tag(page) and "计划" in page
    # an unknown language changes nothing; an outside address is never followed
    refused = client.post("/language", data={"language": "xx", "next": "https://evil.example/"})
    assert refused.headers["Location"] == "/"
    assert db.session.scalar(select(User.language).where(User.id == user.id)) == "zh_Hans"


def test_the_settings_page_chooses_the_language_too(client, make_user, login, open_form):
    user = make_user(Role.EXECUTIVE)
    login(user)
    form = open_form("/account/password", action="/language")  # the settings form (the footer's comes after it)
    answer = client.post(form.action, data=form.data(language="fa"))
    assert answer.headers["Location"] == "/account/password#language"
    db.session.expire_all()
    assert db.session.scalar(select(User.language).where(User.id == user.id)) == "fa"
    assert 'dir="rtl"' in html_tag(client.get("/account/password").get_data(as_text=True))


def _source_messages() -> dict:
    """Every message the source asks to translate, read the way `pybabel extract -F babel.cfg` reads it."""
    method_map = [("crmproject/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    found = {}
    # values given to a message's variables may be f-strings: babel warns of every one; only messages matter here
    logging.getLogger("babel").setLevel(logging.ERROR)
    # every folder but hidden ones: Babel's default also leaves out those starting with "_" (templates/_macros)
    shown = lambda path: not os.path.basename(path).startswith(".")  # noqa: E731
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, keywords=keywords,
                                                                       directory_filter=shown):
        if message:
            found[message] = True
    return found


@pytest.fixture(scope="module")
def source_messages() -> dict:
    return _source_messages()


@pytest.mark.parametrize(("language", "forms"), [("ru", 3), ("zh_Hans", 1), ("fa", 2)])
def test_every_message_of_the_source_is_translated_with_its_placeholders(source_messages, language, forms):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    assert catalog.num_plurals == forms
    problems = []
    for message in source_messages:
        entry = catalog.get(message if isinstance(message, str) else message[0])
        if isinstance(message, str) and entry is not None and isinstance(entry.id, tuple):
            problems.append(f"{message!r} is also the singular of a plural message: it would not be translated")
            continue
        if entry is None or not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            problems.append(f"not translated: {message!r}")
            continue
        if isinstance(message, str):
            if sorted(PLACEHOLDER.findall(entry.string)) != sorted(PLACEHOLDER.findall(message)):
                problems.append(f"placeholders differ: {message!r} -> {entry.string!r}")
            continue
        wanted = set(PLACEHOLDER.findall(message[0])) | set(PLACEHOLDER.findall(message[1]))
        if len(entry.string) != forms:
            problems.append(f"{len(entry.string)} plural forms, not {forms}: {message!r}")
        for form in entry.string:
            got = set(PLACEHOLDER.findall(form))
            # a form may say "one" without the number, never drop another placeholder or add one
            if not got <= wanted or not wanted - {"%(n)s"} <= got:
                problems.append(f"placeholders differ: {message!r} -> {form!r}")
    assert not problems, f"{len(problems)} problems in {language}:\n" + "\n".join(problems[:40])


def test_every_language_of_the_switch_has_a_catalogue():
    assert set(LANGUAGES) - {"en"} == {p.name for p in TRANSLATIONS.iterdir() if p.is_dir()}


def test_on_a_persian_page_dates_and_latin_names_keep_their_direction(app):
    from datetime import date

    from flask_babel import refresh

    from crmproject.i18n import gettext

    with app.test_request_context("/", headers={"Accept-Language": "fa"}):
        refresh()  # Persian: the Solar Hijri date, isolated in the sentence and never broken across lines
        text = gettext("Previous (%(day)s)", day=date(2026, 11, 30).isoformat())
        assert "\u2068۹\u00a0آذر\u00a0۱۴۰۵\u2069" in text
        assert app.jinja_env.filters["date"](date(2026, 11, 30)) == "\u2068۹\u00a0آذر\u00a0۱۴۰۵\u2069"
        assert gettext("%(name)s", name="Sales") == "\u2068Sales\u2069"
    with app.test_request_context("/", headers={"Accept-Language": "zh"}):
        refresh()  # the test's app context outlives the request: choose its language again
        assert app.jinja_env.filters["date"](date(2026, 11, 30)) == "2026/11/30"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()  # English keeps ISO, hyphens and all
        assert app.jinja_env.filters["date"](date(2026, 11, 30)) == "2026-11-30"
        assert gettext("Previous (%(day)s)", day="2026-11-30") == "Previous (2026-11-30)"


def test_charts_speak_the_pages_language_with_plotlys_own_locale(make_plan, make_user, login, client):
    plan = make_plan()
    user = make_user(Role.EXECUTIVE)
    login(user)
    english = client.get(f"/plans/{plan.id}/maturity/").get_data(as_text=True)
    assert "plotly-locales" not in english
    client.post("/language", data={"language": "zh_Hans"})
    page = client.get(f"/plans/{plan.id}/maturity/").get_data(as_text=True)
    assert "/static/vendor/plotly-locales/zh-cn.js" in page and 'data-locale="zh-CN"' in page
    with client.get("/static/vendor/plotly-locales/zh-cn.js") as served:
        assert served.get_data(as_text=True).startswith("/* plotly.js-locales")


def test_numbers_are_written_as_the_language_writes_them(app):
    from decimal import Decimal

    from flask_babel import refresh

    number = app.jinja_env.filters["number"]
    for header, expected, rounded in (("en", "1,234.5", "1,234.50"), ("ru", "1\u00a0234,5", "1\u00a0234,50"),
                                      ("zh-CN", "1,234.5", "1,234.50")):
        with app.test_request_context("/", headers={"Accept-Language": header}):
            refresh()
            assert number(Decimal("1234.5")) == expected
            assert number(Decimal("1234.5"), 2) == rounded
            assert number(85) == "85"


def test_a_placeholder_may_be_named_message(app):
    """The KPI import's refusal names its placeholders kpi, day and message: `message` is the text's own, not the
    translation function's first parameter (which took it, and raised TypeError)."""
    from crmproject.i18n import _

    with app.test_request_context("/"):
        shown = _("%(kpi)s on %(day)s: %(message)s", kpi="Win rate", day="2026-03-01", message="Enter a number.")
    assert shown == "Win rate on 2026-03-01: Enter a number."
