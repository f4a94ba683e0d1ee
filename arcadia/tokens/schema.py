"""How the OpenAPI schema describes token authentication (drf-spectacular
matches its knox extension on the exact class, not on our subclass)."""

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme


class ApiTokenScheme(KnoxTokenScheme):
    target_class = "arcadia.tokens.authentication.ApiTokenAuthentication"
    name = "tokenAuth"
