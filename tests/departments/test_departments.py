import pytest

from crmproject.auth.models import Role
from crmproject.departments import services
from crmproject.departments.models import Department
from crmproject.errors import ValidationFailed
from crmproject.extensions import db


def test_names_and_codes_are_unique_and_codes_upper_case(app):
    sales = services.create_department(name="Sales", code="sales", headcount=40, licensed_seats=35)
    assert sales.code == "SALES"
    with pytest.raises(ValidationFailed) as exc:
        services.create_department(name="SALES", code="Sales", headcount=-1)
    assert set(exc.value.errors) == {"name", "code", "headcount"}


def test_a_department_with_a_head_cannot_be_deleted_until_the_head_moves(app, make_user):
    head = make_user(Role.DEPARTMENT_HEAD)
    department = head.department
    with pytest.raises(ValidationFailed, match=head.name):
        services.delete_department(department)
    other = services.create_department(name="Other", code="OTH")
    services.set_head(other, head)
    services.delete_department(department)
    db.session.commit()
    assert db.session.get(Department, department.id) is None


def test_deleting_a_department_keeps_its_usage_events_without_the_department(app, make_department):
    """Usage events carry the department unchecked by the database (adoption.models.UsageEvent): deleting the
    department takes it off them, as ON DELETE SET NULL did, and the other department's events keep theirs."""
    from datetime import date

    from sqlalchemy import select

    from crmproject.adoption.models import UsageEvent
    from crmproject.adoption.usage import import_usage
    from crmproject.roster import services as roster

    sales, service = make_department(name="Sales", code="SALES"), make_department(name="Service", code="SERV")
    for name, department in (("anna.k", sales), ("boris.p", service)):
        roster.create_employee(name=name, department=department, crm_username=name, since=date(2026, 1, 1))
    db.session.commit()
    import_usage(b"user,time\nanna.k,2026-03-02 09:00:00\nboris.p,2026-03-02 10:00:00\n", "u.csv", timezone="UTC")
    services.delete_department(sales)
    db.session.commit()
    events = dict(db.session.execute(select(UsageEvent.username_key, UsageEvent.department_id)).all())
    assert events == {"anna.k": None, "boris.p": service.id}


def test_only_a_department_head_can_be_made_head(app, make_user, make_department):
    department = make_department()
    with pytest.raises(ValidationFailed, match="not a department head"):
        services.set_head(department, make_user(Role.EXECUTIVE))


def test_pm_creates_a_department_with_its_head(client, make_user, login):
    head = make_user(Role.DEPARTMENT_HEAD)
    login(make_user(Role.PROJECT_MANAGER))
    response = client.post("/departments/new", data={
        "name": "Field Service", "code": "field", "headcount": "30", "licensed_seats": "25", "head_id": str(head.id),
    })
    assert response.status_code == 302
    department = db.session.scalar(db.select(Department).where(Department.code == "FIELD"))
    assert [h.id for h in department.heads] == [head.id]
    page = client.get(f"/departments/{department.id}").get_data(as_text=True)
    assert head.name in page and "Field Service" in page


def test_department_form_errors_are_shown_at_the_fields(client, make_user, make_department, login):
    make_department(name="Sales", code="SALES")
    login(make_user(Role.PROJECT_MANAGER))
    response = client.post("/departments/new", data={"name": "Sales", "code": "X", "headcount": "ten", "licensed_seats": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Headcount must be a whole number." in html


def test_department_head_edits_only_the_numbers_of_their_own_department(client, make_user, make_department, login):
    head = make_user(Role.DEPARTMENT_HEAD)
    own = head.department
    other = make_department()
    login(head)
    form = client.get(f"/departments/{own.id}/edit").get_data(as_text=True)
    assert 'name="licensed_seats"' in form and 'name="code"' not in form
    assert client.post(f"/departments/{own.id}/edit",
                       data={"headcount": "12", "licensed_seats": "11", "version": str(own.version)}).status_code == 302
    db.session.expire_all()
    assert (own.headcount, own.licensed_seats) == (12, 11)
    assert client.post(f"/departments/{other.id}/edit", data={"headcount": "1", "licensed_seats": "1"}).status_code == 403
    assert client.get(f"/departments/{other.id}").status_code == 200  # reading is allowed


def test_department_page_lists_open_tasks_only_to_those_who_may_see_them(client, make_user, make_plan, make_department, login):
    from crmproject.tasks import services as tasks

    head = make_user(Role.DEPARTMENT_HEAD)
    other = make_department(name="Marketing", code="MKT")
    plan = make_plan()
    category = tasks.ensure_categories()[0]
    tasks.create_task(plan, title="Train Sales", category=category, actor=None, department=head.department)
    tasks.create_task(plan, title="Closed one", category=category, actor=None, department=head.department,
                      status=tasks.TaskStatus.DONE)
    tasks.create_task(plan, title="Marketing secret", category=category, actor=None, department=other)
    db.session.commit()
    login(head)
    own = client.get(f"/departments/{head.department_id}").get_data(as_text=True)
    assert "Train Sales" in own and "Closed one" not in own
    foreign = client.get(f"/departments/{other.id}").get_data(as_text=True)
    assert "Marketing secret" not in foreign and "Open change tasks" not in foreign
