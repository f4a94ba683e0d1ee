"""Validation of captured simulator exchanges against DigitalOcean's official
OpenAPI description (openapi-core)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import dosim

DESCRIPTION = Path(dosim.__file__).resolve().parent / "openapi" / "droplets-domains-actions.yaml"
SERVER = "https://api.digitalocean.com"


@cache
def openapi() -> OpenAPI:
    return OpenAPI.from_file_path(str(DESCRIPTION))


def problems(exchanges: list[dict]) -> list[str]:
    """One line per exchange whose response the description rejects."""
    found = []
    for ex in exchanges:
        request = MockRequest(SERVER, ex["method"], ex["path"], args=ex["query"])
        data = b"" if ex["response"] is None else json.dumps(ex["response"]).encode()
        response = MockResponse(data, ex["status"], ex["headers"], "application/json")
        try:
            openapi().validate_response(request, response)
        except Exception as exc:  # every kind of mismatch is a finding to report
            detail = _detail(exc)
            found.append(
                f"{ex['method']} {ex['path']} -> {ex['status']}: {type(exc).__name__}: {detail[:600]}"
            )
    return found


def request_problems(exchanges: list[dict], token: str) -> list[str]:
    """The same for the requests the clients sent."""
    found = []
    for ex in exchanges:
        body = None if ex["body"] in (None, {}) else json.dumps(ex["body"]).encode()
        headers = {"Authorization": f"Bearer {token}"}
        request = MockRequest(SERVER, ex["method"], ex["path"], args=ex["query"], headers=headers, data=body)
        try:
            openapi().validate_request(request)
        except Exception as exc:  # every kind of mismatch is a finding to report
            found.append(f"{ex['method']} {ex['path']}: {type(exc).__name__}: {_detail(exc)[:600]}")
    return found


def _detail(exc: BaseException) -> str:
    """openapi-core nests the schema errors that say what is wrong in causes."""
    seen = exc
    for _ in range(5):  # bounded: causes do not cycle, but stay safe
        errors = getattr(seen, "schema_errors", None)
        if errors:
            return "; ".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
        if seen.__cause__ is None:
            break
        seen = seen.__cause__
    return repr(seen)
