"""WSGI entry point for gunicorn."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arcadia.settings")

# Request spans need their middleware in place before the handler loads it.
# Nothing here starts a thread: the tracer provider is built at first use,
# in the gunicorn worker (after its fork).
import django  # noqa: E402

django.setup(set_prefix=False)
from provisioning.engine import tracing_instrument_django  # noqa: E402

tracing_instrument_django()
application = get_wsgi_application()
