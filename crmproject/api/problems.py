"""Errors of the API as JSON problems (RFC 9457): type, title, status, detail, and `errors` naming the field."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, json
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from crmproject.api.messages import translated
from crmproject.errors import ValidationFailed

PROBLEM_TYPE = "https://crmproject.invalid/problems/"  # a stable identifier per status; it names, it is not fetched


def problem(status: int, detail: str = "", *, errors: list[dict] | None = None, headers: Mapping[str, str] | None = None,
            **extra) -> Response:
    body = {"type": f"{PROBLEM_TYPE}{status}", "title": HTTP_STATUS_CODES.get(status, "Error"), "status": status,
            "detail": detail or HTTP_STATUS_CODES.get(status, "Error"), **extra}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def field_errors(messages: Mapping, location: str = "") -> list[dict]:
    """webargs' nested {location: {field: [messages]}} (or {field: [messages]}) as a flat list naming each field."""
    found: list[dict] = []

    def walk(node, path: list[str]) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(value, [*path, str(key)])
        elif isinstance(node, (list, tuple)) and node and all(isinstance(m, str) for m in node):
            for message in node:
                found.append(_entry(path, message))
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                walk(value, [*path, str(index)])
        else:
            found.append(_entry(path, str(node)))

    def _entry(path: list[str], message: str) -> dict:
        where = path[0] if path and path[0] in ("json", "query", "headers", "path") else location or "json"
        parts = path[1:] if path and path[0] == where else path
        field = ".".join(p for p in parts if p != "_schema")
        return {"field": field, "in": where, "pointer": "#/" + "/".join(parts) if parts else "#", "detail": translated(message)}

    walk(messages, [])
    return found


def from_validation(exc: ValidationFailed, status: int = 422) -> Response:
    errors = [{"field": name, "in": "json", "pointer": f"#/{name}" if name else "#", "detail": message}
              for name, messages in exc.errors.items() for message in messages]
    return problem(status, "; ".join(e["detail"] for e in errors), errors=errors)


def from_http(exc: HTTPException) -> Response:
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status == 429:
        headers.setdefault("Retry-After", "60")
    messages = data.get("messages")
    errors = field_errors(messages) if messages else None
    detail = data.get("message") or (errors and "; ".join(f"{e['field']}: {e['detail']}" for e in errors)) or exc.description
    return problem(status, str(detail or ""), errors=errors, headers=headers)
