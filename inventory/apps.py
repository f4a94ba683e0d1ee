from django.apps import AppConfig


class InventoryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inventory"

    def ready(self):
        from inventory.budget import budget_status
        from provisioning.engine.display.operations_page import add_status_panel

        # The saga operations page shows what is left of the provider's limit.
        add_status_panel("DigitalOcean budget", budget_status)
