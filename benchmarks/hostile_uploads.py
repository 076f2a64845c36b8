"""Hostile uploads against every importer (issue 10, item 4, and its review): refused within seconds, memory bounded.

Builds hostile files at a realistic size (each upload under the 20 MB upload limit; building is not measured):
  - zip bomb: a 7 MB .xlsx task plan whose sheet XML unpacks to about 1.5 GB, and the same with its headers
    lying (declaring 400 MB);
  - wide CSV: 9.9 MB, lines of 1,000,000 columns;
  - quoted '>': a 1.4 KB .xlsx whose far cell (XFD1048576) follows an attribute holding '>' (M1), and one whose
    cell has a second r attribute (python-calamine keeps the last);
  - .ods repeats: 9 KB, a row of 16,384 repeated cells repeated 2,000 times (4 GB) behind an attribute holding '>' (M2);
  - .xls sheet behind EOF: a cell moved to IV65536 in a sheet the globals' EOF record claims to hold (M3), and an
    .xls whose DIMENSIONS record declares 4 billion rows (python-calamine reserves room for them);
  - shared strings: 14 MB, 500 MB of one-letter shared strings (M4); a table announcing 2,000,000,000 strings;
    one 32 KB string shown in 1,500,000 cells (python-calamine copies it into each: 48 GB);
  - .xlsb record: 6.9 MB, a record header announcing 256 MB (M5);
  - split record CSV: 17 MB, one record of 3,000,000 fields spread over short lines by quoted line breaks (M6);
  - cell records: 19 MB, 6,000,000 cell records at B2 inside a declared A1:B2 (S2);
and feeds each to every importer the way a worker meets it, each run in a fresh subprocess with its own SQLite
database:
  - tasks, upload step of the wizard (the app's test client, logged in);
  - tasks, the wizard's preview of an upload kept earlier (reloading the preview URL);
  - tasks, kpis, roster, training and usage through `crmproject import ...`;
  - usage through the import page, whose background job records the failed import.
For each it prints the time from the request (or command) to the refusal, the peak resident memory above the
worker's idle size during it (the peak is reset with /proc/self/clear_refs right before, so setup does not count),
and the start of the message shown. The goal, from the issue: refused with a message naming the file and the limit
(or the damage) within 10 s, memory well under 300 MB above idle, nothing saved.

    python benchmarks/hostile_uploads.py [--keep DIR] [--unpacked-mb 1500] [--files NAME,...] [--runs TEXT,...]
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

GOAL_SECONDS = 10
GOAL_MB = 300
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
RUNS = ("tasks upload (web)", "tasks preview of a kept upload (web)", "tasks (CLI)", "kpis (CLI)", "roster (CLI)",
        "training (CLI)", "usage (CLI)", "usage import page (web, background job)")


# --- the files ---------------------------------------------------------------------------------------


def build_zip_bomb(path: Path, unpacked: int) -> None:
    """A task plan whose sheet repeats rows, with a little random text per megabyte so it packs to about 7 MB."""
    rng = random.Random(10)
    row = b'<row><c t="inlineStr"><is><t>Kickoff</t></is></c><c t="inlineStr"><is><t>Ann</t></is></c></row>'
    repeated = row * (1024 * 1024 // len(row))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        package.writestr("[Content_Types].xml", f'<Types xmlns="{PACKAGE}/content-types"/>')
        package.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        package.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                            '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>')
        package.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE}/relationships">'
                         f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                         "</Relationships>")
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:  # under 2 GB: plain 32-bit sizes
            sheet.write(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Task</t>'
                        '</is></c><c r="B1" t="inlineStr"><is><t>Owner</t></is></c></row>'.encode())
            written = 0
            while written < unpacked:
                noise = base64.b64encode(rng.randbytes(1500))
                sheet.write(b'<row><c t="inlineStr"><is><t>' + noise + b"</t></is></c></row>" + repeated)
                written += len(repeated) + len(noise) + 40
            sheet.write(b"</sheetData></worksheet>")


def build_lying_bomb(bomb: Path, path: Path, declared: int) -> None:
    """The zip bomb with its sheet's headers (central directory and local) saying it unpacks to `declared` bytes."""
    data = bytearray(bomb.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) != -1:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + length] == name:
            struct.pack_into("<I", data, position + 24, declared)
            struct.pack_into("<I", data, struct.unpack_from("<I", data, position + 42)[0] + 22, declared)
            break
        position += 4
    path.write_bytes(bytes(data))


def _xlsx(path: Path, sheet: bytes | None = None, *, pieces=None, shared: bytes | None = None,
          compresslevel: int = 6) -> None:
    """A one-sheet .xlsx task plan (the sheet written whole or in pieces), with shared strings when given."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as package:
        package.writestr("[Content_Types].xml", f'<Types xmlns="{PACKAGE}/content-types"/>')
        package.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        package.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                            '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>')
        shared_rel = (f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                      if shared is not None else "")
        package.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE}/relationships">'
                         f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                         f"{shared_rel}</Relationships>")
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for piece in pieces if pieces is not None else [sheet]:
                part.write(piece)
        if shared is not None:
            with package.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(shared)


HEADER_ROW = (b'<row r="1"><c r="A1" t="inlineStr"><is><t>Task</t></is></c><c r="B1" t="inlineStr"><is><t>Owner'
              b"</t></is></c></row>")


def build_quoted_gt(path: Path) -> None:
    _xlsx(path, f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + HEADER_ROW
          + b'<row x=">" r="1048576"><c x=">" r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')


def build_second_r(path: Path) -> None:
    _xlsx(path, f'<worksheet xmlns="{MAIN}"><dimension ref="A1:D999"/><sheetData>'.encode() + HEADER_ROW
          + b'<row r="2"><c r="B2" r="XFD1048576"><v>1</v></c></row></sheetData></worksheet>')


def build_ods_repeats(path: Path) -> None:
    """tests/fixtures/header_row.ods (a LibreOffice file) with a row of 16,384 cells repeated 2,000 times."""
    source = zipfile.ZipFile(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "header_row.ods")
    content = source.read("content.xml").decode()
    row = ('<table:table-row table:style-name="ro1"><table:table-cell office:value-type="string" '
           'calcext:value-type="string"><text:p>put data here</text:p>')
    content = content.replace(row, '<table:table-row x=">" table:style-name="ro1" table:number-rows-repeated="2000">'
                              '<table:table-cell x=">" table:number-columns-repeated="16384" office:value-type='
                              '"string" calcext:value-type="string"><text:p>put data here</text:p>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            data = content.encode() if info.filename == "content.xml" else source.read(info.filename)
            package.writestr(info.filename, data,
                             zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)


def _xls(path: Path, patch) -> None:
    """header_row.xls (tests/fixtures) with its Workbook stream changed by `patch(stream, records)`."""
    import olefile

    shutil.copy(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "header_row.xls", path)
    with olefile.OleFileIO(str(path), write_mode=True) as container:
        name = "Workbook" if container.exists("Workbook") else "Book"
        stream = bytearray(container.openstream(name).read())
        records, position = [], 0
        while position + 4 <= len(stream):
            record, length = struct.unpack_from("<HH", stream, position)
            records.append((record, position, length))
            position += 4 + length
        patch(stream, records)
        container.write_stream(name, bytes(stream))


def build_xls_behind_eof(path: Path) -> None:
    def hide(stream, records):
        eof = next(position for record, position, _length in records if record == 0x000A)
        cell = next(position for record, position, _length in records
                    if record in (0x00FD, 0x0203, 0x027E) and position > eof)
        struct.pack_into("<HH", stream, cell + 4, 65535, 255)
        struct.pack_into("<H", stream, eof + 2, min(0xFFFF, len(stream) - eof - 4))

    _xls(path, hide)


def build_xls_dimensions(path: Path) -> None:
    def declare(stream, records):
        for record, position, length in records:
            if record == 0x0200 and length == 14:
                struct.pack_into("<IIHH", stream, position + 4, 0, 0xFFFFFFF0, 0, 0xFF)

    _xls(path, declare)


def build_shared_strings(path: Path, megabytes: int = 500) -> None:
    rng = random.Random(1)
    pieces = [b"<si><t>a</t></si>", b"<si><t>b</t></si>", b"<si><t>c</t></si>", b"<si><t>d</t></si>"]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        package.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                            '<sheet name="Plan" sheetId="1" r:id="rId1"/></sheets></workbook>')
        package.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{PACKAGE}/relationships">'
                         f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
                         f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
                         "</Relationships>")
        package.writestr("xl/worksheets/sheet1.xml", f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">'
                         '<c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>')
        with package.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<sst xmlns="{MAIN}">'.encode())
            for _block in range(megabytes * 1024 * 1024 // 17 // 4096):
                part.write(b"".join(rng.choice(pieces) for _ in range(4096)))
            part.write(b"</sst>")


def build_announced_strings(path: Path) -> None:
    _xlsx(path, f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + HEADER_ROW + b"</sheetData></worksheet>",
          shared=f'<sst xmlns="{MAIN}" uniqueCount="2000000000"><si><t>Kickoff</t></si></sst>'.encode())


def build_string_copies(path: Path, rows: int = 100_000) -> None:
    """15 cells a row (1,500,000 in all, within every cell and row limit), each showing one 32 KB string."""
    rng = random.Random(5)

    def pieces():
        yield f'<worksheet xmlns="{MAIN}"><sheetData>'.encode() + HEADER_ROW
        for start in range(2, rows + 2, 5_000):
            yield b"".join(b'<row r="%d">' % row + b"".join(
                b'<c r="%s%d" s="%d" t="s"><v>0</v></c>' % (column, row, rng.randrange(100)) for column in
                (b"A", b"B", b"C", b"D", b"E", b"F", b"G", b"H", b"I", b"J", b"K", b"L", b"M", b"N", b"O"))
                + b"</row>" for row in range(start, start + 5_000))
        yield b"</sheetData></worksheet>"

    text = base64.b64encode(random.Random(6).randbytes(24_000))  # 32 KB, as long as Excel lets a cell be
    _xlsx(path, pieces=pieces(), shared=f'<sst xmlns="{MAIN}"><si><t>'.encode() + text + b"</t></si></sst>")


def build_xlsb_record(path: Path, megabytes: int = 200) -> None:
    rng = random.Random(4)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as package:
        package.writestr("_rels/.rels", f'<Relationships xmlns="{PACKAGE}/relationships"><Relationship Id="rId1" '
                                        f'Type="{REL}/officeDocument" Target="xl/workbook.bin"/></Relationships>')
        package.writestr("xl/workbook.bin", b"\x83\x01\x00")
        with package.open("xl/worksheets/sheet1.bin", "w", force_zip64=True) as part:
            part.write(b"\x00\xff\xff\xff\x7f")  # BrtRowHdr, payload size 2**28 - 1
            block = bytearray(1024 * 1024)
            for _megabyte in range(megabytes):
                for index in range(0, len(block), 96):
                    block[index] = rng.randrange(256)
                part.write(bytes(block))


def build_split_record_csv(path: Path, fields: int = 3_000_000) -> None:
    path.write_bytes(b"Task,Owner,Start\n" + b'"\nab",' * fields + b"x\n" + b"Kickoff,Ann,2026-01-05\n")


def build_cell_records(path: Path, records: int = 6_000_000) -> None:
    rng = random.Random(2)

    def pieces():
        yield f'<worksheet xmlns="{MAIN}"><dimension ref="A1:B2"/><sheetData><row r="1">'.encode()
        for _block in range(records // 10_000):
            yield b"".join(b'<c r="B2"><v>%d</v></c>' % rng.randrange(100_000) for _ in range(10_000))
        yield b"</row></sheetData></worksheet>"

    _xlsx(path, pieces=pieces())


def build_wide_csv(path: Path, size: int = 9_900_000) -> None:
    """A task plan CSV: a header of 1,000,000 columns and a row under it, `size` bytes in all."""
    header = "Task,Owner," + ",".join(f"c{n:06d}" for n in range(2, 1_000_000)) + "\n"
    filled = size - len(header) - len("Kickoff,Ann\n") - 999_998  # a comma per column, an x in as many as fit
    row = "Kickoff,Ann" + ",x" * filled + "," * (999_998 - filled) + "\n"
    path.write_text(header + row)


# --- one measured run (in its own process) ---------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def hwm_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


class PeakMemory:
    """The peak resident size from now on: the kernel's high-water mark, reset here; a 5 ms sampler besides."""

    def __init__(self) -> None:
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")  # resets VmHWM to the current RSS
            self.reset = True
        except OSError:
            self.reset = False
        self.sampled = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.sampled = max(self.sampled, rss_mb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.sampled, hwm_mb()) if self.reset else self.sampled


def run(kind: str, path: Path, database: str) -> dict:
    from flask_migrate import upgrade
    from sqlalchemy import func, select
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from crmproject import create_app, uploads
    from crmproject.adoption.models import UsageEvent
    from crmproject.auth.models import Role
    from crmproject.auth.services import create_user
    from crmproject.cli import main as cli
    from crmproject.extensions import db
    from crmproject.plans import services as plans
    from crmproject.tasks.models import ChangeTask

    app = create_app({"SECRET_KEY": "benchmark", "SQLALCHEMY_DATABASE_URI": database, "WTF_CSRF_ENABLED": False,
                      "TESTING": True})
    password = "Benchmark-" + os.urandom(8).hex()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        user = create_user(email="admin@example.com", name="Admin", password=password, role=Role.ADMIN)
        from datetime import date

        plan = plans.create_plan(name="Rollout", start=date(2026, 1, 1), end=date(2027, 12, 31))
        db.session.commit()
        user_id, plan_id = user.id, plan.id
        data = path.read_bytes()
        client = app.test_client()
        client.post("/login", data={"email": "admin@example.com", "password": password})
        token = uploads.store(data, filename=path.name, user_id=user_id, purpose="tasks") if "kept" in kind else None
        importer = kind.split()[0]
        command = ["import", importer, str(path)] + {"tasks": ["--plan", str(plan_id)],
                                                    "usage": ["--timezone", "UTC"]}.get(importer, [])
        boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), filename=path.name),
                                           "timezone": "UTC"})
        idle = rss_mb()
        peak = PeakMemory()
        began = time.perf_counter()
        if kind == "tasks upload (web)":
            response = client.post(f"/plans/{plan_id}/tasks/import", data=body,
                                   content_type=f"multipart/form-data; boundary={boundary}")
            outcome = f"HTTP {response.status_code}: {_message(response.get_data(as_text=True), path.name)}"
        elif "kept" in kind:
            response = client.get(f"/plans/{plan_id}/tasks/import/{token}", follow_redirects=True)
            outcome = f"HTTP {response.status_code}: {_message(response.get_data(as_text=True), path.name)}"
        elif "page" in kind:
            response = client.post("/adoption/imports", data=body,
                                   content_type=f"multipart/form-data; boundary={boundary}")
            status = {"state": "running"}
            while status["state"] == "running" and time.perf_counter() - began < 300:
                time.sleep(0.02)
                status = client.get(response.headers["Location"] + "/status").get_json()
            outcome = f"import {status['state']}: {status.get('message', '')}"
        else:
            result = app.test_cli_runner().invoke(cli, command)
            outcome = f"exit {result.exit_code}: {result.output.strip()}"
        seconds = time.perf_counter() - began
        peak_mb = peak.stop()
        db.session.expire_all()
        saved = (db.session.scalar(select(func.count()).select_from(ChangeTask))
                 + db.session.scalar(select(func.count()).select_from(UsageEvent)))
    return {"seconds": seconds, "above_idle_mb": peak_mb - idle, "idle_mb": idle, "outcome": outcome,
            "saved": saved, "peak_reset": peak.reset}


def _message(page: str, filename: str) -> str:
    """The refusal shown on a page: the sentence that starts with the file's name."""
    import html
    import re

    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    at = max([text.find(f"{filename} {verb} ") for verb in ("is", "has", "holds", "needs", "takes", "unpacks")]
             + [text.find(f"Sheet Plan of {filename}")])
    return text[at:at + 200] if at != -1 else "(no message naming the file) " + text[:120]


def child(args: argparse.Namespace) -> None:
    print("RESULT " + json.dumps(run(args.kind, Path(args.file), args.database)))


def measure(kind: str, path: Path, folder: Path) -> dict:
    database = folder / f"run-{abs(hash((kind, path.name)))}.db"
    database.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--kind", kind, "--file", str(path), "--database", f"sqlite:///{database}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        return {"seconds": float("nan"), "above_idle_mb": float("nan"), "outcome": f"worker died (exit "
                f"{done.returncode}): {(done.stderr or done.stdout).strip()[-300:]}", "saved": -1}
    return json.loads(lines[-1][len("RESULT "):])


# (name, file name, builder, words the message must hold: the limit's or the damage's)
HOSTILE = (
    ("zip bomb", "Project Plan.xlsx", None, ("the limit",)),
    ("lying bomb", "Lying Plan.xlsx", None, ("the limit", "damaged")),
    ("wide CSV", "wide.csv", build_wide_csv, ("the limit",)),
    ("quoted >", "Quoted Plan.xlsx", build_quoted_gt, ("the limit",)),
    ("second r", "Second Plan.xlsx", build_second_r, ("damaged",)),
    ("ods repeats", "Repeats.ods", build_ods_repeats, ("the limit",)),
    ("xls EOF", "Hidden Sheet.xls", build_xls_behind_eof, ("the limit",)),
    ("xls dims", "Dimensions.xls", build_xls_dimensions, ("the limit",)),
    ("strings", "Shared Strings.xlsx", build_shared_strings, ("the limit",)),
    ("announced", "Announced.xlsx", build_announced_strings, ("the limit",)),
    ("copies", "String Copies.xlsx", build_string_copies, ("the limit",)),
    ("xlsb", "Record Header.xlsb", build_xlsb_record, ("the limit", "damaged")),
    ("split CSV", "Split Record.csv", build_split_record_csv, ("the limit",)),
    ("records", "Cell Records.xlsx", build_cell_records, ("the limit", "damaged")),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", default=None, help="write the files (and databases) here and keep them")
    parser.add_argument("--unpacked-mb", type=int, default=1500, help="the zip bomb's unpacked sheet size")
    parser.add_argument("--files", default="", help="only these files (names from the table, comma-separated)")
    parser.add_argument("--runs", default="", help="only the runs whose importer contains one of these (comma-separated)")
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kind:
        child(args)
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crm-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [name.strip() for name in args.files.split(",") if name.strip()]
    hostile = [entry for entry in HOSTILE if not wanted or entry[0] in wanted]
    runs = [kind for kind in RUNS if not args.runs or any(part.strip() in kind for part in args.runs.split(","))]
    try:
        began = time.perf_counter()
        paths = {name: folder / filename for name, filename, _build, _words in HOSTILE}
        if {"zip bomb", "lying bomb"} & {entry[0] for entry in hostile}:
            build_zip_bomb(paths["zip bomb"], args.unpacked_mb * 1024 * 1024)
            build_lying_bomb(paths["zip bomb"], paths["lying bomb"], 400 * 1024 * 1024)
        for name, _filename, build, _words in hostile:
            if build is not None:
                build(paths[name])
        print(f"hostile uploads benchmark ({time.perf_counter() - began:.0f} s to build the files, not measured)")
        print(f"  {'file':12} {'upload':>9} {'largest part unpacked':>22}")
        for name, _filename, _build, _words in hostile:
            path = paths[name]
            largest = ""
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as package:
                    info = max(package.infolist(), key=lambda entry: entry.file_size)
                    largest = f"{info.file_size / 1e6:,.0f} MB ({info.file_size / max(1, info.compress_size):.0f} times)"
            print(f"  {name:12} {path.stat().st_size / 1e6:7.2f} MB {largest:>22}")
        print("  each run: a fresh process and database; the time is from the request or command to the refusal;")
        print("  memory is the peak resident size during it above the process's size just before")
        print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
              f"{os.getloadavg()[0]:.2f}; goal: refused with a message within {GOAL_SECONDS} s, "
              f"well under {GOAL_MB} MB above idle")
        print()
        print(f"{'importer':42} {'file':12} {'seconds':>7} {'MB above idle':>13}  verdict  message")
        verdicts = []
        for name, _filename, _build, expected in hostile:
            path = paths[name]
            for kind in runs:
                result = measure(kind, path, folder)
                message = result["outcome"].split(": ", 1)[-1].removeprefix("Error: ")
                named = message.startswith(path.name) or message.startswith(f"Sheet Plan of {path.name}")
                refused = named and any(word in message for word in expected) and result["saved"] == 0
                met = refused and result["seconds"] <= GOAL_SECONDS and result["above_idle_mb"] < GOAL_MB
                verdicts.append(met)
                print(f"{kind:42} {name:12} {result['seconds']:7.2f} {result['above_idle_mb']:13.0f}  "
                      f"{'met' if met else 'NOT met':7}  {result['outcome'][:170]}", flush=True)
        print()
        print(f"goal (refused with a message naming the file and the limit, or the damage, within {GOAL_SECONDS} s, "
              f"under {GOAL_MB} MB above idle, nothing saved): {'met' if all(verdicts) else 'NOT met'} "
              f"({sum(verdicts)} of {len(verdicts)} runs meet it)")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
