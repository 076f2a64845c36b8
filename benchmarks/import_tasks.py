"""How fast a large task plan is read and imported.

Builds its own workbook (a task plan with phases as section rows, outline
numbers, owners, dates and a Gantt grid of week columns), then prints:
  - reading it with crmproject's reader (python-calamine) and with openpyxl's
    read-only mode, rows per second each;
  - analysing it (header, mapping, hierarchy, dates, owners) and saving it in
    one transaction into a fresh SQLite database;
  - the process's peak memory.

    python benchmarks/import_tasks.py [ROWS]      (default 20000)
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook


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
    print(f"{label:44} {seconds:7.2f} s  {rows / seconds:10,.0f} rows/s")
    return result


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    folder = Path(tempfile.mkdtemp(prefix="crm-bench-"))
    path = folder / "plan.xlsx"
    build(path, rows)
    print(f"task plan: {rows:,} tasks, {path.stat().st_size / 1e6:.1f} MB xlsx")

    from crmproject import create_app
    from crmproject.extensions import db
    from crmproject.spreadsheets import open_workbook, read_table
    from crmproject.tasks import importer, services

    timed("read with crmproject (python-calamine)", rows,
          lambda: len(read_table(open_workbook(path).sheets[0], importer.TASK_FIELDS).rows))

    def openpyxl_read():
        wb = load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for _ in wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        return count

    timed("read with openpyxl read-only (for comparison)", rows, openpyxl_read)

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        from crmproject.plans.services import create_plan

        plan = create_plan(name="Bench", start=date(2026, 1, 1), end=date(2027, 12, 31))
        category = services.ensure_categories()[0]
        data = path.read_bytes()
        preview = timed("analyse (header, hierarchy, dates, owners)", rows, lambda: importer.analyse(
            importer.load_workbook(data, path.name), plan, importer.ImportOptions(create_phases=True)))
        print(f"  {len(preview.importable):,} tasks, {len(preview.groups)} phases, {len(preview.issues)} problems")

        def save():
            created = importer.save(preview, plan, actor=None, default_category=category)
            db.session.commit()
            return created

        timed("save in one transaction (SQLite)", rows, save)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
