from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "arcadia.tokens"
    label = "tokens"
    verbose_name = "API tokens"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Registers the schema's description of token authentication.
        from arcadia.tokens import schema  # noqa: F401
