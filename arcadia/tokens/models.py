"""The API token as Arcadia shows it: knox's ``AuthToken`` row (a SHA-512
digest of the token, its first characters for look-up, the expiry)."""

from django.utils import timezone
from knox.models import AuthToken


class ApiToken(AuthToken):
    """A proxy, so the admin and the API name it for what it is and knox's
    own admin (which lists digests) stays unregistered."""

    class Meta:
        proxy = True
        verbose_name = "API token"
        ordering = ["-created"]

    @property
    def prefix(self) -> str:
        """The first characters of the token: enough for its owner to tell
        tokens apart, far too few to use (knox looks tokens up by them)."""
        return self.token_key

    @property
    def is_expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
