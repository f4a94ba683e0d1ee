"""``/metrics``: the Prometheus text format, for the token's holder or staff."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client.exposition import choose_encoder

from arcadia.metrics.access import refusal
from arcadia.metrics.collector import registry


@never_cache
def metrics(request):
    # Credentials first: whoever may not read the page learns nothing from
    # a method check, not even that it exists.
    refused = refusal(request)
    if refused is not None:
        return refused
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(
            {"detail": f"Method {request.method} not allowed; GET the metrics."}, status=405
        )
        response["Allow"] = "GET, HEAD"
        return response
    # What the scraper's Accept asks for (Prometheus asks for OpenMetrics),
    # else the classic text format: prometheus-client's own negotiation.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(registry), content_type=content_type)
