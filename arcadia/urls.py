"""The project's URLs: the admin, the APIs of each app, the schema and its docs, the health check."""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from arcadia.api_docs import OfflineRedocView
from arcadia.favicon import favicon
from arcadia.health import healthz, healthz_details
from arcadia.metrics.views import metrics
from arcadia.throttling import login_throttled

urlpatterns = [
    # The log-in forms, limited in attempts (ARCADIA_THROTTLE_LOGIN), ahead of
    # the patterns that would otherwise serve them unlimited; their names
    # (admin:login, rest_framework:login) still resolve to these paths.
    path("admin/login/", login_throttled(admin.site.login)),
    path("api/auth/login/", login_throttled(LoginView.as_view(template_name="rest_framework/login.html"))),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("healthz/details", healthz_details, name="healthz-details"),
    path("metrics", metrics, name="metrics"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/", include("deployments.urls")),
    path("api/", include("inventory.urls")),
    path("api/", include("provisioning.engine.urls")),
    path("api/", include("arcadia.tokens.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", OfflineRedocView.as_view(url_name="schema"), name="api-redoc"),
    # Log-in for the browsable API (session auth).
    path("api/auth/", include("rest_framework.urls")),
]

# Errors Django answers itself (before a view runs) are JSON under /api/.
handler400 = "arcadia.error_pages.bad_request"
handler403 = "arcadia.error_pages.permission_denied"
handler404 = "arcadia.error_pages.page_not_found"
handler500 = "arcadia.error_pages.server_error"
