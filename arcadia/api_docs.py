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
