"""Reading API tokens."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from arcadia.tokens.models import ApiToken


def api_token_list(*, user) -> QuerySet[ApiToken]:
    """``user``'s tokens that still authenticate, newest first (knox deletes
    expired ones lazily, at the owner's next authentication)."""
    live = Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
    return ApiToken.objects.filter(live, user=user).order_by("-created", "token_key")
