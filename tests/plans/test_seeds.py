from datetime import date, timedelta
from pathlib import Path

import pytest

from crmproject.errors import NotFound, ValidationFailed
from crmproject.plans.seeds import (
    TemplateError, create_plan_from_template, get_template, load_templates, parse_template,
)

GOOD = """
name: Test template
summary: For tests
duration_days: 100
phases:
  - {name: Prepare, start_day: 0, duration_days: 30}
  - {name: Pilot, start_day: 30, duration_days: 70, exit_criteria: "80% active"}
waves:
  - {name: Pilot, kind: pilot, go_live_day: 40, modules: [SFA], departments: [SALES, NOPE]}
  - {name: Enterprise, kind: enterprise, go_live_day: 99, modules: [XYZ]}
"""


def test_every_shipped_template_is_valid_and_there_are_at_least_three():
    templates = load_templates()
    assert len(templates) >= 3
    keys = {t.key for t in templates}
    assert {"eight-stages", "pilot-then-waves", "small-company-quick-start"} <= keys
    eight = get_template("eight-stages")
    assert len(eight.phases) == 8
    for template in templates:
        assert template.phases, template.key
        assert all(p.start_day + p.duration_days <= template.duration_days for p in template.phases)


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("name: X\nsummary: Y\nphases: []\n", "duration_days", "is required"),
        ("name: X\nsummary: Y\nduration_days: 10\nphases: []\n", "phases", "non-empty list"),
        ("name: X\nsummary: Y\nduration_days: 10\nphases:\n  - {name: A, start_day: 0, duration_days: 0}\n",
         "phases[0].duration_days", "whole number >= 1"),
        ("name: X\nsummary: Y\nduration_days: 10\nphases:\n  - {name: A, start_day: 5, duration_days: 6}\n",
         "phases[0].duration_days", "after the plan's duration_days"),
        ("name: X\nsummary: Y\nduration_days: 10\nphases:\n  - {name: A, start_day: 0, duration_days: 5, colour: red}\n",
         "phases[0].colour", "unknown field"),
        ("name: X\nsummary: Y\nduration_days: 10\nphases:\n  - {name: A, start_day: 0, duration_days: 5}\n"
         "waves:\n  - {name: W, kind: big, go_live_day: 3}\n", "waves[0].kind", "must be one of"),
        ("name: X\nsummary: Y\nduration_days: 10\nphases:\n  - {name: A, start_day: 0, duration_days: 5}\n"
         "waves:\n  - {name: W, go_live_day: 3, departments: [S]}\n  - {name: V, go_live_day: 4, departments: [s]}\n",
         "waves[1].departments", "already in the wave"),
        ("name: [unclosed\n", "line", "not valid YAML"),
        (GOOD + "gates:\n  - {phase: Nowhere, criteria: [{kind: training}]}\n", "gates[0].phase", "names no phase"),
        (GOOD + "gates:\n  - {wave: Pilot, phase: Pilot, criteria: [{kind: training}]}\n", "gates[0]",
         "exactly one of phase or wave"),
        (GOOD + "gates:\n  - {wave: Pilot, criteria: []}\n", "gates[0].criteria", "non-empty list"),
        (GOOD + "gates:\n  - {wave: Pilot, criteria: [{kind: vibes}]}\n", "gates[0].criteria[0].kind", "must be one of"),
        (GOOD + "gates:\n  - {wave: Pilot, criteria: [{kind: training, threshold: 120}]}\n",
         "gates[0].criteria[0].threshold", "from 0 to 100"),
        (GOOD + "gates:\n  - {wave: Pilot, criteria: [{kind: training, blocking: maybe}]}\n",
         "gates[0].criteria[0].blocking", "true or false"),
        (GOOD + "gates:\n  - {wave: Pilot, criteria: [{kind: training}]}\n  - {wave: pilot, criteria: [{kind: adoption}]}\n",
         "gates[1]", "already has a gate"),
    ],
)
def test_a_bad_template_names_the_file_and_the_field(text, where, problem):
    with pytest.raises(TemplateError) as exc:
        parse_template("broken.yaml", text)
    message = str(exc.value)
    assert message.startswith("broken.yaml: ")
    assert where in message
    assert problem in message


def test_a_bad_file_in_the_folder_fails_the_whole_load(tmp_path: Path):
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "bad.yaml").write_text("name: X\nsummary: Y\nduration_days: ten\nphases: []\n")
    with pytest.raises(TemplateError, match=r"bad.yaml: duration_days: must be a whole number"):
        load_templates(tmp_path)


def test_plan_from_template_shifts_every_date_to_the_start(app, tmp_path, make_department):
    (tmp_path / "t.yaml").write_text(GOOD)
    sales = make_department(name="Sales", code="SALES")
    template = get_template("t", tmp_path)
    start = date(2027, 3, 1)
    plan = create_plan_from_template(template, start=start, name="Shifted")
    assert (plan.start_date, plan.end_date) == (start, start + timedelta(days=99))
    assert [(p.name, p.start_date, p.end_date) for p in plan.phases] == [
        ("Prepare", start, start + timedelta(days=29)),
        ("Pilot", start + timedelta(days=30), start + timedelta(days=99)),
    ]
    pilot, enterprise = plan.waves
    assert pilot.go_live_date == start + timedelta(days=40)
    assert pilot.departments == [sales]  # NOPE does not exist and is skipped
    assert [m.code for m in pilot.modules] == ["SFA"]
    assert [m.code for m in enterprise.modules] == ["XYZ"]  # unknown module codes are created
    assert plan.template_key == "t"


def test_plan_from_template_refuses_a_taken_name(app, tmp_path):
    (tmp_path / "t.yaml").write_text(GOOD)
    template = get_template("t", tmp_path)
    create_plan_from_template(template, start=date(2027, 1, 1))
    with pytest.raises(ValidationFailed) as exc:
        create_plan_from_template(template, start=date(2028, 1, 1))
    assert "already exists" in exc.value.errors["name"][0]


def test_unknown_template_key(app):
    with pytest.raises(NotFound, match="no plan template named nope"):
        get_template("nope")


def test_templates_carry_kpis_that_become_the_plans_kpis(app):
    from crmproject.kpis.services import list_kpis

    template = get_template("pilot-then-waves")
    adoption = next(k for k in template.kpis if k.name == "Active users / licensed seats")
    assert (adoption.baseline, adoption.target, adoption.target_day) == (0, 80, 240)
    plan = create_plan_from_template(template, start=date(2027, 1, 1), name="With KPIs")
    kpis = {k.name: k for k in list_kpis(plan)}
    assert kpis["Active users / licensed seats"].target_date == date(2027, 1, 1) + timedelta(days=240)
    assert kpis["Duplicate customer records"].direction.value == "lower"


def test_a_kpi_going_the_wrong_way_in_a_template_names_the_field():
    text = GOOD + "kpis:\n  - {name: Cost, direction: lower, baseline: 10, target: 12, target_day: 50}\n"
    with pytest.raises(TemplateError, match=r"broken.yaml: kpis\[0\].target: must be below the baseline"):
        parse_template("broken.yaml", text)


def test_template_gates_become_the_plans_gates_with_their_criteria(app):
    from crmproject.gates.services import list_gates

    for template in load_templates():
        assert template.gates, f"{template.key} carries no gates"
    template = get_template("pilot-then-waves")
    plan = create_plan_from_template(template, start=date(2026, 1, 5))
    gates = {g.name: g for g in list_gates(plan)}
    assert set(gates) == {g.name for g in template.gates}
    pilot = gates["Pilot proven"]
    assert pilot.phase.name == "Pilot review and publicise results"
    assert [c.kind.value for c in pilot.criteria] == ["training", "adoption", "critical_tasks", "reports_in"]
    assert pilot.criteria[1].threshold == 80  # adoption: the plan's adoption target, no threshold in the file
    assert not pilot.criteria[3].blocking
    assert gates["Wave 3 may go live"].wave.name == "Wave 3 - CSS in service and support"


# --- the four languages ----------------------------------------------------------------------------------------

SCRIPTS = {"ru": "[А-Яа-яЁё]", "zh_Hans": "[\u4e00-\u9fff]", "fa": "[\u0600-\u06ff]"}


def test_every_shipped_template_has_every_text_in_all_four_languages():
    import re

    for template in load_templates():
        assert template.missing_translations() == [], template.key
        assert template.languages == ("en", "ru", "zh_Hans", "fa")
        for path, text in template.texts():
            if not text or path.endswith(".unit") and text in ("%", "EUR"):
                continue
            for language, script in SCRIPTS.items():
                translated = text.in_language(language)
                # written in the language, not the English copied over
                assert translated != str(text) and re.search(script, translated), (template.key, path, language)


def test_a_text_missing_in_one_language_is_found_and_falls_back_to_english():
    text = GOOD.replace(
        "exit_criteria: \"80% active\"",
        "exit_criteria: {en: \"80% active\", ru: \"80% активны\", fa: \"80% فعال\"}",
    )
    template = parse_template("t.yaml", text)
    assert "phases[1].exit_criteria.zh_Hans" in template.missing_translations()
    assert "phases[1].exit_criteria.ru" not in template.missing_translations()
    assert "phases[0].name.ru" in template.missing_translations()  # a plain string is English only
    assert "ru" not in template.languages
    assert template.localized("ru").phases[1].exit_criteria == "80% активны"
    assert template.localized("zh").phases[1].exit_criteria == "80% active"


@pytest.mark.parametrize(
    ("phase", "where", "problem"),
    [
        ("{name: {ru: Пилот}, start_day: 0, duration_days: 5}", "phases[0].name.en", "is required (the English text)"),
        ("{name: {en: Pilot, de: Pilotprojekt}, start_day: 0, duration_days: 5}", "phases[0].name.de",
         "unknown language (allowed: en, ru, zh_Hans, fa)"),
        ("{name: {en: Pilot, zh: 试点}, start_day: 0, duration_days: 5}", "phases[0].name.zh", "unknown language"),
        ("{name: Pilot, start_day: 0, duration_days: 5, goal: {en: Prove it, fa: ''}}", "phases[0].goal.fa",
         "must be non-empty text"),
        ("{name: Pilot, start_day: 0, duration_days: 5, goal: [Prove it]}", "phases[0].goal",
         "must be text, or a mapping of languages"),
        ("{name: {en: Pilot, ru: '" + "Я" * 201 + "'}, start_day: 0, duration_days: 5}", "phases[0].name.ru",
         "at most 200 characters"),
    ],
)
def test_a_bad_text_names_the_file_the_field_and_the_language(phase, where, problem):
    with pytest.raises(TemplateError) as exc:
        parse_template("pilot.yaml", f"name: X\nsummary: Y\nduration_days: 10\nphases:\n  - {phase}\n")
    assert str(exc.value).startswith(f"pilot.yaml: {where}: ")
    assert problem in str(exc.value)


def test_two_phases_with_one_name_in_a_language_are_refused():
    text = ("name: X\nsummary: Y\nduration_days: 10\nphases:\n"
            "  - {name: {en: Prepare, ru: Подготовка}, start_day: 0, duration_days: 5}\n"
            "  - {name: {en: Get ready, ru: подготовка}, start_day: 5, duration_days: 5}\n")
    with pytest.raises(TemplateError, match=r"pilot.yaml: phases\[1\].name.ru: repeats the phase name 'подготовка'"):
        parse_template("pilot.yaml", text)


def test_a_plan_made_in_russian_takes_the_russian_texts_and_its_gates_find_their_phases(app):
    from crmproject.gates.services import list_gates
    from crmproject.kpis.services import list_kpis

    template = get_template("pilot-then-waves")
    plan = create_plan_from_template(template, start=date(2027, 1, 4), language="ru")
    russian = template.localized("ru")
    assert plan.name == "Сначала пилот, затем волны"
    assert plan.vision.startswith("Через пять лет")
    assert [p.name for p in plan.phases] == [p.name for p in russian.phases]
    first = plan.phases[0]
    assert (first.name, first.goal[:34]) == ("Цели и экономическое обоснование", "Ранжировать по приоритету проблемы")
    assert first.exit_criteria.startswith("Экономическое обоснование утверждено управляющим комитетом")
    assert plan.waves[0].name == "Пилот — SFA в отделе продаж" and "острее всего" in plan.waves[0].notes
    kpis = {k.name: k for k in list_kpis(plan)}
    assert kpis["Активные пользователи / лицензии"].unit == "%"
    assert kpis["Среднее время решения обращения"].unit == "ч"
    gates = {g.name: g for g in list_gates(plan)}
    assert gates["Пилот подтвердил результаты"].phase.name == "Оценка пилота и публикация результатов"
    assert gates["Волна 3 может запускаться"].wave.name == "Волна 3 — CSS в сервисе и поддержке"


@pytest.mark.parametrize(("language", "plan_name", "gate"), [
    ("zh", "先试点，再分批推广", "试点成效已验证"),
    ("zh_Hans", "先试点，再分批推广", "试点成效已验证"),
    ("fa", "ابتدا پایلوت، سپس موج‌ها", "پایلوت اثبات شد"),
    ("en", "Pilot, then waves", "Pilot proven"),
])
def test_a_plan_takes_the_language_it_is_made_in(app, language, plan_name, gate):
    from crmproject.gates.services import list_gates

    plan = create_plan_from_template(get_template("pilot-then-waves"), start=date(2027, 1, 4), language=language)
    assert plan.name == plan_name
    assert gate in {g.name for g in list_gates(plan)}


def test_an_unnamed_gate_is_named_in_the_plans_language_and_an_english_only_template_stays_english(app, tmp_path):
    from crmproject.gates.services import list_gates

    (tmp_path / "t.yaml").write_text(GOOD + "gates:\n  - {wave: Enterprise, criteria: [{kind: training, note: "
                                     "{en: Everyone trained, ru: Все обучены}}]}\n", encoding="utf-8")
    template = get_template("t", tmp_path)
    plan = create_plan_from_template(template, start=date(2027, 1, 4), name="T", language="ru")
    assert [p.name for p in plan.phases] == ["Prepare", "Pilot"]  # no Russian in the file: its English
    (gate,) = list_gates(plan)
    assert gate.name == "Контрольная точка: Enterprise" and gate.criteria[0].note == "Все обучены"
    english = create_plan_from_template(template, start=date(2027, 1, 4), name="E")
    assert list_gates(english)[0].name == "Gate: Enterprise"


def test_an_unknown_language_is_refused(app):
    with pytest.raises(ValueError, match="no interface language 'de'"):
        create_plan_from_template(get_template("small-company-quick-start"), start=date(2027, 1, 4), language="de")
