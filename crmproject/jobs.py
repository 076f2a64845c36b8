"""Background work through a job queue (huey), so that it outlives the request and any one web process.

    @jobs.job("usage_import")
    def run_import(import_id: int, data: bytes) -> None: ...   # runs in a worker, inside an app context

    jobs.enqueue("usage_import", {"import_id": 7, "data": b"..."})
    jobs.put_state("usage-import:7", {...}); jobs.state("usage-import:7")   # seen from every web process

Where the queue lives (JOBS_BROKER):
  - "sqlite" (the default): a SQLite file in the instance folder (JOBS_SQLITE_FILE), and every web process
    runs a worker thread of its own, from its first request (JOBS_IN_PROCESS, on by default): one machine,
    no other service.
  - "postgresql": tables huey_* in the application's own PostgreSQL database, woken by LISTEN/NOTIFY: web
    hosts and worker hosts share it. Set JOBS_IN_PROCESS=0 on the web hosts and run `crmproject worker` on
    one or more hosts.

A job's own state (progress, and a heartbeat while it runs) is kept in the queue's storage, not in a web
process: any process reads it, and a job whose heartbeat stopped (its worker was killed or restarted) is
known to be dead after JOBS_STALE_SECONDS. Jobs are not retried: what a job writes is one transaction, so a
job that dies has saved nothing, and says so.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app, has_request_context
from huey import PostgresHuey, SqliteHuey
from huey.api import Huey
from huey.consumer import Consumer
from sqlalchemy.engine import make_url

from crmproject.dates import current_calendar
from crmproject.extensions import current_flask_app
from crmproject.locales import current_locale

_log = logging.getLogger(__name__)
_jobs: dict[str, Callable[..., None]] = {}  # name -> function, as the features register them
_lock = threading.Lock()
_consumers: dict[int, tuple[int, Consumer]] = {}  # id(huey) -> (pid, the in-process consumer)
HEARTBEAT_SECONDS = 5.0
# A job no worker has started for this long is not going to run (the queue lost it, or no worker runs).
UNCLAIMED_SECONDS = 15 * 60
_ACTOR = "_audit_actor"  # the keyword argument that carries who queued a job
_READER = "_reader"  # and the one that carries their language and calendar, which the job writes its messages in


def job(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register a function as the job `name` (keyword arguments only; they travel through the queue pickled)."""

    def register(function: Callable[..., None]) -> Callable[..., None]:
        _jobs[name] = function
        return function

    return register


def queue(app: Flask | None = None) -> Huey:
    """The app's queue, built on first use from its configuration, with every registered job on it."""
    app = app or current_flask_app()
    with _lock:
        found = app.extensions.get("huey")
        if found is None:
            found = app.extensions["huey"] = _build(app)
        return found


def _build(app: Flask) -> Huey:
    broker = (app.config.get("JOBS_BROKER") or "sqlite").strip().lower()
    if broker == "postgresql":
        url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
        if not url.drivername.startswith("postgresql"):
            raise RuntimeError("JOBS_BROKER=postgresql needs the application's database to be PostgreSQL")
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        huey: Huey = PostgresHuey("crmproject", dsn=dsn, results=False, utc=True)
    elif broker == "sqlite":
        path = Path(app.config.get("JOBS_SQLITE_FILE") or _default_sqlite_file(app))
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("crmproject", filename=str(path), results=False, utc=True)
    else:
        raise RuntimeError(f"JOBS_BROKER must be sqlite or postgresql, not {broker!r}")
    app.extensions["huey_tasks"] = {name: huey.task(name=name)(_in_app(app, function))
                                     for name, function in _jobs.items()}
    return huey


def _default_sqlite_file(app: Flask) -> Path:
    """The queue's file in the instance folder: jobs.sqlite3 beside the instance's own database; for another
    database (CRMPROJECT_DATABASE_URL), a file of its own named after it, so that two apps on two databases
    sharing an instance folder never work each other's jobs (an import queued by one was run against the other's
    database, found nothing, and was lost)."""
    from crmproject.config import normalise_database_url

    instance = Path(app.instance_path)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url == normalise_database_url(f"sqlite:///{instance / 'crmproject.db'}"):
        return instance / "jobs.sqlite3"
    return instance / f"jobs-{hashlib.sha256(url.encode()).hexdigest()[:12]}.sqlite3"


def _in_app(app: Flask, function: Callable[..., None]) -> Callable[..., None]:
    def run(**kwargs) -> None:
        from flask_babel import force_locale

        from crmproject.audit.actor import acting_as
        from crmproject.dates import force_calendar
        from crmproject.extensions import db

        user_id, label = kwargs.pop(_ACTOR, None) or (None, "")
        language, calendar = kwargs.pop(_READER, None) or (None, None)
        with app.app_context(), acting_as(user_id, label=label), force_locale(language or app.config.get(
                "LOCALE", "en")), force_calendar(calendar):
            try:
                function(**kwargs)
            finally:
                db.session.remove()

    run.__name__ = function.__name__
    return run


def enqueue(name: str, kwargs: dict, *, app: Flask | None = None) -> None:
    """Put the job `name` on the queue with these keyword arguments; with JOBS_IN_PROCESS, make sure this process
    runs a worker for it."""
    from crmproject.audit.actor import current_actor

    app = app or current_flask_app()
    queue(app)
    # the job's changes are recorded in the audit trail as done by whoever queued it (none: the system)
    actor = current_actor()
    who = {_ACTOR: (actor.user_id, actor.label)} if actor.user_id is not None else {}
    # what it writes for people (an import's messages) in the language and calendar of whoever queued it
    reader = {_READER: (current_locale(), current_calendar())} if has_request_context() else {}
    app.extensions["huey_tasks"][name](**kwargs, **who, **reader)  # calling a huey task enqueues it
    if app.config.get("JOBS_IN_PROCESS", True):
        start_in_process(app)


def put_state(key: str, value: dict) -> None:
    """Keep a job's state (a dict) where every process can read it."""
    queue().put(key, value)


def state(key: str) -> dict | None:
    """A job's state as last kept, or None."""
    return queue().get(key, peek=True)


def forget_state(key: str) -> None:
    queue().delete(key)


class Heartbeat:
    """While a job runs, keep its state's "at" fresh (every HEARTBEAT_SECONDS, or a quarter of JOBS_STALE_SECONDS
    if that is less), so a reader can tell it is alive;
    `update(**values)` changes the state at once.

    `wanted(huey)`, when given, says whether the job's state is still wanted (a reader who started another job in
    its place no longer wants it): once it says no, the state is removed and no longer written, so a beat or the
    final state never brings back a state someone removed. It is asked after each write as well as before, so a
    removal between the question and the write is undone at once.
    """

    def __init__(self, key: str, *, wanted: Callable[[Huey], bool] | None = None, **values) -> None:
        self.key = key
        self.values = {**values, "at": time.time(), "pid": os.getpid()}
        self._huey = queue()
        self._wanted = wanted
        stale = float(current_app.config.get("JOBS_STALE_SECONDS", 60))
        self.interval = min(HEARTBEAT_SECONDS, stale / 4)  # several beats before a reader gives up on it
        self._stop = threading.Event()
        self._put(self.values)
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{key}", daemon=True)
        self._thread.start()

    @property
    def abandoned(self) -> bool:
        """True once the state is no longer wanted (see the class)."""
        return self._wanted is not None and not self._wanted(self._huey)

    def _put(self, values: dict) -> None:
        if self.abandoned:
            self._huey.delete(self.key)
            return
        self._huey.put(self.key, values)
        if self.abandoned:
            self._huey.delete(self.key)

    def update(self, **values) -> None:
        """Keep the new values; a queue that cannot be written to for a moment (locked, reconnecting) costs a
        beat, logged, never the job."""
        self.values = {**self.values, **values, "at": time.time()}
        try:
            self._put(self.values)
        except Exception:  # noqa: BLE001 - the next beat tries again; a reader gives up only after several
            _log.warning("job %s: its heartbeat could not be kept", self.key, exc_info=True)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            self.update()

    def stop(self, *, final: dict | None = None) -> None:
        """Stop beating and remove the state, or with `final` keep that as the job's last state (its result,
        read by a page that follows the job)."""
        self._stop.set()
        self._thread.join()
        try:
            if final is None:
                self._huey.delete(self.key)
            else:
                self._put(final)
        except Exception:  # noqa: BLE001 - a state left behind reads as stale, and the record says how it ended
            _log.warning("job %s: its state could not be removed or kept", self.key, exc_info=True)


def is_stale(found: dict | None, app: Flask | None = None) -> bool:
    """Whether a job's kept state says it stopped beating: its worker died or was restarted."""
    app = app or current_flask_app()
    return found is not None and found.get("at", 0) < time.time() - float(app.config.get("JOBS_STALE_SECONDS", 60))


class _InProcessConsumer(Consumer):
    """A consumer in a web process: its worker threads only; the signals are the web server's."""

    def _set_signal_handlers(self) -> None:
        pass


def init_app(app: Flask) -> None:
    """With JOBS_IN_PROCESS, each web process starts its worker with its first request (a forked gunicorn worker
    its own), so jobs left on the queue by a restart are taken up without waiting for a new one."""
    if not app.config.get("JOBS_IN_PROCESS"):
        return

    @app.before_request
    def _start_worker() -> None:
        start_in_process(app)


def start_in_process(app: Flask) -> None:
    """Run the queue's worker in this process (threads), once per process (a forked web worker starts its own)."""
    huey = queue(app)
    with _lock:
        running = _consumers.get(id(huey))
        if running is not None and running[0] == os.getpid():
            return
        consumer = _InProcessConsumer(huey, workers=int(app.config.get("JOBS_WORKERS", 1)), periodic=False,
                                      initial_delay=0.05, backoff=1.5, max_delay=0.5, worker_type="thread")
        consumer.start()
        _consumers[id(huey)] = (os.getpid(), consumer)


def run_worker(app: Flask, *, workers: int) -> None:
    """`crmproject worker`: run the queue's workers in the foreground until SIGINT or SIGTERM."""
    huey = queue(app)
    Consumer(huey, workers=workers, periodic=False, worker_type="thread", initial_delay=0.1, backoff=1.5,
             max_delay=2.0, graceful_signal="TERM").run()
