"""API tokens: django-rest-knox's hashed, expiring tokens, one per device or
script, listed and revoked by their user (docs/decisions/0025-hashed-tokens.md)."""
