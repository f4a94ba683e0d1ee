"""The API docs pages, served from our own static files (drf-spectacular-sidecar).

ReDoc's bundle draws the Redocly logo from cdn.redoc.ly in its sidebar,
unconditionally. A Content-Security-Policy that allows only this server keeps
the browser from sending that request (ReDoc hides the broken image), and
makes any other outside request a page might try fail visibly in the console
instead of hanging on a machine without internet.
"""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView

# ReDoc renders with inline styles, runs an inline init script and starts a
# web worker from a blob: URL; everything else must come from this server.
REDOC_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
    ]
)


class OfflineRedocView(SpectacularRedocView):
    # drf-spectacular's template with the Google Fonts links taken out.
    template_name = "api_docs/redoc.html"

    @extend_schema(exclude=True)  # as on the view it overrides: docs are no API operation
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = REDOC_CSP
        return response


THROTTLED_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "example": "Request was throttled. Expected available in 12 seconds."}
    },
    "required": ["detail"],
}
THROTTLED_RESPONSE = {
    "description": "too many requests from this user (or, unauthenticated, this address): "
    "wait Retry-After seconds (ARCADIA_THROTTLE_* settings)",
    "headers": {
        "Retry-After": {
            "description": "seconds until a request is accepted again",
            "schema": {"type": "integer"},
        }
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Throttled"}}},
}


def document_throttling(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation may answer 429.

    Every API view runs the default throttles (arcadia/throttling.py), so the
    answer belongs to each operation; adding it here, not beside each view,
    keeps a new view from being documented without it."""
    result.setdefault("components", {}).setdefault("schemas", {})["Throttled"] = THROTTLED_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method in {"get", "put", "post", "patch", "delete", "head", "options", "trace"}:
                operation.setdefault("responses", {}).setdefault("429", THROTTLED_RESPONSE)
    return result
