"""Who may read ``/metrics``: a scraper with the bearer token
(``ARCADIA_METRICS_TOKEN``, compared in constant time) or a staff session.

Nobody else learns anything: with no token configured an anonymous request
gets a 404, as if there were no such page; with one, a 401 asking for it.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import JsonResponse


def refusal(request) -> JsonResponse | None:
    """``None`` when the request may read the metrics, else the answer."""
    token = settings.ARCADIA_METRICS_TOKEN
    sent = _bearer(request)
    if token and sent is not None:
        if hmac.compare_digest(sent.encode(), token.encode()):
            return None
        return _unauthorized("The bearer token is not the metrics token.")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        if user.is_staff:
            return None
        return JsonResponse({"detail": "Only staff may read the metrics."}, status=403)
    if token:
        return _unauthorized("Send the metrics token: Authorization: Bearer <token>.")
    return JsonResponse({"detail": "Not found."}, status=404)


def _bearer(request) -> str | None:
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" and credentials.strip() else None


def _unauthorized(detail: str) -> JsonResponse:
    response = JsonResponse({"detail": detail}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response
