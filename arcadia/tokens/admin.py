"""API tokens in the admin: who holds which, until when, and revoking them.
Neither the token nor its digest is shown; tokens are created through the
API or ``create_tenant_user``, which show the token once."""

from django.contrib import admin
from knox.models import AuthToken

from arcadia.tokens.models import ApiToken

# knox's own admin lists digests and prints new tokens into a message.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("token_key", "user", "created", "expiry")
    list_filter = ("expiry",)
    search_fields = ("token_key", "user__username")
    # An operator may shorten (or extend) a token's life; nothing else changes.
    fields = ("token_key", "user", "created", "expiry")
    readonly_fields = ("token_key", "user", "created")
    ordering = ("-created",)

    def has_add_permission(self, request):
        return False
