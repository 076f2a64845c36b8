"""Hostile uploads against every importer (issue 10, item 4): refused within seconds, memory bounded.

Builds the two files of the issue at their real size (building is not measured):
  - a zip bomb: a 7 MB .xlsx task plan whose sheet XML unpacks to about 1.5 GB;
  - a 9.9 MB CSV whose lines have 1,000,000 columns;
and feeds each to every importer the way a worker meets it, each run in a
fresh subprocess with its own SQLite database:
  - tasks, upload step of the wizard (the app's test client, logged in);
  - tasks, the wizard's preview of an upload kept earlier (reloading the preview URL);
  - tasks, kpis, roster, training and usage through `crmproject import ...`;
  - usage through the import page, whose background job records the failed import.
For each it prints the time from the request (or command) to the refusal, the
peak resident memory above the worker's idle size during it (the peak is reset
with /proc/self/clear_refs right before, so setup does not count), and the
start of the message shown. The goal, from the issue: refused with a message
within 10 s, memory well under 300 MB above idle.

    python benchmarks/hostile_uploads.py [--keep DIR] [--unpacked-mb 1500]
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
    at = max(text.find(f"{filename} is "), text.find(f"{filename} has "), text.find(f"Sheet Plan of {filename}"))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", default=None, help="write the files (and databases) here and keep them")
    parser.add_argument("--unpacked-mb", type=int, default=1500, help="the zip bomb's unpacked sheet size")
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--database", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.kind:
        child(args)
        return
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="crm-hostile-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        began = time.perf_counter()
        bomb, liar, wide = folder / "Project Plan.xlsx", folder / "Lying Plan.xlsx", folder / "wide.csv"
        build_zip_bomb(bomb, args.unpacked_mb * 1024 * 1024)
        build_lying_bomb(bomb, liar, 400 * 1024 * 1024)
        build_wide_csv(wide)
        with zipfile.ZipFile(bomb) as package:
            sheet = package.getinfo("xl/worksheets/sheet1.xml")
        print(f"hostile uploads benchmark ({time.perf_counter() - began:.0f} s to build the files, not measured)")
        print(f"  zip bomb: {bomb.name} {bomb.stat().st_size / 1e6:.1f} MB, its sheet XML unpacks to "
              f"{sheet.file_size / 1e9:.2f} GB ({sheet.file_size / sheet.compress_size:.0f} times)")
        print(f"  lying zip bomb: {liar.name}, the same with its sheet's headers declaring 400 MB (under the 512 MB "
              "part limit and the ratio): only reading it, bounded, finds it out (as damage, or by its rows)")
        print(f"  wide CSV: {wide.name} {wide.stat().st_size / 1e6:.1f} MB, 1,000,000 columns")
        print("  each run: a fresh process and database; the time is from the request or command to the refusal;")
        print("  memory is the peak resident size during it above the process's size just before")
        print(f"  machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, load average "
              f"{os.getloadavg()[0]:.2f}; goal: refused with a message within {GOAL_SECONDS} s, "
              f"well under {GOAL_MB} MB above idle")
        print()
        print(f"{'importer':42} {'file':10} {'seconds':>7} {'MB above idle':>13}  verdict  message")
        verdicts = []
        for path, label, expected in ((bomb, "zip bomb", ("the limit",)), (liar, "lying bomb", ("the limit", "damaged")),
                                      (wide, "wide CSV", ("the limit",))):
            for kind in RUNS:
                result = measure(kind, path, folder)
                message = result["outcome"].split(": ", 1)[-1].removeprefix("Error: ")
                named = message.startswith(path.name) or message.startswith(f"Sheet Plan of {path.name}")
                refused = named and any(word in message for word in expected) and result["saved"] == 0
                met = refused and result["seconds"] <= GOAL_SECONDS and result["above_idle_mb"] < GOAL_MB
                verdicts.append(met)
                print(f"{kind:42} {label:10} {result['seconds']:7.2f} {result['above_idle_mb']:13.0f}  "
                      f"{'met' if met else 'NOT met':7}  {result['outcome'][:170]}")
        print()
        print(f"goal (refused with a message naming the file and the limit, or damage for the lying one, within {GOAL_SECONDS} s, under {GOAL_MB} MB "
              f"above idle, nothing saved): {'met' if all(verdicts) else 'NOT met'} "
              f"({sum(verdicts)} of {len(verdicts)} runs meet it)")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
