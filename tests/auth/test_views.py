import re

from sqlalchemy import select

from crmproject.auth.models import Role, User
from crmproject.extensions import db


def test_every_page_needs_a_login(client):
    for url in ("/", "/plans/", "/departments/", "/admin/users", "/plans/1"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next=")
    assert client.get("/login").status_code == 200


def test_login_page_has_email_and_password_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html and 'type="password"' in html


def test_login_follows_only_local_next_urls(client, make_user):
    user = make_user(Role.EXECUTIVE)
    response = client.post("/login?next=/plans/", data={"email": user.email, "password": "correct-horse-1"})
    assert response.headers["Location"] == "/plans/"
    client.post("/logout")
    response = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": "correct-horse-1"})
    assert response.headers["Location"] == "/"


def test_wrong_password_says_so_without_telling_which_part(client, make_user):
    user = make_user(Role.EXECUTIVE)
    response = client.post("/login", data={"email": user.email, "password": "nope-nope"})
    assert response.status_code == 200
    assert "The e-mail or password is wrong" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_needs_post_and_ends_the_session(client, make_user, login):
    login(make_user(Role.EXECUTIVE))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_department_head_lands_on_their_department(client, make_user, login):
    head = make_user(Role.DEPARTMENT_HEAD)
    login(head)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/departments/{head.department_id}"


def test_admin_adds_changes_role_of_and_deactivates_a_user(client, make_user, make_department, login):
    admin = make_user(Role.ADMIN)
    sales = make_department(name="Sales", code="SALES")
    login(admin)
    response = client.post("/admin/users/new", data={
        "name": "Hanna Head", "email": "hanna@example.com", "role": "department_head",
        "department_id": str(sales.id), "password": "quiet-meadow-river-9",
    })
    assert response.status_code == 302
    hanna = db.session.scalar(select(User).where(User.email == "hanna@example.com"))
    assert (hanna.role, hanna.department_id) == (Role.DEPARTMENT_HEAD, sales.id)
    assert client.post(f"/admin/users/{hanna.id}", data={
        "name": "Hanna Head", "role": "executive", "department_id": "", "version": str(hanna.version),
    }).status_code == 302  # an unticked 'active' box deactivates
    db.session.expire_all()
    assert (hanna.role, hanna.active) == (Role.EXECUTIVE, False)
    assert "Deactivated" in client.get("/admin/users").get_data(as_text=True)


def test_add_user_form_shows_errors_at_the_fields(client, make_user, login):
    admin = make_user(Role.ADMIN)
    login(admin)
    response = client.post("/admin/users/new", data={
        "name": "Dup", "email": admin.email, "role": "department_head", "department_id": "", "password": "quiet-meadow-river-9",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"A user with the e-mail {admin.email} already exists." in html


def test_admin_sets_a_password_and_the_user_logs_in_with_it(client, app, make_user, login):
    admin = make_user(Role.ADMIN)
    other = make_user(Role.EXECUTIVE)
    login(admin)
    assert client.post(f"/admin/users/{other.id}/password", data={
        "pw-password": "violet-harbour-77", "pw-confirm": "violet-harbour-77",
    }).status_code == 302
    client.post("/logout")
    assert client.post("/login", data={"email": other.email, "password": "violet-harbour-77"}).status_code == 302


def test_csrf_failure_says_the_page_expired(client, app, make_user):
    user = make_user(Role.EXECUTIVE)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/login", data={"email": user.email, "password": "correct-horse-1"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)


def test_unknown_page_is_a_404_in_the_layout(client, make_user, login):
    login(make_user(Role.EXECUTIVE))
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Not found" in html and 'class="topbar"' in html


def test_a_stale_save_of_a_user_by_a_second_administrator_gets_409_with_what_changed(app, make_user):
    first_admin, second_admin = make_user(Role.ADMIN), make_user(Role.ADMIN)
    user = make_user(Role.EXECUTIVE, name="Eva Exec")
    first, second = app.test_client(), app.test_client()
    for client, admin in ((first, first_admin), (second, second_admin)):
        assert client.post("/login", data={"email": admin.email, "password": "correct-horse-1"}).status_code == 302
    opened = str(user.version)  # both opened the form now
    assert first.post(f"/admin/users/{user.id}", data={
        "name": "Eva Executive", "role": "executive", "department_id": "", "active": "y", "version": opened,
    }).status_code == 302
    stale = second.post(f"/admin/users/{user.id}", data={
        "name": "Eva E.", "role": "executive", "department_id": "", "active": "y", "version": opened,
    })
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    assert "Your changes were NOT saved." in html and "<td>Eva Executive</td><td>Eva E.</td>" in html
    db.session.expire_all()
    assert user.name == "Eva Executive"
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert second.post(f"/admin/users/{user.id}", data={
        "name": "Eva E.", "role": "executive", "department_id": "", "active": "y", "version": new_version,
    }).status_code == 302
    db.session.expire_all()
    assert user.name == "Eva E."
