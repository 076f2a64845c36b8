"""How fast a year of CRM usage is imported and turned into adoption figures (issue 5, point 5).

Builds its own data: 5,000 employees with CRM user names in 60 departments
(every 25th moves department during the year), and a year of their usage
(logins, views, creates, updates... on working days mostly, in office hours,
Europe/Berlin time, so daylight saving changes are crossed), plus a few
service accounts the roster does not know. The events are written as a CSV
export (User Name, Timestamp, Action, Object) and as the same table in an
xlsx workbook with real date-time cells; building them is not measured.

Each measured run is a fresh subprocess, so the peak memory it reports
(ru_maxrss: the process's peak resident set, its setup included) is its own:
  - import + recompute of the CSV into a fresh database (crmproject.adoption.usage.import_usage)
  - the same for the xlsx
  - python-calamine reading the xlsx (no import), and openpyxl's read-only parse of the same
    file, for comparison: what reading alone costs with each library.

    python benchmarks/usage_import.py [--rows 1000000] [--repeat N] [--database-url URL ...] [--keep DIR]

The machine's load average is printed before and after: other processes on
a 2-core machine slow every figure (python-calamine's plain read is a good
yardstick: about 2.7 s for the million rows on an idle machine). --repeat
runs each import N times, each into a fresh database, and prints every run.

Each file is imported into a temporary SQLite file per run and into every
database a --database-url names (for example
postgresql+psycopg:///crm_bench?host=/var/run/postgresql), which is EMPTIED
and rebuilt from the migrations for every run. The goal printed, met or NOT
met per file and database (issue 12, item 3): the whole import at most a
third of openpyxl's bare read-only parse of the same xlsx, measured in the
same run, and a peak under 500 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from _database import rebuild  # benchmarks/_database.py: the script's folder is on sys.path

ZONE = "Europe/Berlin"
FIRST_DAY = date(2025, 1, 1)
DAYS = 365
SEED = 20260522
ACTIONS = (("View", 40), ("Update", 22), ("Login", 14), ("Create", 12), ("Export", 6), ("Delete", 3),
           ("Logout", 3))
OBJECTS = ("Account", "Contact", "Opportunity", "Lead", "Case", "Quote", "Campaign")
SERVICE_ACCOUNTS = [f"svc.integration{n:02d}" for n in range(1, 21)]


# --- the organisation and its usage -------------------------------------------------------------------


def roster(employees: int, departments: int) -> tuple[list[dict], list[dict], list[dict]]:
    """Departments, employees and their department stays: the same every time (a fixed seed)."""
    rng = random.Random(SEED)
    headcount = [0] * departments
    for n in range(employees):
        headcount[n % departments] += 1
    depts = [{"id": d + 1, "name": f"Department {d + 1:02d}", "code": f"D{d + 1:02d}", "headcount": headcount[d],
              "licensed_seats": headcount[d] + headcount[d] // 10} for d in range(departments)]
    people, stays = [], []
    for n in range(employees):
        home = n % departments + 1
        people.append({"id": n + 1, "name": f"Employee {n + 1:04d}", "crm_username": username(n),
                       "crm_username_key": username(n).casefold(), "department_id": home, "job_role": "",
                       "active": True})
        if n % 25 == 0:  # moves department during the year
            moved = FIRST_DAY + timedelta(days=rng.randint(30, 330))
            new = (home + 6) % departments + 1
            stays.append({"employee_id": n + 1, "department_id": home, "valid_from": date(2024, 1, 1),
                          "valid_to": moved - timedelta(days=1)})
            stays.append({"employee_id": n + 1, "department_id": new, "valid_from": moved, "valid_to": None})
            people[-1]["department_id"] = new
        else:
            stays.append({"employee_id": n + 1, "department_id": home, "valid_from": date(2024, 1, 1),
                          "valid_to": None})
    return depts, people, stays


def username(n: int) -> str:
    return f"user{n + 1:04d}@northwind.example"


def write_exports(folder: Path, rows: int, employees: int) -> tuple[Path, Path]:
    """The same year of events as usage.csv and usage.xlsx, written in one streaming pass."""
    rng = random.Random(SEED + 1)
    weights = [0.15 if (FIRST_DAY + timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(DAYS)]
    scale = rows / sum(weights)
    per_day = [int(w * scale) for w in weights]
    per_day[-1] += rows - sum(per_day)
    action_names = [name for name, weight in ACTIONS for _ in range(weight)]
    names = [username(n) for n in range(employees)]
    csv_path, xlsx_path = folder / "usage.csv", folder / "usage.xlsx"
    xlsx = _XlsxWriter(xlsx_path, ["User Name", "Timestamp", "Action", "Object"], rows + 1)
    with csv_path.open("w", encoding="utf-8", newline="") as out:
        out.write("User Name,Timestamp,Action,Object\r\n")
        for offset, count in enumerate(per_day):
            day = datetime.combine(FIRST_DAY + timedelta(days=offset), datetime.min.time())
            seconds = sorted(rng.randrange(8 * 3600, 19 * 3600) for _ in range(count))
            lines = []
            for second in seconds:
                user = names[rng.randrange(employees)] if rng.random() > 0.004 else rng.choice(SERVICE_ACCOUNTS)
                action = rng.choice(action_names)
                obj = "" if action in ("Login", "Logout") else rng.choice(OBJECTS)
                moment = day + timedelta(seconds=second)
                lines.append(f"{user},{moment:%Y-%m-%d %H:%M:%S},{action},{obj}\r\n")
                xlsx.row(user, moment, action, obj)
            out.write("".join(lines))
    xlsx.close()
    return csv_path, xlsx_path


class _XlsxWriter:
    """A minimal streaming .xlsx writer (shared strings, one date-time style): openpyxl's write-only mode
    needs minutes for a million rows, and building the data is not what is measured."""

    EPOCH = datetime(1899, 12, 30)

    def __init__(self, path: Path, header: list[str], rows: int) -> None:
        self.zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self.strings: dict[str, int] = {}
        self.sheet = self.zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self.sheet.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + f'<dimension ref="A1:D{rows}"/><sheetData>'.encode())
        self.number = 0
        self.buffer: list[str] = []
        self.row(*header)

    def _string(self, text: str) -> int:
        index = self.strings.get(text)
        if index is None:
            index = self.strings[text] = len(self.strings)
        return index

    def row(self, *values) -> None:
        self.number += 1
        n = self.number
        cells = []
        for column, value in zip("ABCD", values, strict=False):
            if isinstance(value, datetime):
                serial = (value - self.EPOCH).total_seconds() / 86400
                cells.append(f'<c r="{column}{n}" s="1"><v>{serial!r}</v></c>')
            elif value:
                cells.append(f'<c r="{column}{n}" t="s"><v>{self._string(value)}</v></c>')
        self.buffer.append(f'<row r="{n}">{"".join(cells)}</row>')
        if len(self.buffer) >= 10_000:
            self.sheet.write("".join(self.buffer).encode())
            self.buffer.clear()

    def close(self) -> None:
        self.sheet.write("".join(self.buffer).encode() + b"</sheetData></worksheet>")
        self.sheet.close()
        main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        package = "http://schemas.openxmlformats.org/package/2006"
        kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        self.zip.writestr("[Content_Types].xml", (
            f'{head}<Types xmlns="{package}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kinds}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{kinds}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kinds}.sharedStrings+xml"/></Types>'))
        self.zip.writestr("_rels/.rels", (
            f'{head}<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        self.zip.writestr("xl/workbook.xml", (
            f'{head}<workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="Usage" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        self.zip.writestr("xl/_rels/workbook.xml.rels", (
            f'{head}<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'))
        self.zip.writestr("xl/styles.xml", (
            f'{head}<styleSheet xmlns="{main}"><numFmts count="1">'
            '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
            '</styleSheet>'))
        strings = "".join(f"<si><t>{escape(text)}</t></si>" for text in self.strings)
        self.zip.writestr("xl/sharedStrings.xml", (
            f'{head}<sst xmlns="{main}" count="{len(self.strings)}" uniqueCount="{len(self.strings)}">'
            f'{strings}</sst>'))
        self.zip.close()


# --- the measured runs (each in its own process) -----------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import(path: Path, database_url: str, employees: int, departments: int) -> dict:
    """Rebuild the database with the roster, then import the file and recompute adoption: timed."""
    from sqlalchemy import func, insert, select, text

    from crmproject import create_app
    from crmproject.adoption.models import AdoptionSnapshot
    from crmproject.adoption.usage import adoption_rate, import_usage
    from crmproject.departments.models import Department
    from crmproject.extensions import db
    from crmproject.roster.models import Employee, EmployeeDepartment

    app = create_app({"SECRET_KEY": "benchmark", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        rebuild(app)
        depts, people, stays = roster(employees, departments)
        db.session.execute(insert(Department), depts)
        db.session.execute(insert(Employee), people)
        db.session.execute(insert(EmployeeDepartment), stays)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            for table in ("departments", "employees"):  # ids were given: move the sequences past them
                db.session.execute(text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        setup_peak = peak_mb()

        marks: dict[int, float] = {}

        def progress(percent: int) -> None:
            for mark in (80, 90):
                if percent >= mark and mark not in marks:
                    marks[mark] = time.perf_counter()

        began = time.perf_counter()
        record = import_usage(path, timezone=ZONE, progress=progress)
        seconds = time.perf_counter() - began
        snapshots = db.session.scalar(select(func.count()).select_from(AdoptionSnapshot))
        last = db.session.scalar(select(AdoptionSnapshot).where(AdoptionSnapshot.department_id == 1)
                                 .order_by(AdoptionSnapshot.day.desc()).limit(1))
        return {
            "seconds": seconds, "peak_mb": peak_mb(), "setup_peak_mb": setup_peak,
            "read_seconds": marks.get(80, began) - began,
            "save_seconds": marks.get(90, began) - marks.get(80, began),
            "recompute_seconds": began + seconds - marks.get(90, began),
            "rows_read": record.rows_read, "events_added": record.events_added, "duplicates": record.duplicates,
            "unknown_users": len(json.loads(record.unknown_usernames)), "unknown_events": record.unknown_events,
            "snapshots": snapshots, "first_day": str(record.first_day), "last_day": str(record.last_day),
            "adoption": f"{last.day}: {adoption_rate(last)}% (28-day active {last.monthly_active_users} "
                        f"of {last.licensed_seats} seats, Department 01)" if last else "",
        }


def run_calamine(path: Path) -> dict:
    from python_calamine import CalamineWorkbook

    began = time.perf_counter()
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    rows = sum(1 for _row in sheet.iter_rows())
    return {"seconds": time.perf_counter() - began, "rows": rows, "peak_mb": peak_mb()}


def run_openpyxl(path: Path) -> dict:
    from openpyxl import load_workbook

    began = time.perf_counter()
    workbook = load_workbook(path, read_only=True)
    rows = sum(1 for _row in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return {"seconds": time.perf_counter() - began, "rows": rows, "peak_mb": peak_mb()}


def _database_name(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgresql") else url.split(":")[0]


def child(args: argparse.Namespace) -> None:
    path = Path(args.file)
    if args.phase == "import":
        result = run_import(path, args.database_url, args.employees, args.departments)
    elif args.phase == "calamine":
        result = run_calamine(path)
    else:
        result = run_openpyxl(path)
    print("RESULT " + json.dumps(result))


def measure(phase: str, path: Path, args: argparse.Namespace, database_url: str = "") -> dict:
    command = [sys.executable, __file__, "--phase", phase, "--file", str(path), "--employees", str(args.employees),
               "--departments", str(args.departments), "--database-url", database_url or ""]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        sys.exit(f"{phase} of {path.name} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(lines[-1][len("RESULT "):])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=5_000)
    parser.add_argument("--departments", type=int, default=60)
    parser.add_argument("--database-url", action="append", default=[],
                        help="a database to import into as well as SQLite (EMPTIED and rebuilt); repeatable")
    parser.add_argument("--keep", default=None, help="write the exports (and SQLite files) here and keep them")
    parser.add_argument("--repeat", type=int, default=1, help="import each file this many times (fresh databases)")
    parser.add_argument("--skip-openpyxl", action="store_true", help="leave out the slow openpyxl comparison")
    parser.add_argument("--phase", choices=["import", "calamine", "openpyxl"], help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        args.database_url = args.database_url[0]
        child(args)
        return

    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crm-usage-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        began = time.perf_counter()
        csv_path, xlsx_path = write_exports(folder, args.rows, args.employees)
        built = time.perf_counter() - began
        print(f"usage import benchmark: {args.rows:,} events of {args.employees:,} employees in "
              f"{args.departments} departments, {FIRST_DAY} to {FIRST_DAY + timedelta(days=DAYS - 1)} ({ZONE})")
        print(f"exports: {csv_path.name} {csv_path.stat().st_size / 1e6:.1f} MB, {xlsx_path.name} "
              f"{xlsx_path.stat().st_size / 1e6:.1f} MB (built in {built:.1f} s, not measured)")
        databases = [("SQLite", "")] + [(_database_name(url), url) for url in args.database_url]
        print("databases: SQLite (a fresh temporary file per run)"
              + "".join(f", {url.split('?')[0]} (emptied per run)" for url in args.database_url)
              + f"; machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
              f"load average {os.getloadavg()[0]:.2f}")
        print()
        results: dict[str, list[dict]] = {}
        for database, given in databases:
            for label, path in (("CSV", csv_path), ("xlsx", xlsx_path)):
                url = given or f"sqlite:///{folder / f'bench-{label.lower()}.db'}"
                results[f"{label}, {database}"] = [measure("import", path, args, url)
                                                   for _run in range(max(1, args.repeat))]
        calamine = measure("calamine", xlsx_path, args)
        openpyxl = None if args.skip_openpyxl else measure("openpyxl", xlsx_path, args)

        print(f"{'run':46} {'seconds':>8} {'rows/s':>10} {'peak MB':>8}")
        for label, runs in results.items():
            for number, result in enumerate(runs, start=1):
                name = f"import + recompute, {label}" + (f" (run {number})" if len(runs) > 1 else "")
                print(f"{name:46} {result['seconds']:8.2f} "
                      f"{result['rows_read'] / result['seconds']:10,.0f} {result['peak_mb']:8.0f}")
                print(f"    read and check {result['read_seconds']:.2f} s, save {result['save_seconds']:.2f} s, "
                      f"adoption recomputed {result['recompute_seconds']:.2f} s; "
                      f"setup peak {result['setup_peak_mb']:.0f} MB")
            result = runs[0]
            print(f"    {result['rows_read']:,} rows, {result['events_added']:,} events added, "
                  f"{result['duplicates']:,} duplicates, {result['unknown_events']:,} events of "
                  f"{result['unknown_users']} unknown users; {result['snapshots']:,} snapshots "
                  f"{result['first_day']} to {result['last_day']}")
            print(f"    adoption {result['adoption']}")
        print(f"{'python-calamine read only, xlsx':46} {calamine['seconds']:8.2f} "
              f"{calamine['rows'] / calamine['seconds']:10,.0f} {calamine['peak_mb']:8.0f}")
        if openpyxl:
            print(f"{'openpyxl read-only parse only, xlsx':46} {openpyxl['seconds']:8.2f} "
                  f"{openpyxl['rows'] / openpyxl['seconds']:10,.0f} {openpyxl['peak_mb']:8.0f}")
            print(f"openpyxl takes {openpyxl['seconds'] / calamine['seconds']:.1f}x python-calamine's time to read "
                  "the xlsx")
        print()
        limit = openpyxl["seconds"] / 3 if openpyxl else None
        print("goal (issue 12, item 3): each whole import (reading, checking, saving, recomputing) at most 1/3 of "
              "openpyxl's bare read-only parse of the same xlsx"
              + (f" ({limit:.2f} s in this run)" if limit else " (not checked: --skip-openpyxl)")
              + ", peak memory under 500 MB")
        for label, runs in results.items():
            for number, result in enumerate(runs, start=1):
                name = label + (f" (run {number})" if len(runs) > 1 else "")
                if limit is None:
                    print(f"  {name}: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB: ratio not checked")
                    continue
                ratio = result["seconds"] / openpyxl["seconds"]
                met = result["seconds"] <= limit and result["peak_mb"] < 500
                print(f"  {name}: {result['seconds']:.2f} s = {ratio:.2f} of openpyxl's parse, peak "
                      f"{result['peak_mb']:.0f} MB: {'met' if met else 'NOT met'}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
