from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "deployments"

    def ready(self):
        from deployments.selectors import saga_subjects_visible_to
        from provisioning.engine.selectors import set_subject_scope

        # Tenants' users see the sagas of their own deployments (staff see all).
        set_subject_scope(saga_subjects_visible_to)
