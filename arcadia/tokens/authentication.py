"""``Authorization: Token <token>`` checked against knox's digests."""

from knox.auth import TokenAuthentication
from rest_framework import exceptions


class ApiTokenAuthentication(TokenAuthentication):
    """knox's authentication, answering 401 (not 500) for a header that is
    not UTF-8: knox 5.1 decodes the token unguarded, and Django hands header
    bytes over as Latin-1, so ``Token é`` raised UnicodeDecodeError."""

    def authenticate_credentials(self, token: bytes):
        try:
            token.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        return super().authenticate_credentials(token)
