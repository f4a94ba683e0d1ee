"""Issuing and revoking API tokens. The plain token exists only in the
return value of :func:`api_token_create`: the database keeps its digest."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from arcadia.tokens.models import ApiToken


@transaction.atomic
def api_token_create(*, user, expires_in: timedelta | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``, expiring after ``expires_in`` (default: the
    operator's ARCADIA_TOKEN_TTL_DAYS). Returns the row and the token, which
    nobody can read again."""
    if expires_in is None:
        # Read at call time: knox's settings follow REST_KNOX, which the
        # operator's ARCADIA_TOKEN_TTL_DAYS sets.
        from knox.settings import knox_settings

        expires_in = knox_settings.TOKEN_TTL
    return ApiToken.objects.create(user=user, expiry=expires_in)


@transaction.atomic
def api_token_revoke(*, user, prefix: str) -> bool:
    """Delete ``user``'s token(s) starting with ``prefix``; whether there was one.
    Another user's prefix deletes nothing (the API answers 404, as for none)."""
    deleted, _ = ApiToken.objects.filter(user=user, token_key=prefix).delete()
    return deleted > 0
