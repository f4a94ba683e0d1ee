"""The plain-Celery baseline of ``make bench``: the same external work as a
provisioning saga, with none of Arcadia's code (no Django, no Arcadia
settings, signal handlers or modules)."""
