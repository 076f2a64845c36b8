"""How fast the leadership dashboard and report are for a large organisation.

Builds the large demo organisation (crmproject.demo.large: 60 departments,
5,000 people, three years of daily adoption per department, 5,000 change
tasks, 20 KPIs measured monthly per department, status reports, training)
into a temporary SQLite database, then, with the app's test client
(in-process, so the times are the server's own, without a network):

  - GET /login as a logged-out visitor: the yardstick of a cheap page;
  - GET /plans/<id>/dashboard as exec@example.com, with the dashboard cache
    on (as served), right after each of a series of task edits (a committed
    write makes the cached page stale: it is rebuilt, while the weekly
    adoption and KPI statuses behind it, whose tables did not change, are
    kept), and off (everything computed on every request);
  - the SQL statements one dashboard request runs (cache on and off);
  - writing the leadership report (crmproject.dashboard.report.write_report)
    into memory.

Each page is requested once to warm up, then --requests times; the median,
min and max are printed, with the targets: dashboard median <= 150 ms and
<= 5x the login page's median; report <= 5 s.

    python benchmarks/dashboard.py [--requests 25] [--keep FILE] [--skip-build FILE_OR_URL]
                                   [--database-url URL] [--departments 60 --employees 5000 ...]

--keep FILE builds into that SQLite file and keeps it; --skip-build reuses
such a file (or a database URL) as it is, so only the measuring runs. The
database --database-url names is EMPTIED and rebuilt from the migrations.
The machine's load average is printed before and after: other processes on
a 2-core machine slow every figure.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from _database import rebuild  # benchmarks/_database.py: the script's folder is on sys.path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DASHBOARD_TARGET_MS = 150.0
DASHBOARD_LOGIN_RATIO = 5.0
REPORT_TARGET_S = 5.0


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def as_url(value: str) -> str:
    """A database URL, or a SQLite file given by its path."""
    return value if "://" in value else f"sqlite:///{Path(value).resolve()}"


def make_app(url: str):
    from crmproject import create_app

    # CSRF is off so the benchmark can post the login form without reading its token
    return create_app({"SECRET_KEY": "benchmark", "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False})


def build(app, args: argparse.Namespace) -> tuple[float, list[str]]:
    """Empty the database, migrate it and build the large organisation: seconds taken and what was built."""
    from sqlalchemy import text

    from crmproject.demo.large import load_large_demo
    from crmproject.extensions import db

    with app.app_context():
        rebuild(app)
        began = time.perf_counter()
        summary = load_large_demo(today=date.today(), departments=args.departments, employees=args.employees,
                                  tasks=args.tasks, kpis=args.kpis, years=args.years)
        db.session.commit()
        seconds = time.perf_counter() - began
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        db.engine.dispose()
    return seconds, summary.describe()


def timed(client, path: str, count: int, before=None) -> list[float]:
    """Milliseconds of `count` GETs after one warm-up; stops the benchmark on anything but 200.
    `before`, if given, runs before each request, outside the timing."""
    for n in range(count + 1):
        if before is not None:
            before()
        began = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            sys.exit(f"GET {path} answered {response.status_code}, not 200:\n{response.get_data(as_text=True)[:2000]}")
        if n:
            yield elapsed


def figures(times: list[float]) -> str:
    return (f"median {statistics.median(times):7.1f} ms   min {min(times):7.1f} ms   max {max(times):7.1f} ms"
            f"   ({len(times)} requests)")


def count_queries(app, client, path: str) -> int:
    """SQL statements one GET of `path` runs."""
    from sqlalchemy import event

    from crmproject.extensions import db

    with app.app_context():
        engine = db.engine
    statements = []

    def note(connection, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(statements)


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=25, help="requests per page after one warm-up")
    parser.add_argument("--database-url", default="", help="build into this database (it is emptied first)")
    parser.add_argument("--keep", default=None, help="build into this SQLite file and keep it for --skip-build")
    parser.add_argument("--skip-build", default=None, metavar="FILE_OR_URL",
                        help="measure a database built earlier (for example with --keep) as it is")
    parser.add_argument("--report-runs", type=int, default=1, help="write the report this many times")
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--employees", type=int, default=5000)
    parser.add_argument("--tasks", type=int, default=5000)
    parser.add_argument("--kpis", type=int, default=20)
    parser.add_argument("--years", type=int, default=3)
    args = parser.parse_args()

    print(f"dashboard benchmark: {load()}")
    folder = None
    if args.skip_build:
        url = as_url(args.skip_build)
        app = make_app(url)
        print(f"database: {url} (built earlier, not rebuilt)")
    else:
        if args.database_url:
            url = args.database_url
        elif args.keep:
            Path(args.keep).unlink(missing_ok=True)
            url = as_url(args.keep)
        else:
            folder = tempfile.mkdtemp(prefix="crm-dashboard-bench-")
            url = as_url(str(Path(folder) / "large.db"))
        app = make_app(url)
        seconds, lines = build(app, args)
        print(f"database: {url}")
        print(f"large demo built in {seconds:.1f} s:")
        for line in lines:
            print(f"  {line}")
    try:
        measure(app, args)
    finally:
        if folder:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    print(f"after: {load()}")


def measure(app, args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from crmproject.demo.large import LARGE_PLAN_NAME
    from crmproject.demo.services import DEMO_PASSWORD
    from crmproject.extensions import db
    from crmproject.plans.models import Plan

    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id).where(Plan.name == LARGE_PLAN_NAME))
        if plan_id is None:
            sys.exit(f"the database has no plan named {LARGE_PLAN_NAME!r}: build it first (leave out --skip-build)")
        db.session.remove()

    visitor = app.test_client()
    login_times = list(timed(visitor, "/login", args.requests))

    client = app.test_client()
    response = client.post("/login", data={"email": "exec@example.com", "password": DEMO_PASSWORD})
    if response.status_code != 302:
        sys.exit(f"logging in as exec@example.com failed ({response.status_code})")
    from flask import url_for

    with app.test_request_context():
        path = url_for("dashboard.show", plan_id=plan_id)  # /plans/<id>/dashboard

    app.config["DASHBOARD_CACHE"] = False
    began = time.perf_counter()
    client.get(path)
    cold_ms = (time.perf_counter() - began) * 1000
    uncached_queries = count_queries(app, client, path)
    uncached = list(timed(client, path, args.requests))
    app.config["DASHBOARD_CACHE"] = True
    cached = list(timed(client, path, args.requests))
    cached_queries = count_queries(app, client, path)

    def task_updated() -> None:
        """A department head updates a change task: the page is stale, the weekly adoption behind it is not."""
        from sqlalchemy import text

        with app.app_context():
            db.session.execute(text("UPDATE change_tasks SET description = description || '.' "
                                    "WHERE id = (SELECT min(id) FROM change_tasks)"))
            db.session.commit()

    after_write = list(timed(client, path, args.requests, before=task_updated))

    report_seconds, size = [], 0
    with app.app_context():
        from crmproject.dashboard.report import write_report
        from crmproject.plans.services import plan_today

        plan = db.session.get(Plan, plan_id)
        for _run in range(args.report_runs):
            output = io.BytesIO()
            began = time.perf_counter()
            write_report(plan, output, today=plan_today(plan))
            report_seconds.append(time.perf_counter() - began)
            size = len(output.getvalue())

    login_median = statistics.median(login_times)
    print()
    print(f"GET /login (logged out)            {figures(login_times)}")
    print(f"GET {path} first request     {cold_ms:7.1f} ms (cache off, cold process)")
    print(f"GET {path} cache off         {figures(uncached)}   {uncached_queries} SQL statements")
    print(f"GET {path} cache on          {figures(cached)}   {cached_queries} SQL statements")
    print(f"GET {path} after a task edit {figures(after_write)}   (the page is rebuilt, its costly parts kept)")
    print("leadership report (write_report to memory): "
          + ", ".join(f"{s:.2f} s" for s in report_seconds) + f"   ({size / 1024:.0f} KiB)")
    print()
    for label, times in (("cache off", uncached), ("cache on", cached), ("after a task edit", after_write)):
        median = statistics.median(times)
        ratio = median / login_median if login_median else float("inf")
        print(f"dashboard {label}: median {median:.1f} ms <= {DASHBOARD_TARGET_MS:.0f} ms: "
              f"{verdict(median <= DASHBOARD_TARGET_MS)}; {ratio:.1f}x the login page <= {DASHBOARD_LOGIN_RATIO:g}x: "
              f"{verdict(ratio <= DASHBOARD_LOGIN_RATIO)}")
    slowest = max(report_seconds)
    print(f"report: {slowest:.2f} s <= {REPORT_TARGET_S:g} s: {verdict(slowest <= REPORT_TARGET_S)}")


if __name__ == "__main__":
    main()
