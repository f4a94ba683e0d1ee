"""Django app config of the saga engine (label ``provisioning``): registers its admin at ready()."""

from django.apps import AppConfig


class EngineConfig(AppConfig):
    """The saga engine's Django app. Its label stays ``provisioning``: the
    tables, migrations and permissions (``provisioning.change_saga``) keep
    the names they had before the engine became a package of its own."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "provisioning.engine"
    label = "provisioning"
    verbose_name = "Sagas"

    def ready(self):
        # Imported for their effect: the Celery adapter subscribes to the
        # registry (two named tasks per step) and loads the configured
        # definitions; every worker process starts its heartbeat thread
        # after the fork (worker_process_init).
        from provisioning.engine import fleet, tasks  # noqa: F401

        # The admin pages live in the display subpackage, where Django's
        # autodiscovery (``<app>.admin``) does not look: register them here.
        from provisioning.engine.display import admin  # noqa: F401
