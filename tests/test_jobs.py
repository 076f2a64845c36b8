"""Background work on the job queue (crmproject/jobs.py): a usage import put on the queue by one app instance is run
by `crmproject worker` in another process, its progress is read by a third instance, and a worker killed midway
leaves the import failed with its reason and nothing saved."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from crmproject import create_app, jobs
from crmproject.adoption import jobs as usage_jobs
from crmproject.adoption.models import UsageEvent
from crmproject.extensions import db
from crmproject.roster.services import create_employee


@pytest.fixture
def instances():
    """Other app instances made by a test; their database connections are closed after it."""
    made = []
    yield made
    for other in made:
        with other.app_context():
            db.engine.dispose()


def _instance(app, tmp_path: Path, name: str, made: list, **config):
    """Another app instance on the test database and on the queue file in tmp_path (as another web host)."""
    other = create_app({"TESTING": True, "SECRET_KEY": "jobs-test",
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "JOBS_SQLITE_FILE": str(tmp_path / "queue.sqlite3"), "JOBS_IN_PROCESS": 0,
                        "JOBS_STALE_SECONDS": 2, **config})
    other.instance_path = str(tmp_path / name)
    made.append(other)
    return other


@contextmanager
def _worker(app, tmp_path: Path, broker: str = "sqlite"):
    """`crmproject worker` in a process of its own, on the test database and the queue file in tmp_path."""
    env = {**os.environ, "CRMPROJECT_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "CRMPROJECT_SECRET_KEY": "jobs-test", "CRMPROJECT_JOBS_SQLITE_FILE": str(tmp_path / "queue.sqlite3"),
           "CRMPROJECT_JOBS_STALE_SECONDS": "2", "CRMPROJECT_JOBS_BROKER": broker, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CRMPROJECT_TEST_DATABASE_URL", None)
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-c", "from crmproject.cli import main; main()", "worker",
                                    "--workers", "1"], env=env, cwd=tmp_path, stdout=output, stderr=subprocess.STDOUT)
    try:
        yield process, log
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _usage_csv(rows: int) -> bytes:
    lines = ["User,Timestamp,Action"]
    for n in range(rows):
        lines.append(f"{'anna.k' if n % 2 else 'boris.p'},2026-03-{1 + n % 28:02d} "
                     f"{8 + n % 10:02d}:{n // 60 % 60:02d}:{n % 60:02d},Action {n % 997}")
    return ("\n".join(lines) + "\n").encode()


def _until(condition, seconds: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"{what} within {seconds} s" + (": " + log.read_text()[-2000:] if log else ""))


@pytest.fixture
def people(app, make_department):
    sales = make_department(name="Sales", code="SALES", licensed_seats=2)
    for name in ("anna.k", "boris.p"):
        create_employee(name=name, department=sales, crm_username=name, since=date(2026, 1, 1))
    db.session.commit()


def _status(instance, import_id: int) -> dict:
    with instance.app_context():
        status = usage_jobs.job_status(import_id)
        db.session.remove()
        return status


def test_a_job_waits_on_the_queue_until_a_worker_takes_it_and_any_instance_follows_it(app, people, tmp_path,
                                                                                         instances):
    web = _instance(app, tmp_path, "web", instances)  # enqueues, runs no worker of its own
    reader = _instance(app, tmp_path, "reader", instances)  # as another web host, only reads the status
    with web.app_context():
        import_id = usage_jobs.start_import_job(web, _usage_csv(200_000), "usage.csv", timezone="UTC", user_id=None)
        db.session.remove()
    time.sleep(1)
    waiting = _status(reader, import_id)
    assert (waiting["state"], waiting["progress"]) == ("running", 0)  # on the queue: nobody has taken it

    with _worker(app, tmp_path) as (_process, log):
        seen = _until(lambda: (s := _status(reader, import_id))["progress"] > 0 and s, 60,
                      "the worker's progress was not seen by the other instance", log)
        assert seen["state"] == "running"
        done = _until(lambda: (s := _status(reader, import_id))["state"] != "running" and s, 120,
                      "the import did not finish", log)
    assert done["state"] == "done", done
    assert (done["rows_read"], done["progress"]) == (200_000, 100)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == done["events_added"] > 0


def test_a_worker_killed_midway_leaves_the_import_failed_with_its_reason_and_nothing_saved(app, people, tmp_path,
                                                                                           instances):
    web = _instance(app, tmp_path, "web", instances)
    with _worker(app, tmp_path) as (process, log):
        with web.app_context():
            import_id = usage_jobs.start_import_job(web, _usage_csv(600_000), "big.csv", timezone="UTC",
                                                    user_id=None)
            db.session.remove()
        _until(lambda: _status(web, import_id)["progress"] > 0, 60, "the worker did not start the import", log)
        with web.app_context():
            assert usage_jobs.is_running(import_id)
        process.send_signal(signal.SIGKILL)  # as a host that dies or a container that is killed
        process.wait(timeout=30)

    failed = _until(lambda: (s := _status(web, import_id))["state"] != "running" and s, 30,
                    "the dead worker's import was not given up")
    assert failed["state"] == "failed"
    assert "its worker stopped or was restarted" in failed["message"] and "Nothing was saved" in failed["message"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == 0
    with web.app_context():
        assert not usage_jobs.is_running(import_id)


def test_the_queue_is_configured_by_name_and_a_wrong_name_is_refused():
    from crmproject.errors import ConfigError

    with pytest.raises(ConfigError, match="JOBS_BROKER must be sqlite or postgresql, not 'redis'"):
        create_app({"TESTING": True, "JOBS_BROKER": "redis"})
    with pytest.raises(ConfigError, match="must then be PostgreSQL"):
        create_app({"TESTING": True, "JOBS_BROKER": "postgresql", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_job_state_is_kept_in_the_queue_and_a_silent_heartbeat_is_stale(app, tmp_path, instances):
    other = _instance(app, tmp_path, "state", instances)
    with other.app_context():
        jobs.put_state("probe", {"progress": 5, "at": time.time()})
        assert jobs.state("probe")["progress"] == 5 and not jobs.is_stale(jobs.state("probe"))
        jobs.put_state("probe", {"progress": 5, "at": time.time() - 3})
        assert jobs.is_stale(jobs.state("probe"))  # JOBS_STALE_SECONDS is 2 here
        jobs.forget_state("probe")
        assert jobs.state("probe") is None


def test_on_postgresql_the_queue_can_live_in_the_application_database(app, people, tmp_path, instances):
    """The setting for several hosts: web hosts and workers share the queue through PostgreSQL (JOBS_BROKER)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("the test database is not PostgreSQL (CRMPROJECT_TEST_DATABASE_URL)")
    web = _instance(app, tmp_path, "web", instances, JOBS_BROKER="postgresql")
    try:
        with _worker(app, tmp_path, broker="postgresql") as (_process, log):
            with web.app_context():
                import_id = usage_jobs.start_import_job(web, _usage_csv(1_000), "usage.csv", timezone="UTC",
                                                        user_id=None)
                db.session.remove()
            done = _until(lambda: (s := _status(web, import_id))["state"] != "running" and s, 60,
                          "the import did not finish", log)
        assert (done["state"], done["rows_read"]) == ("done", 1_000), done
    finally:
        with web.app_context():
            jobs.queue().storage.close()
            db.session.execute(text("DROP TABLE IF EXISTS huey_kv, huey_schedule, huey_task, huey_counter"))
            db.session.commit()


def test_an_import_given_up_while_it_ran_saves_nothing_when_it_finishes(app, people):
    """A reader gave the import up (its heartbeat went quiet) and told the user nothing was saved: a worker that
    was only slow, not dead, finds its record no longer running when it comes to save, and saves nothing."""
    from crmproject.adoption.models import ImportState, UsageImport
    from crmproject.adoption.usage import UsageImportFailed, create_usage_import, run_usage_import

    record = create_usage_import(filename="slow.csv", timezone="UTC")
    db.session.commit()
    db.session.execute(UsageImport.__table__.update().where(UsageImport.id == record.id).values(
        state=ImportState.FAILED, message="The import stopped before it finished: its worker stopped."))
    db.session.commit()
    with pytest.raises(UsageImportFailed, match="its worker stopped"):
        run_usage_import(record.id, _usage_csv(100))
    db.session.expire_all()
    assert db.session.get(UsageImport, record.id).state == ImportState.FAILED
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == 0


def test_a_job_for_an_import_already_given_up_is_not_started(app, people, tmp_path, instances):
    from crmproject.adoption.models import ImportState, UsageImport

    web = _instance(app, tmp_path, "web", instances)
    with web.app_context():
        record_id = usage_jobs.start_import_job(web, _usage_csv(100), "late.csv", timezone="UTC", user_id=None)
        db.session.execute(UsageImport.__table__.update().where(UsageImport.id == record_id).values(
            state=ImportState.FAILED, message="given up"))
        db.session.commit()
        db.session.remove()
    with _worker(app, tmp_path) as (_process, log):
        with web.app_context():
            _until(lambda: jobs.queue().pending_count() == 0, 60, "the worker did not take the job", log)
        time.sleep(2)  # time to import 100 rows, had it started
    assert _status(web, record_id)["state"] == "failed"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(UsageEvent)) == 0


def test_a_stale_time_under_two_seconds_is_refused():
    from crmproject.errors import ConfigError

    with pytest.raises(ConfigError, match="JOBS_STALE_SECONDS must be at least 2"):
        create_app({"TESTING": True, "JOBS_STALE_SECONDS": 1})


def test_a_job_writes_in_the_language_of_whoever_queued_it(app, tmp_path):
    """A Russian reader's import says what it found in Russian (a job ran in the instance's default language)."""
    from crmproject.i18n import gettext

    said = []
    run = jobs._in_app(app, lambda: said.append(gettext("Status")))
    run(**{jobs._READER: ("ru", None)})
    run()
    assert said == ["Статус", "Status"]
    other = create_app({"TESTING": True, "SECRET_KEY": "jobs-test", "JOBS_IN_PROCESS": 0,
                        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        "JOBS_SQLITE_FILE": str(tmp_path / "queue.sqlite3")})
    queued = []
    jobs.queue(other)
    other.extensions["huey_tasks"] = {"probe": lambda **kwargs: queued.append(kwargs)}  # stands for a job's task
    with other.test_request_context("/", headers={"Accept-Language": "ru"}):
        jobs.enqueue("probe", {"import_id": 7}, app=other)
    with other.app_context():
        db.engine.dispose()
    assert queued == [{"import_id": 7, jobs._READER: ("ru", "gregorian")}]


def test_an_app_on_another_database_keeps_its_queue_apart(app, tmp_path):
    """Two demos in one instance folder (the README's second language) never work each other's jobs."""
    own = create_app({"TESTING": True, "SECRET_KEY": "x"})
    own.instance_path = str(tmp_path)
    own.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'crmproject.db'}"
    other = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite:////tmp/crm-ru.db"})
    other.instance_path = str(tmp_path)
    assert jobs._default_sqlite_file(own) == tmp_path / "jobs.sqlite3"
    assert jobs._default_sqlite_file(other).parent == tmp_path
    assert jobs._default_sqlite_file(other) != jobs._default_sqlite_file(own)
