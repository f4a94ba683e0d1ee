"""``/favicon.ico``: every browser asks for it, and a 404 there is an error in
the console of every admin and docs page, which hides the errors that matter."""

from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

# An "A" on the admin's header blue, small enough to inline.
FAVICON_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<rect width="32" height="32" rx="6" fill="#417690"/>'
    '<text x="16" y="23" font-family="sans-serif" font-size="20" font-weight="bold" '
    'text-anchor="middle" fill="#fff">A</text></svg>'
)


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    return HttpResponse(FAVICON_SVG, content_type="image/svg+xml")
