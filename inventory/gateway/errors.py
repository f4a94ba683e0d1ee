"""The gateway's errors, and how an HTTP answer maps to one.

5xx, timeouts and connection errors are ``GatewayTransientError`` (with
``retry_after`` from ``retry-after``); 429 and a refused permit its subclass
``GatewayThrottled``; 404 ``GatewayNotFound``; other 4xx
``GatewayPermanentError`` with DigitalOcean's message. No message contains
the token: every message passes through the gateway's ``scrub`` first.
"""

from __future__ import annotations

import time

import requests


class GatewayError(Exception):
    """Base of every gateway failure; the message never contains the token."""

    status: int | None = None


class GatewayTransientError(GatewayError):
    """Worth retrying: 429, 5xx, timeouts, connection errors (and destroy's 'pending event')."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class GatewayThrottled(GatewayTransientError):
    """No permit from the shared budget (nothing was sent), or a 429 (the
    whole token is paused). ``retry_after``: seconds until a permit is
    expected for this caller. Waiting for it is not a failure."""


class GatewayNotFound(GatewayError):
    """DigitalOcean answered 404."""

    status = 404


class GatewayPermanentError(GatewayError):
    """Any other 4xx: retrying the same request cannot succeed."""

    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


def http_error(where: str, response: requests.Response, scrub) -> GatewayError:
    status = response.status_code
    message = scrub(f"{where} answered {status}: {answer_message(response)}")
    if status == 429 or status >= 500:
        return GatewayTransientError(message, status=status, retry_after=retry_after(response))
    if status == 404:
        return GatewayNotFound(message)
    return GatewayPermanentError(message, status=status)


def answer_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason or "no message"
    if isinstance(body, dict):
        return str(body.get("message") or body.get("id") or body)[:500]
    return str(body)[:200]


def retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: ``retry-after``, else until ``ratelimit-reset`` (epoch seconds)."""
    headers = response.headers
    try:
        if headers.get("retry-after"):
            return max(float(headers["retry-after"]), 0.0)
        if response.status_code == 429 and headers.get("ratelimit-reset"):
            return max(float(headers["ratelimit-reset"]) - time.time(), 0.0)
    except ValueError:
        return None
    return None
