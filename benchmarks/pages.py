"""Server time of every main page on the large organisation, with the dashboard cache off (issue 12, item 2).

Builds the large demo organisation twice, at 12 and at 60 departments (the same people, tasks and KPI rows per
department: 5,000 people and 5,000 tasks at 60), each into a temporary SQLite file (or --database-url, EMPTIED,
one size after the other), logs in as the administrator (who sees every page) with the app's test client
(in-process: the times are the server's own, without a network) and requests each page --requests times after
one warm-up, the dashboard cache off. Prints each page's median and SQL statements at both sizes, and its growth
per department between them.

The goal (issue 12, item 2): at 60 departments every page's median at most 30 ms, the dashboard's at most 60 ms,
and no page growing by more than 0.3 ms per department from 12 to 60 departments.

    python benchmarks/pages.py [--requests 15] [--sizes 12,60] [--database-url URL] [--keep DIR]

--keep DIR builds into DIR/large-<size>.db and reuses those files when they exist (delete them to rebuild).
The machine's load average is printed before and after: other processes on a 2-core machine slow every figure.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from dashboard import as_url, build, count_queries, load, make_app, timed  # benchmarks/dashboard.py

PAGE_TARGET_MS = 30.0
DASHBOARD_TARGET_MS = 60.0
GROWTH_TARGET_MS = 0.3  # per department
EMPLOYEES_PER_DEPARTMENT = 5000 / 60
TASKS_PER_DEPARTMENT = 5000 / 60


def pages(app) -> dict[str, str]:
    """The main pages, as the layout test names them, on the large plan and its first department."""
    from sqlalchemy import select

    from crmproject.demo.large import LARGE_PLAN_NAME
    from crmproject.departments.models import Department
    from crmproject.extensions import db
    from crmproject.kpis.models import Kpi
    from crmproject.plans.models import Plan

    with app.app_context():
        plan_id = db.session.scalar(select(Plan.id).where(Plan.name == LARGE_PLAN_NAME))
        department_id = db.session.scalar(select(Department.id).order_by(Department.id).limit(1))
        kpi_id = db.session.scalar(select(Kpi.id).where(Kpi.plan_id == plan_id).order_by(Kpi.id).limit(1))
        db.session.remove()
    plan = f"/plans/{plan_id}"
    return {
        "home": "/", "plan": plan, "dashboard": f"{plan}/dashboard", "team": f"{plan}/team", "RACI": f"{plan}/raci",
        "KPIs": f"{plan}/kpis", "KPI page": f"{plan}/kpis/{kpi_id}", "reports": f"{plan}/reports",
        "report form": f"{plan}/reports/write?department={department_id}", "tasks": f"{plan}/tasks",
        "board": f"{plan}/tasks/board", "adoption": f"{plan}/adoption", "key actions": f"{plan}/adoption/key-actions",
        "training": "/training/", "department page": f"/departments/{department_id}",
        "people": f"/departments/{department_id}/adoption/people", "imports": "/adoption/imports",
        "users": "/admin/users",
        "maturity": f"{plan}/maturity/", "risks": f"{plan}/risks/", "readiness pulse": f"{plan}/pulse/",
        "change impact": f"{plan}/impact/", "gates": f"{plan}/gates/",
    }


def measure_size(size: int, url: str, args: argparse.Namespace, reuse: bool) -> dict[str, tuple[float, int]]:
    """{page: (median ms, SQL statements)} at one size."""
    from crmproject.demo.services import DEMO_PASSWORD

    app = make_app(url)
    if not reuse:
        build_args = argparse.Namespace(departments=size, employees=round(EMPLOYEES_PER_DEPARTMENT * size),
                                        tasks=round(TASKS_PER_DEPARTMENT * size), kpis=20, years=3)
        seconds, _lines = build(app, build_args)
        print(f"  {size} departments built in {seconds:.0f} s into {url.split('?')[0]}")
    app.config["DASHBOARD_CACHE"] = False
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@example.com", "password": DEMO_PASSWORD})
    if response.status_code != 302:
        sys.exit(f"could not log in as the administrator: {response.status_code}")
    found = {}
    for name, path in pages(app).items():
        times = list(timed(client, path, args.requests))
        found[name] = (statistics.median(times), count_queries(app, client, path))
    return found


def main() -> None:
    import logging

    logging.disable(logging.WARNING)  # alembic's lines while the organisations are built
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=15, help="requests per page after one warm-up")
    parser.add_argument("--sizes", default="12,60", help="department counts, smallest first")
    parser.add_argument("--database-url", default="", help="build into this database (EMPTIED for each size)")
    parser.add_argument("--keep", default=None, help="build into DIR/large-<size>.db, reuse them when present")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"pages benchmark: {load()}; the app's test client in this process, dashboard cache off")
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crm-pages-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    began = time.perf_counter()
    for size in sizes:
        if args.database_url:
            url, reuse = args.database_url, False
        else:
            path = folder / f"large-{size}.db"
            url, reuse = as_url(str(path)), bool(args.keep) and path.exists()
        results[size] = measure_size(size, url, args, reuse)
    small, large = sizes[0], sizes[-1]
    print(f"\n{'page':18} " + " ".join(f"{f'{s} depts ms':>13} {'SQL':>4}" for s in sizes)
          + f" {'ms/dept':>8}  verdict")
    failures = []
    for name in results[large]:
        growth = (results[large][name][0] - results[small][name][0]) / (large - small) if large > small else 0.0
        target = DASHBOARD_TARGET_MS if name == "dashboard" else PAGE_TARGET_MS
        met = results[large][name][0] <= target and growth <= GROWTH_TARGET_MS
        if not met:
            failures.append(name)
        print(f"{name:18} " + " ".join(f"{results[s][name][0]:13.1f} {results[s][name][1]:4d}" for s in sizes)
              + f" {growth:8.2f}  {'met' if met else 'NOT met'} (<= {target:.0f} ms, <= {GROWTH_TARGET_MS} ms/dept)")
    medians = [results[large][name][0] for name in results[large]]
    print(f"\nmedian over the pages at {large} departments: {statistics.median(medians):.1f} ms; "
          f"measured in {time.perf_counter() - began:.0f} s")
    print(f"goal (issue 12, item 2): every page's median <= {PAGE_TARGET_MS:.0f} ms (dashboard <= "
          f"{DASHBOARD_TARGET_MS:.0f} ms) at {large} departments and growing <= {GROWTH_TARGET_MS} ms per department: "
          + ("met" if not failures else f"NOT met ({len(failures)} of {len(medians)} pages: {', '.join(failures)})"))
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
