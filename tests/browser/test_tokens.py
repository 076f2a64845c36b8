"""A personal API token made in the browser: its secret shown once, and a reload of that page makes no second one."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from crmproject.api.models import ApiToken
from crmproject.auth.models import Role
from crmproject.extensions import db

sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed (pip install -e .[test])")
expect = sync_api.expect


def test_a_new_token_is_shown_once_and_a_reload_makes_no_second_one(page, browser_login, make_user):
    user = make_user(Role.PROJECT_MANAGER)
    browser_login(user)
    page.goto("/account/tokens")
    page.fill("input[name=name]", "Nightly usage push")
    page.get_by_label("Read", exact=False).first.check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("code.secret")
    expect(secret).to_contain_text("crmp_")

    # The page's script turns its history entry into a plain visit; the secret is drawn before that script has run,
    # so wait for the page to finish loading, as a reader's reload would come after it.
    page.wait_for_load_state("load")
    page.reload()  # no "resubmit the form?" and no second token: the page is visited again
    expect(page.locator("code.secret")).to_have_count(0)
    expect(page.get_by_role("cell", name="Nightly usage push")).to_have_count(1)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ApiToken)) == 1
