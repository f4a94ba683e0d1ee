"""The docs pages name no outside host: Swagger UI and ReDoc come from our
static files (the browser tests check what a real browser then requests)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OUTSIDE = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""")


@pytest.mark.parametrize("url_name", ["api-docs", "api-redoc"])
def test_docs_page_loads_nothing_from_outside(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/" in page
    assert OUTSIDE.findall(page) == []
    assert "googleapis" not in page and "jsdelivr" not in page


def test_redoc_page_forbids_outside_requests(client):
    policy = client.get(reverse("api-redoc"))["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy


def test_sidecar_bundles_are_served(client):
    for path in [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path


def test_favicon_answers_so_pages_log_no_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
