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
        # definitions; the embedded mode starts its in-process worker before
        # the first message leaves.
        from celery import current_app

        from provisioning.engine import embedded, tasks, wiring  # noqa: F401

        # The admin pages live in the display subpackage, where Django's
        # autodiscovery (``<app>.admin``) does not look: register them here.
        from provisioning.engine.display import admin  # noqa: F401

        # The project's app is Celery's current one while Django starts.
        wiring.use_app(current_app._get_current_object())
        wiring.before_send(embedded.autostart)
