"""``/healthz`` and ``/healthz/details``: is this process able to reach its database and its broker?

``/healthz`` is public (load balancers and ``docker compose`` poll it): it
answers ``{"status": "ok"}`` (200) or ``{"status": "failed"}`` (503) and
nothing else, so an anonymous caller learns no tenant activity, no token
fingerprint, not even which dependency is down. ``/healthz/details`` gives an
operator each check, its timing and the DigitalOcean budget: to a staff user
logged in (the admin's session) or to a caller sending
``Authorization: Bearer $ARCADIA_HEALTH_TOKEN`` when that setting is set;
anyone else gets a 404, as if it did not exist. Both answer within a few
seconds whatever is broken and never show a traceback: each check reports
the exception class only (a message could carry a URL with a password).
"""

import hmac
import threading
import time

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from inventory.budget import budget_status

# Seconds one check may take. A hung server must not hang the probe: each
# check runs in a daemon thread that is abandoned when it overruns.
CHECK_TIMEOUT = 3.0


class CheckTimeout(Exception):
    pass


def _run_with_deadline(check, timeout):
    """Run ``check()`` in a thread; return its detail or raise what it raised."""
    outcome = {}

    def target():
        try:
            outcome["detail"] = check()
        except Exception as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="healthz-check", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise CheckTimeout(f"no answer within {timeout:g}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("detail", "ok")


def check_database():
    # A fresh connection in this thread: it proves that connecting works, not
    # only that an old pooled connection is still open, and closing it keeps
    # probes from leaking connections.
    connection = connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()
    return connection.vendor


def check_broker():
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        # The embedded in-process transport: there is nothing to reach.
        return "embedded"
    from arcadia.celery import app

    timeouts = {"socket_connect_timeout": CHECK_TIMEOUT, "socket_timeout": CHECK_TIMEOUT}
    with app.connection_for_write(url, connect_timeout=CHECK_TIMEOUT, transport_options=timeouts) as conn:
        # Connecting opens a channel, where the Redis transport pings the
        # server. One attempt without kombu's default 2 s pause before retry.
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=CHECK_TIMEOUT)
        return str(conn.transport_cls)


CHECKS = {"database": check_database, "broker": check_broker}


def run_checks(checks=None, timeout=None):
    timeout = CHECK_TIMEOUT if timeout is None else timeout
    results = {}
    for name, check in (checks or CHECKS).items():
        started = time.monotonic()
        try:
            detail = _run_with_deadline(check, timeout)
        except Exception as exc:  # a health probe reports, it does not crash
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "detail": detail}
        results[name]["ms"] = round((time.monotonic() - started) * 1000, 1)
    return results


@never_cache
@require_GET
def healthz(request):
    failed = any(not result["ok"] for result in run_checks().values())
    return JsonResponse({"status": "failed" if failed else "ok"}, status=503 if failed else 200)


@never_cache
@require_GET
def healthz_details(request):
    if not _may_see_details(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    results = run_checks()
    failed = sorted(name for name, result in results.items() if not result["ok"])
    body = {"status": "failed" if failed else "ok", "checks": results, "budget": _budget()}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


def _may_see_details(request) -> bool:
    token = settings.ARCADIA_HEALTH_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return True
    # Reading the session touches the database: while it is down, the
    # operator uses the token (a staff check that fails is a 404, not a 500).
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_staff)
    except Exception:  # noqa: BLE001 – an outage must not turn a probe into a 500
        return False


def _budget() -> dict:
    """The DigitalOcean budget, for operators: what is used and left in each
    window, who waits, the last 429. Informative, not a check: sagas wait
    for permits rather than fail."""
    try:
        return budget_status()
    except Exception as exc:  # its store (Redis) is down: say so, answer anyway
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}
