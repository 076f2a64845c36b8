"""The login throttle holds across processes and restarts: two real gunicorn servers with two workers each,
on the test database, take turns answering one attacker's wrong passwords; one is restarted halfway."""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from crmproject.auth.models import Role

PASSWORD = "correct-horse-1"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _gunicorn(database_url: str, instance: Path):
    port = _free_port()
    env = {**os.environ, "CRMPROJECT_DATABASE_URL": database_url, "CRMPROJECT_SECRET_KEY": "throttle-test",
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CRMPROJECT_TEST_DATABASE_URL", None)
    log = instance / f"gunicorn-{port}.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "crmproject:create_app()"],
            env=env, cwd=instance, stdout=output, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/healthz", timeout=2).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("gunicorn did not start: " + log.read_text()[-2000:])
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _log_in(base: str, email: str, password: str) -> int:
    """A fresh browser: fetch the form (CSRF token and cookie), post it; the status of the answer."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    with opener.open(base + "/login", timeout=10) as form:
        page = form.read().decode()
    data = urllib.parse.urlencode({"csrf_token": TOKEN.search(page).group(1), "email": email, "password": password})
    try:
        with opener.open(base + "/login", data.encode(), timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as answer:
        answer.close()
        return answer.code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_twenty_wrong_passwords_are_throttled_across_workers_servers_and_a_restart(app, make_user, tmp_path):
    user = make_user(Role.EXECUTIVE)
    database_url = app.config["SQLALCHEMY_DATABASE_URI"]
    answers = []
    with _gunicorn(database_url, tmp_path) as first:
        with _gunicorn(database_url, tmp_path) as second:
            for attempt in range(10):
                answers.append(_log_in((first, second)[attempt % 2], user.email, "wrong-guess"))
        with _gunicorn(database_url, tmp_path) as restarted:
            for attempt in range(10):
                answers.append(_log_in((first, restarted)[attempt % 2], user.email, "wrong-guess"))
            right_password = _log_in(restarted, user.email, PASSWORD)
    assert answers[:5] == [200] * 5  # wrong, said so
    assert answers[5:] == [429] * 15  # throttled, whichever process answered
    assert right_password == 429
