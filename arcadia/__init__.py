"""The Django project: settings, URLs, the Celery app (imported here so workers and web share it)."""

# The Celery app is imported here so that @shared_task binds to it whenever
# Django starts (web, worker, beat, tests alike).
from arcadia.celery import app as celery_app

__all__ = ("celery_app",)
