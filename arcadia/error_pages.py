"""Django's error views for the API's paths answer JSON, the admin's keep their HTML pages.

Errors raised before a DRF view runs (a body over DATA_UPLOAD_MAX_MEMORY_SIZE,
an unknown URL) reach Django's handler400/404/500, whose pages are HTML; an
API client parses one format, so under /api/ they are JSON like DRF's.
"""

from django.http import JsonResponse
from django.views import defaults

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception=None):
    if _is_api(request):
        detail = str(exception) if exception is not None else ""
        if "exceeded" in detail and "DATA_UPLOAD" in detail:
            detail = "The request body is too large."
        elif not detail:
            detail = "Bad request."
        return JsonResponse({"detail": detail}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "You do not have permission to perform this action."}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return defaults.server_error(request)
