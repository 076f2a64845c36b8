"""How fast a large task plan is read and imported.

Builds its own workbook (a task plan with phases as section rows, outline
numbers, owners, dates and a Gantt grid of week columns), then prints:
  - reading it with crmproject's reader (python-calamine) and with openpyxl's
    read-only mode, rows per second each;
  - analysing it (header, mapping, hierarchy, dates, owners) and saving it in
    one transaction into a fresh SQLite database;
  - the process's peak memory.

    python benchmarks/import_tasks.py [ROWS] [--repeat 3] [--database-url URL ...]

ROWS defaults to 20,000. The save is measured on a temporary SQLite file and on each --database-url (for example
postgresql+psycopg:///crm_bench?host=/var/run/postgresql), which is EMPTIED and rebuilt from the migrations.
The goal (issue 12, item 4): the median save takes at most twice the median read with crmproject's reader.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook

from _database import rebuild  # benchmarks/_database.py: the script's folder is on sys.path


def build(path: Path, rows: int) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Plan")
    ws.append(["Rollout task plan"])
    ws.append([])
    weeks = [f"W{n}" for n in range(1, 27)]
    ws.append(["WBS", "Task", "Owner", "Start", "Finish", "Status", "Predecessors", *weeks])
    start = date(2026, 1, 5)
    phase = 0
    for n in range(rows):
        if n % 500 == 0:
            phase += 1
            ws.append([str(phase), f"Phase {phase}"])
            item = 0
        item += 1
        begin = start + timedelta(days=n % 300)
        ws.append([f"{phase}.{item}", f"Task {n}", f"Owner {n % 40}", begin, begin + timedelta(days=10),
                   ("not started", "in progress", "done")[n % 3], f"{phase}.{item - 1}" if item > 1 else None,
                   *(["x"] if n % 7 == 0 else [])])
    wb.save(path)


def timed(label: str, rows: int, fn):
    began = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - began
    print(f"{label:48} {seconds:7.2f} s  {rows / seconds:10,.0f} rows/s")
    return result, seconds


def save_runs(path: Path, rows: int, database_url: str, label: str, repeat: int) -> list[float]:
    """Analyse once, then save the plan `repeat` times (each into a plan of its own, committed): the save times."""
    import logging

    from crmproject import create_app
    from crmproject.extensions import db
    from crmproject.plans.services import create_plan
    from crmproject.tasks import importer, services

    app = create_app({"SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        logging.disable(logging.WARNING)  # alembic's lines, and the cache's note that the tables it was dropping are gone
        rebuild(app)
        category = services.ensure_categories()[0]
        data = path.read_bytes()
        seconds = []
        for run in range(1, repeat + 1):
            plan = create_plan(name=f"Bench {run}", start=date(2026, 1, 1), end=date(2027, 12, 31))
            db.session.commit()
            preview, _seconds = timed(f"analyse (header, hierarchy, dates, owners) {run}", rows, lambda plan=plan: importer.analyse(
                importer.load_workbook(data, path.name), plan, importer.ImportOptions(create_phases=True)))
            if run == 1:
                print(f"  {len(preview.importable):,} tasks, {len(preview.groups)} phases, {len(preview.issues)} problems")

            def save(preview=preview, plan=plan):
                created = importer.save(preview, plan, actor=None, default_category=category)
                db.session.commit()
                return created

            created, took = timed(f"save in one transaction ({label}) {run}", rows, save)
            assert len(created) == rows, (len(created), rows)
            seconds.append(took)
        db.session.remove()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", nargs="?", type=int, default=20_000)
    parser.add_argument("--database-url", action="append", default=[],
                        help="a database to measure the save on as well (EMPTIED and rebuilt); repeatable")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = args.rows
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    path = folder / "plan.xlsx"
    build(path, rows)
    print(f"task plan: {rows:,} tasks, {path.stat().st_size / 1e6:.1f} MB xlsx; machine: {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")

    from crmproject.spreadsheets import open_workbook, read_table
    from crmproject.tasks import importer

    reads = [timed(f"read with crmproject (python-calamine) {run}", rows,
                   lambda: len(read_table(open_workbook(path).sheets[0], importer.TASK_FIELDS).rows))[1]
             for run in range(1, args.repeat + 1)]

    def openpyxl_read():
        wb = load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return count

    timed("read with openpyxl read-only (for comparison)", rows, openpyxl_read)
    databases = [("SQLite", f"sqlite:///{folder / 'bench.db'}")]
    databases += [("PostgreSQL" if url.startswith("postgresql") else url.split(":")[0], url)
                  for url in args.database_url]
    read = statistics.median(reads)
    verdicts = []
    for label, url in databases:
        save = statistics.median(save_runs(path, rows, url, label, args.repeat))
        ratio = save / read
        verdicts.append(f"goal (issue 12, item 4: saving at most 2x reading the file), {label}: median save "
                        f"{save:.2f} s, median read {read:.2f} s, {ratio:.2f}x: {'met' if ratio <= 2 else 'NOT met'}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")
    for verdict in verdicts:
        print(verdict)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
