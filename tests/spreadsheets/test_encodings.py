"""Text encodings: one detector for every importer, tested on realistic files of a few dozen rows.

Short files are where detectors go wrong, so each file here is the size of a
small department's roster, in the encoding its country's Excel saves CSV in.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from crmproject.adoption.models import UsageEvent
from crmproject.adoption.usage import UsageImportFailed, import_usage
from crmproject.extensions import db
from crmproject.roster.models import Employee
from crmproject.roster.services import create_employee
from crmproject.spreadsheets import SpreadsheetError, detect_encoding, open_workbook
from crmproject.spreadsheets.encoding import detect_stream_encoding
from crmproject.tasks.models import ChangeTask

# name, department, CRM user name: as a roster of each country would have them
PEOPLE = {
    "russian": (["Анна Иванова", "Борис Петров", "Светлана Кузнецова", "Дмитрий Смирнов", "Елена Попова",
                 "Игорь Соколов", "Ольга Лебедева", "Павел Козлов", "Юлия Новикова", "Михаил Морозов",
                 "Наталья Волкова", "Сергей Зайцев"], "Продажи"),
    "persian": (["پرويز رضايي", "مريم احمدي", "حسين محمدي", "زهرا حسيني", "رضا كريمي", "فاطمه موسوي",
                 "علي اكبري", "سارا جعفري", "محمد صادقي", "نرگس رحيمي", "امير قاسمي", "ليلا نوري"], "فروش"),
    "chinese": (["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周杰", "吴婷", "徐磊", "孙丽"], "销售部"),
    "japanese": (["佐藤太郎", "鈴木花子", "高橋健", "田中美咲", "伊藤翔", "渡辺彩", "山本大輔", "中村優子",
                  "小林誠", "加藤恵", "吉田拓也", "山田さくら"], "営業部"),
    "western": (["José Núñez", "François Dupré", "Zoë Weiß", "Björn Ångström", "Søren Æbelø", "Ana Conceição",
                 "Jürgen Müller", "Chloé Lefèvre", "Íñigo Ibáñez", "Åsa Öberg", "Renée Noël", "Grégoire Bœuf"], "Ventes"),
}
# (language, encoding as saved, encoding names the detector may give for it)
CASES = [
    ("russian", "cp1251", {"cp1251"}),
    ("persian", "cp1256", {"cp1256"}),
    ("chinese", "gb18030", {"gb18030"}),
    ("japanese", "shift_jis", {"shift_jis", "cp932"}),
    ("western", "cp1252", {"cp1252"}),
    ("russian", "utf-16", {"utf-16"}),
    ("chinese", "utf-16-le", {"utf-16-le"}),
    ("persian", "utf-16-be", {"utf-16-be"}),
    ("japanese", "utf-8", {"utf-8"}),
    ("western", "utf-8-sig", {"utf-8-sig"}),
]
IDS = [f"{language}-{encoding}" for language, encoding, _names in CASES]


def roster_csv(language: str, *, repeat: int = 3) -> str:
    """A roster of a few dozen rows: name, e-mail, department, CRM user name, start date."""
    names, department = PEOPLE[language]
    lines = ["Name,Email,Department,CRM user,Start date"]
    for n in range(repeat * len(names)):
        lines.append(f"{names[n % len(names)]} {n // len(names) + 1},p{n}@example.com,{department},user{n},2025-0{n % 9 + 1}-15")
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(("language", "encoding", "names"), CASES, ids=IDS)
def test_the_detector_reads_each_file_exactly(language, encoding, names):
    text = roster_csv(language)
    data = text.encode(encoding)

    detected = detect_encoding(data)

    assert detected in names
    assert data.decode(detected) == text


@pytest.mark.parametrize(("language", "encoding", "names"), CASES, ids=IDS)
def test_the_spreadsheet_reader_gives_the_names_as_written(language, encoding, names):
    workbook = open_workbook(roster_csv(language).encode(encoding), "roster.csv")

    rows = [row.cells for row in workbook.sheets[0].rows()]
    assert rows[1][0] == PEOPLE[language][0][0] + " 1"
    assert [cells[0] for cells in rows[1:13]] == [f"{name} 1" for name in PEOPLE[language][0]]


def test_a_file_whose_first_non_ascii_byte_comes_late_is_detected_from_there():
    text = "Name,Email\n" + "Plain Name,plain@example.com\n" * 20_000 + "Анна Иванова,anna@example.com\n" * 30
    stream = io.BytesIO(text.encode("cp1251"))

    assert detect_stream_encoding(stream) == "cp1251"


def test_a_short_western_file_stays_windows_1252():
    # charset-normalizer rates Windows-1250 and -1257 as good for this; the letters differ only in -1252
    data = "Name;City\r\nSøren Ångström;Århus\r\n".encode("cp1252")

    assert open_workbook(data, "x.csv").encoding == "cp1252"
    assert [row.cells for row in open_workbook(data, "x.csv").sheets[0].rows()][1] == ["Søren Ångström", "Århus"]


def test_a_file_that_changes_encoding_past_the_sample_names_the_line():
    # UTF-8 where the detector looks (the first 256 KB from the first non-ASCII byte), Windows-1252 much later
    data = "Name,City\nJosé,Madrid\n".encode() + b"Anna,Berlin\n" * 30_000 + "Zoë,Köln\n".encode("cp1252")

    with pytest.raises(SpreadsheetError, match=r"^x.csv is not valid UTF-8 text at line 30,003\. Choose its encoding, or save it again"):
        open_workbook(data, "x.csv")


# --- through the importers ---------------------------------------------------------------------------


@pytest.mark.parametrize(("language", "encoding", "names"), CASES, ids=IDS)
def test_a_roster_imports_its_names_correctly_in_every_encoding(language, encoding, names, runner, make_department,
                                                               tmp_path):
    make_department(name=PEOPLE[language][1], code="SALES")
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv(language).encode(encoding))

    result = runner("import", "roster", str(path), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["employees_created"] == 36
    stored = db.session.scalars(select(Employee.name).order_by(Employee.id)).all()
    assert stored[:12] == [f"{name} 1" for name in PEOPLE[language][0]]


def test_a_cp1251_roster_imports_its_cyrillic_names(runner, make_department, tmp_path):
    make_department(name="Продажи", code="SALES")
    path = tmp_path / "сотрудники.csv"
    path.write_bytes(("Name;Email;Department\r\n" + "".join(
        f"{name};r{n}@example.ru;Продажи\r\n" for n, name in enumerate(PEOPLE["russian"][0]))).encode("cp1251"))

    result = runner("import", "roster", str(path))

    assert result.exit_code == 0, result.output
    assert set(db.session.scalars(select(Employee.name))) == set(PEOPLE["russian"][0])


@pytest.mark.parametrize("encoding", ["cp1256", "shift_jis", "gb18030"])
def test_task_plans_import_their_titles_correctly(encoding, runner, make_plan, tmp_path):
    titles = {"cp1256": ["آموزش فروش", "مهاجرت داده ها", "پيكربندي سيستم"] * 10,
              "shift_jis": ["営業研修", "データ移行", "システム設定"] * 10,
              "gb18030": ["销售培训", "数据迁移", "系统配置"] * 10}[encoding]
    plan = make_plan(start=date(2026, 1, 1))
    path = tmp_path / "plan.csv"
    path.write_bytes(("Task,Start,Due\r\n" + "".join(
        f"{title} {n},2026-02-01,2026-02-10\r\n" for n, title in enumerate(titles))).encode(encoding))

    result = runner("import", "tasks", str(path), "--plan", str(plan.id))

    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(ChangeTask.title).order_by(ChangeTask.id)).all() == [
        f"{title} {n}" for n, title in enumerate(titles)]


@pytest.mark.parametrize(("language", "encoding", "names"), CASES, ids=IDS)
def test_usage_exports_match_user_names_and_keep_objects_as_written(language, encoding, names, make_department):
    department = make_department(name="Sales", code="SALES", licensed_seats=20)
    people, word = PEOPLE[language]
    for name in people:
        create_employee(name=name, department=department, crm_username=name, since=date(2026, 1, 1))
    db.session.commit()
    lines = ["User;Time;Action;Object"] + [
        f"{people[n % len(people)]};2026-03-02 {8 + n // 6:02d}:{n % 6 * 10:02d}:00;Update;{word} {n}" for n in range(36)]

    record = import_usage(("\r\n".join(lines) + "\r\n").encode(encoding), "usage.csv", timezone="UTC")

    assert (record.events_added, record.unknown_events) == (36, 0)
    objects = db.session.scalars(select(UsageEvent.object).order_by(UsageEvent.occurred_at)).all()
    assert objects == [f"{word} {n}" for n in range(36)]


def test_a_usage_export_that_changes_encoding_later_is_refused_naming_the_row(make_department):
    # UTF-8 where the detector samples it, Windows-1252 300 KB further on: an error naming the row, not mojibake
    lines = ["User,Time,Object", "anna,2026-03-02 09:00:00,Café"]
    lines += [f"anna,2026-03-02 {10 + n // 3600 % 10:02d}:{n // 60 % 60:02d}:{n % 60:02d},Account" for n in range(12_000)]
    data = ("\n".join(lines) + "\n").encode() + "anna,2026-03-03 09:00:00,Zoë\n".encode("cp1252")

    with pytest.raises(UsageImportFailed, match=r"usage.csv is not valid UTF-8 text after row [0-9,]+: it changes "
                                                r"encoding part-way"):
        import_usage(data, "usage.csv", timezone="UTC")
    assert db.session.scalar(select(UsageEvent.id)) is None


# --- files too short for the detector, and the encoding chosen by hand ----------------------------------


@pytest.mark.parametrize("line", ["Иван Петров,Sales", "Иван,Sales", "Петров,Sales", "Москва,Sales", "Ёлка,Щука",
                                  "Мир,Sales", "ОЛЬГА ЛЕБЕДЕВА,Sales"])
def test_a_line_or_two_of_russian_is_read_as_windows_1251(line):
    # charset-normalizer took these for Windows-1250, -1252, Big5 or cp949: the text they gave was no language
    data = ("Name,Department\r\n" + line + "\r\n").encode("cp1251")

    assert detect_encoding(data) == "cp1251"
    assert detect_encoding((line + "\n").encode("cp1251")) == "cp1251"


@pytest.mark.parametrize(("text", "encoding"), [
    ("Zażółć gęślą jaźń,x", "cp1250"), ("José Núñez,Ventes", "cp1252"), ("Přílišžluťoučký kůň,x", "cp1250"),
    ("Zoë,Köln", "cp1252"), ("Γιώργος,Πωλήσεις", "cp1253"), ("ÅSA ÖBERG,x", "cp1252"),
])
def test_short_latin_and_greek_text_is_not_taken_for_russian(text, encoding):
    assert detect_encoding((text + "\n").encode(encoding)) == encoding


def test_a_one_line_roster_in_windows_1251_keeps_its_names(runner, make_department, tmp_path):
    make_department(name="Sales", code="SALES")
    path = tmp_path / "roster.csv"
    path.write_bytes("Name,Department\r\nИван Петров,Sales\r\n".encode("cp1251"))

    result = runner("import", "roster", str(path))

    assert result.exit_code == 0, result.output
    assert db.session.scalars(select(Employee.name)).all() == ["Иван Петров"]


def test_every_import_command_takes_the_encoding_chosen(runner, make_department, make_plan, tmp_path):
    # two Chinese names are too few for the detector (it says Big5): --encoding says what they are
    make_department(name="Sales", code="SALES")
    path = tmp_path / "roster.csv"
    path.write_bytes("Name,Department\r\n王芳,Sales\r\n".encode("gb18030"))

    assert runner("import", "roster", str(path), "--encoding", "gb18030").exit_code == 0
    assert db.session.scalars(select(Employee.name)).all() == ["王芳"]
    for command in (["tasks", "--plan", str(make_plan().id)], ["kpis"], ["training"], ["usage"]):
        refused = runner("import", command[0], str(path), *command[1:], "--encoding", "klingon")
        assert refused.exit_code == 2, refused.output
        assert "klingon is not a text encoding" in refused.output


def test_a_usage_import_reads_the_encoding_chosen_and_says_so(make_department):
    department = make_department(name="Sales", code="SALES", licensed_seats=5)
    create_employee(name="Анна", department=department, crm_username="анна", since=date(2026, 1, 1))
    db.session.commit()
    data = "User,Time\r\nанна,2026-03-02 09:00:00\r\n".encode("koi8_r")

    record = import_usage(data, "usage.csv", timezone="UTC", encoding="koi8_r")

    assert (record.events_added, record.unknown_events) == (1, 0)
    assert "The file was read as KOI8-R text (as chosen)." in record.message
