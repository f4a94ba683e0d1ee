"""Prometheus metrics for ``/metrics``, read from the ledger at scrape time.

Every series is computed from rows (sagas, steps, events, findings) or from
the shared budget store when Prometheus asks, so it is the same whichever
gunicorn worker answers and however many Celery pool processes run: nothing
is counted in process memory. Why, and what each series means:
``docs/metrics.md`` and ``docs/decisions/0020-metrics-read-from-the-ledger.md``.
"""
