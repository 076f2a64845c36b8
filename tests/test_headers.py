"""Pages and downloads are never kept by a browser or proxy; the app's own static files may be."""

from datetime import date

from crmproject.auth.models import Role
from crmproject.extensions import db
from crmproject.plans import services as plans


def test_pages_drafts_and_downloads_are_no_store_static_files_are_cached(client, login, make_user, make_plan):
    today = date.today()
    plan = make_plan(start=date(today.year - 1, 1, 1), end=date(today.year + 1, 12, 31))
    head = make_user(Role.DEPARTMENT_HEAD)
    plans.add_wave(plan, name="Pilot", go_live=date(today.year - 1, 6, 1), departments=[head.department])
    db.session.commit()
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    login(head)
    assert client.post(f"/plans/{plan.id}/reports/write", data={
        "overall_rag": "amber", "achievements": "Secret progress", "blockers": "", "next_steps": "", "help_needed": "",
        "action": "draft"}).status_code == 302
    for url in (f"/plans/{plan.id}", f"/plans/{plan.id}/reports/write", f"/departments/{head.department_id}"):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    draft = client.get(f"/plans/{plan.id}/reports/write", follow_redirects=True)
    assert "Secret progress" in draft.get_data(as_text=True) and draft.headers["Cache-Control"] == "no-store"
    download = client.get(f"/plans/{plan.id}/tasks.xlsx")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "no-store"
    static = client.get("/static/css/app.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()
