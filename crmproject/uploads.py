"""Uploaded files kept between the steps of an import wizard.

A file is stored in the instance folder under a random token, with who
uploaded it and for what; only that user can read it back, and files older
than a day are removed whenever a new one arrives. `read_limits()` gives
the limits every importer reads uploads within, from the configuration.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from crmproject.spreadsheets import ReadLimits

MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class StoredUpload:
    token: str
    filename: str
    user_id: int
    purpose: str
    data: bytes


def read_limits(*, usage: bool = False) -> ReadLimits:
    """The configured ReadLimits (SPREADSHEET_*; for CRM usage exports, USAGE_IMPORT_* rows and cells)."""
    return ReadLimits.from_config(current_app.config, usage=usage)


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store(data: bytes, *, filename: str, user_id: int, purpose: str) -> str:
    """Keep an upload; return its token."""
    folder = _folder()
    now = time.time()
    for old in folder.glob("*.json"):
        if now - old.stat().st_mtime > MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
            old.with_suffix(".bin").unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"filename": filename, "user_id": user_id, "purpose": purpose}))
    return token


def load(token: str, *, user_id: int, purpose: str) -> StoredUpload | None:
    """The upload behind `token` if this user stored it for this purpose, else None."""
    if not _TOKEN.match(token or ""):
        return None
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        meta = json.loads(meta_path.read_text())
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or meta.get("purpose") != purpose:
        return None
    return StoredUpload(token=token, filename=meta["filename"], user_id=user_id, purpose=purpose, data=data)


def discard(token: str) -> None:
    if _TOKEN.match(token or ""):
        folder = _folder()
        (folder / f"{token}.json").unlink(missing_ok=True)
        (folder / f"{token}.bin").unlink(missing_ok=True)
