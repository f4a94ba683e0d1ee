"""The admin and the browsable API keep their CSS under gunicorn, where
Django itself serves no static files (WhiteNoise does)."""

import pytest


@pytest.mark.parametrize("path", ["/static/admin/css/base.css", "/static/rest_framework/css/default.css"])
def test_static_files_are_served_without_runserver(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
