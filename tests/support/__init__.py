"""Reusable test fixtures, loaded as pytest plugins from tests/conftest.py:
``dosim`` (the simulator on an ephemeral port) and ``worker`` (a real Celery
worker process on the real Redis)."""
