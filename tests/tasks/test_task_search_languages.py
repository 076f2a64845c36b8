"""Searching and sorting tasks whose titles are Russian, Persian and Chinese (crmproject.collation)."""


from crmproject.extensions import db


def _titles(html: str, candidates: list[str]) -> list[str]:
    """The candidates in the order the page shows them."""
    found = sorted((html.find(t), t) for t in candidates if t in html)
    return [t for _, t in found]


def test_search_ignores_case_in_every_script_and_reads_yo_as_ye(client, login, make_user, make_plan, make_task):
    pm = make_user()
    plan = make_plan()
    make_task(plan, "Обучить отдел продаж работе в CRM")
    make_task(plan, "Утвердить ёмкость серверов")
    make_task(plan, "Train Sales on SFA")
    login(pm)
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"q": "ОТДЕЛ"}).get_data(as_text=True)
    assert "Обучить отдел продаж работе в CRM" in html and "Train Sales on SFA" not in html
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"q": "емкость"}).get_data(as_text=True)
    assert "Утвердить ёмкость серверов" in html and "Обучить отдел" not in html
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"q": "sales"}).get_data(as_text=True)
    assert "Train Sales on SFA" in html and "Обучить" not in html


def test_persian_search_reads_arabic_yeh_and_kaf_as_persian(client, login, make_user, make_plan, make_task):
    pm = make_user()
    plan = make_plan()
    make_task(plan, "آموزش کارکنان واحد فروش")  # Persian kaf and yeh
    make_task(plan, "Train Sales on SFA")
    login(pm)
    typed_on_an_arabic_layout = "كاركنان"  # Arabic kaf (U+0643)
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"q": typed_on_an_arabic_layout}).get_data(as_text=True)
    assert "آموزش کارکنان واحد فروش" in html and "Train Sales on SFA" not in html
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"q": "فروش"}).get_data(as_text=True)
    assert "آموزش کارکنان واحد فروش" in html


def test_titles_sort_by_the_readers_alphabet(client, login, make_user, make_plan, make_task):
    pm = make_user()
    pm.language = "ru"
    db.session.commit()
    plan = make_plan()
    for title in ("Яблоко раздора", "ёлочный релиз", "Жёсткий срок", "есть план", "Борис обучает", "архив писем"):
        make_task(plan, title)
    login(pm)
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"sort": "title"}).get_data(as_text=True)
    assert _titles(html, ["Яблоко раздора", "ёлочный релиз", "Жёсткий срок", "есть план", "Борис обучает",
                          "архив писем"]) == ["архив писем", "Борис обучает", "ёлочный релиз", "есть план",
                                              "Жёсткий срок", "Яблоко раздора"]  # ё is е with a mark, as dictionaries have it


def test_persian_titles_sort_with_pe_che_and_gaf_in_their_places(client, login, make_user, make_plan, make_task):
    pm = make_user()
    pm.language = "fa"
    db.session.commit()
    plan = make_plan()
    # Unicode puts پ چ گ after every Arabic letter; the Persian alphabet has them after ب ج ک
    titles = ["گزارش هفتگی", "تدوین اهداف", "پایلوت فروش", "بازبینی داده", "چارچوب آموزش", "کارگاه مدیران"]
    for title in titles:
        make_task(plan, title)
    login(pm)
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"sort": "title"}).get_data(as_text=True)
    assert _titles(html, titles) == ["بازبینی داده", "پایلوت فروش", "تدوین اهداف", "چارچوب آموزش", "کارگاه مدیران",
                                     "گزارش هفتگی"]


def test_chinese_titles_sort_by_pinyin_where_the_database_has_icu(app, client, login, make_user, make_plan, make_task):
    import pytest

    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no Chinese collation: titles sort by Unicode's order there")
    pm = make_user()
    pm.language = "zh_Hans"
    db.session.commit()
    plan = make_plan()
    titles = ["张经理培训", "安排试点", "李主管审核", "王总验收", "陈述愿景"]
    for title in titles:
        make_task(plan, title)
    login(pm)
    html = client.get(f"/plans/{plan.id}/tasks", query_string={"sort": "title"}).get_data(as_text=True)
    assert _titles(html, titles) == ["安排试点", "陈述愿景", "李主管审核", "王总验收", "张经理培训"]
