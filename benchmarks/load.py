"""Fifty people at once on gunicorn and PostgreSQL (issue 12, item 1).

Builds the large organisation (60 departments, 5,000 people, three years of figures) into a PostgreSQL
database (--database-url, EMPTIED; --skip-build reuses one built earlier), starts gunicorn as the README's
deployment section does (-w 4), logs in 50 sessions of every role (30 department heads, each of their own
department; 10 project manager, 8 executive and 2 administrator sessions) and runs a mixed load from a small
asyncio HTTP client on this same machine:

  - reads: the plan page, the dashboard, the task list, a department page (a head: their own) and the KPI
    register, in turn;
  - writes: every 11th request of a head, project manager or administrator records a KPI value (a day of its
    own each, so none replaces another); executives only read;
  - first with a think time (--think, 1 s) between a user's requests: latency (p50, p95, max) and errors;
  - then with none, to saturate the server: requests per second.

Then it checks in the database that every write answered with a redirect is there, stops the app, starts a bare
Flask app ("hello") on the same gunicorn settings and saturates it with the same client: the stack's ceiling.

The goal (issue 12, item 1): p95 at most 250 ms with 50 users and a 1 s think time, 0 errors, 0 lost writes,
and the app's saturated throughput at least 8% of the bare app's.

    python benchmarks/load.py [--database-url URL] [--skip-build] [--users 50] [--seconds 60] [--think 1.0]
                              [--workers 4]

The client shares the 2 cores with gunicorn and PostgreSQL: its own CPU time is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dashboard import build, load, make_app  # benchmarks/dashboard.py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
P95_TARGET_MS = 250.0
THROUGHPUT_SHARE = 0.08
TOKEN = re.compile(rb'name="csrf_token" type="hidden" value="([^"]+)"')


class HttpError(Exception):
    pass


@dataclass
class Session:
    """One logged-in user: a cookie jar and what they open."""

    email: str
    role: str
    department_id: int | None
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    requests: int = 0
    writes: int = 0


async def http(port: int, session: Session | None, method: str, path: str, form: dict | None = None
               ) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection (gunicorn's sync workers close each one): status, headers, body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        body = urllib.parse.urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
        if session and session.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in session.cookies.items()))
        if form is not None:
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
        raw = await reader.read(-1)
    finally:
        writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    if not status_line.startswith("HTTP/1."):
        raise HttpError(f"no HTTP answer to {method} {path}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.lower() == "set-cookie" and session is not None:
            cookie = value.strip().split(";", 1)[0]
            key, _, cookie_value = cookie.partition("=")
            session.cookies[key] = cookie_value
        headers[name.lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        content = _unchunk(content)
    return int(status_line.split()[1]), headers, content


def _unchunk(data: bytes) -> bytes:
    out, rest = bytearray(), data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2:]
    return bytes(out)


async def log_in(port: int, session: Session, password: str) -> None:
    _status, _headers, page = await http(port, session, "GET", "/login")
    token = TOKEN.search(page)
    if token is None:
        raise HttpError("the login page has no CSRF token")
    status, _headers, _page = await http(port, session, "POST", "/login", {
        "csrf_token": token.group(1).decode(), "email": session.email, "password": password})
    if status != 302:
        raise HttpError(f"{session.email} could not log in: {status}")


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    by_page: dict[str, list[float]] = field(default_factory=dict)  # the same latencies, per kind of request
    errors: list[str] = field(default_factory=list)
    writes_ok: int = 0
    requests: int = 0


_WRITE_DAYS = itertools.count(1)  # each write a day of its own (back from today), so none replaces another


async def user_loop(port: int, session: Session, plan: dict, deadline: float, think: float, run: Run,
                    marker: str, rng: random.Random) -> None:
    reads = ["plan", "dashboard", "tasks", "department", "kpis"]
    while time.monotonic() < deadline:
        session.requests += 1
        write = session.role != "executive" and session.requests % 11 == 0
        if write:
            session.writes += 1
            department = session.department_id or rng.choice(plan["departments"])
            method, path = "POST", f"/plans/{plan['id']}/kpis/{plan['kpi']}/measurements"
            form = {"csrf_token": session.csrf, "department_id": str(department),
                    "measured_on": (date.today() - timedelta(days=next(_WRITE_DAYS) % 900)).isoformat(),
                    "value": str(rng.randint(10, 90)), "note": f"{marker} {session.email} {session.writes}"}
        else:
            page = reads[session.requests % len(reads)]
            department = session.department_id or rng.choice(plan["departments"])
            method, form = "GET", None
            path = {"plan": f"/plans/{plan['id']}", "dashboard": f"/plans/{plan['id']}/dashboard",
                    "tasks": f"/plans/{plan['id']}/tasks", "department": f"/departments/{department}",
                    "kpis": f"/plans/{plan['id']}/kpis"}[page]
        began = time.perf_counter()
        try:
            status, _headers, _body = await http(port, session, method, path, form)
        except (OSError, HttpError, ValueError) as exc:
            run.errors.append(f"{method} {path}: {exc}")
            status = 0
        run.latencies.append((time.perf_counter() - began) * 1000)
        run.by_page.setdefault("KPI value (write)" if write else page, []).append(run.latencies[-1])
        run.requests += 1
        if status and status != (302 if write else 200):
            run.errors.append(f"{method} {path}: {status}")
        elif write and status == 302:
            run.writes_ok += 1
        if think:
            await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))


async def hello_loop(port: int, deadline: float, run: Run) -> None:
    while time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            status, _headers, _body = await http(port, None, "GET", "/")
        except (OSError, HttpError) as exc:
            run.errors.append(str(exc))
            status = 0
        run.latencies.append((time.perf_counter() - began) * 1000)
        run.requests += 1
        if status and status != 200:
            run.errors.append(f"GET /: {status}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn(target: str, workers: int, env: dict, cwd: Path, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
                                    target], env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            if process.poll() is not None:
                sys.exit("gunicorn did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.1)
    sys.exit("gunicorn did not answer within 30 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def sessions_and_plan(app, users: int) -> tuple[list[Session], dict]:
    from sqlalchemy import select

    from crmproject.auth.models import Role, User
    from crmproject.demo.large import LARGE_PLAN_NAME
    from crmproject.departments.models import Department
    from crmproject.extensions import db
    from crmproject.kpis.models import Kpi
    from crmproject.plans.models import Plan

    with app.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.name == LARGE_PLAN_NAME))
        if plan is None:
            sys.exit("the database holds no large organisation: run without --skip-build")
        kpi = db.session.scalar(select(Kpi.id).where(Kpi.plan_id == plan.id, Kpi.department_id.is_(None))
                                .order_by(Kpi.id).limit(1))
        departments = list(db.session.scalars(select(Department.id).order_by(Department.id)))
        heads = db.session.execute(select(User.email, User.department_id).where(User.role == Role.DEPARTMENT_HEAD)
                                   .order_by(User.department_id)).all()
        info = {"id": plan.id, "kpi": kpi, "departments": departments}
        db.session.remove()
    head_count = round(users * 0.6)
    found = [Session(email, "department_head", department_id) for email, department_id in heads[:head_count]]
    others = [("pm@example.com", "project_manager")] * 10 + [("exec@example.com", "executive")] * 8 \
        + [("admin@example.com", "admin")] * 2
    found += [Session(email, role, None) for email, role in others[:users - len(found)]]
    return found, info


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def count_written(app, marker: str) -> int:
    from sqlalchemy import func, select

    from crmproject.extensions import db
    from crmproject.kpis.models import KpiMeasurement

    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(KpiMeasurement)
                                  .where(KpiMeasurement.note.like(f"{marker} %")))
        db.session.remove()
        return int(count or 0)


async def drive(port: int, sessions: list[Session], plan: dict, seconds: float, think: float, marker: str) -> Run:
    run = Run()
    deadline = time.monotonic() + seconds
    rng = random.Random(7)
    await asyncio.gather(*(user_loop(port, s, plan, deadline, think, run, marker, random.Random(rng.random()))
                           for s in sessions))
    return run


def main() -> None:
    import logging

    logging.disable(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql+psycopg:///crm_load?host=/var/run/postgresql")
    parser.add_argument("--skip-build", action="store_true", help="use the large organisation built earlier")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60, help="the think-time run; the saturation runs half")
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    from crmproject.demo.services import DEMO_PASSWORD

    print(f"load benchmark: {load()}; the client runs on this same machine")
    app = make_app(args.database_url)
    if not args.skip_build:
        build_args = argparse.Namespace(departments=60, employees=5000, tasks=5000, kpis=20, years=3)
        seconds, _lines = build(app, build_args)
        print(f"large organisation built in {seconds:.0f} s into {args.database_url.split('?')[0]}")
    sessions, plan = sessions_and_plan(app, args.users)
    folder = Path(tempfile.mkdtemp(prefix="crm-load-"))
    env = {**os.environ, "CRMPROJECT_DATABASE_URL": args.database_url, "CRMPROJECT_SECRET_KEY": "load-benchmark",
           "PYTHONDONTWRITEBYTECODE": "1"}
    marker = f"load-{int(time.time())}"
    process, port = gunicorn("crmproject:create_app()", args.workers, env, folder, folder / "app.log")
    client_cpu = time.process_time()
    try:
        async def setup() -> None:
            for s in sessions:  # one at a time: the address limit counts failed logins only, but be gentle
                await log_in(port, s, DEMO_PASSWORD)
                _status, _h, page = await http(port, s, "GET", f"/plans/{plan['id']}/kpis/{plan['kpi']}")
                token = TOKEN.search(page)
                s.csrf = token.group(1).decode() if token else ""

        asyncio.run(setup())
        warm_up = asyncio.run(drive(port, sessions, plan, 10, args.think, marker))  # caches, connections
        began = time.process_time()
        paced = asyncio.run(drive(port, sessions, plan, args.seconds, args.think, marker))
        paced_cpu = time.process_time() - began
        saturated_began = time.monotonic()
        saturated = asyncio.run(drive(port, sessions, plan, args.seconds / 2, 0, marker))
        saturated_seconds = time.monotonic() - saturated_began
    finally:
        stop(process)
    sent = sum(s.writes for s in sessions)
    landed = count_written(app, marker)
    answered = warm_up.writes_ok + paced.writes_ok + saturated.writes_ok
    hello, hello_port = gunicorn("_hello:app", args.workers, env, HERE, folder / "hello.log")
    try:
        bare_began = time.monotonic()
        bare = Run()

        async def saturate_bare() -> None:
            deadline = time.monotonic() + args.seconds / 2
            await asyncio.gather(*(hello_loop(hello_port, deadline, bare) for _ in sessions))

        asyncio.run(saturate_bare())
        bare_seconds = time.monotonic() - bare_began
    finally:
        stop(hello)
    client_cpu = time.process_time() - client_cpu

    app_rps = saturated.requests / saturated_seconds
    bare_rps = bare.requests / bare_seconds
    p95 = percentile(paced.latencies, 0.95)
    errors = len(warm_up.errors) + len(paced.errors) + len(saturated.errors)
    print(f"gunicorn -w {args.workers}, PostgreSQL; {len(sessions)} sessions "
          f"({sum(s.role == 'department_head' for s in sessions)} heads, "
          f"{sum(s.role == 'project_manager' for s in sessions)} PM, {sum(s.role == 'executive' for s in sessions)} "
          f"executive, {sum(s.role == 'admin' for s in sessions)} admin)")
    print(f"with a {args.think:g} s think time, {args.seconds:g} s: {paced.requests} requests "
          f"({paced.requests / args.seconds:.1f}/s), p50 {percentile(paced.latencies, 0.5):.0f} ms, "
          f"p95 {p95:.0f} ms, max {max(paced.latencies, default=0):.0f} ms, {len(paced.errors)} errors; "
          f"client CPU {paced_cpu:.1f} s")
    print("  median per request there: " + ", ".join(
        f"{page} {percentile(found, 0.5):.0f} ms" for page, found in sorted(paced.by_page.items())))
    print(f"saturated (no think time), {saturated_seconds:.0f} s: {app_rps:.1f} requests/s, "
          f"p95 {percentile(saturated.latencies, 0.95):.0f} ms, {len(saturated.errors)} errors")
    print(f"bare Flask 'hello' on the same gunicorn and client, saturated: {bare_rps:.0f} requests/s "
          f"({len(bare.errors)} errors)")
    print(f"writes (warm-up included): {sent} sent, {answered} answered with a redirect, {landed} found in the "
          "database")
    for error in (warm_up.errors + paced.errors + saturated.errors)[:5]:
        print(f"  error: {error}")
    print(f"client CPU over the whole run: {client_cpu:.0f} s; peak client memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    share = app_rps / bare_rps if bare_rps else 0.0
    verdicts = [
        (f"p95 {p95:.0f} ms <= {P95_TARGET_MS:.0f} ms with {len(sessions)} users and a {args.think:g} s think time",
         p95 <= P95_TARGET_MS),
        (f"{errors} errors", errors == 0),
        (f"{answered - landed} lost writes", landed == answered and answered > 0),
        (f"saturated throughput {share:.1%} of the bare app's >= {THROUGHPUT_SHARE:.0%}", share >= THROUGHPUT_SHARE),
    ]
    for text, met in verdicts:
        print(f"goal (issue 12, item 1): {text}: {'met' if met else 'NOT met'}")
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
