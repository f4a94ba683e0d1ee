from django.db import models

from provisioning.engine.transitions import StatusMachineMixin, Transitions


class Provider(models.TextChoices):
    DIGITALOCEAN = "digitalocean", "DigitalOcean"


class ResourceKind(models.TextChoices):
    DROPLET = "droplet"


class ResourceStatus(models.TextChoices):
    NEW = "new"
    ACTIVE = "active"
    DESTROYED = "destroyed"


_R = ResourceStatus


class CloudResource(StatusMachineMixin, models.Model):
    """One resource at a provider. Never hard-deleted: a destroyed droplet
    keeps its row with status ``destroyed`` for audit and billing, and with
    it whose it was: unlinking a resource from its deployment is recorded
    (``unlinked_at``), never done by erasing the tenant and deployment."""

    TRANSITIONS = Transitions(
        {
            _R.NEW: {_R.ACTIVE, _R.DESTROYED},
            _R.ACTIVE: {_R.DESTROYED},
            _R.DESTROYED: set(),
        }
    )

    provider = models.CharField(max_length=32, choices=Provider.choices, default=Provider.DIGITALOCEAN)
    kind = models.CharField(max_length=32, choices=ResourceKind.choices, default=ResourceKind.DROPLET)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=255)
    region = models.CharField(max_length=32, blank=True, default="")
    size = models.CharField(max_length=64, blank=True, default="")
    ipv4 = models.GenericIPAddressField(protocol="IPv4", null=True, blank=True)
    status = models.CharField(max_length=20, choices=ResourceStatus.choices, default=_R.NEW)
    # String references: inventory sits below deployments in the dependency
    # order and never imports it.
    tenant = models.ForeignKey(
        "deployments.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    deployment = models.ForeignKey(
        "deployments.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
    )
    # When the deployment stopped using the resource (a rollback, or a
    # teardown); tenant and deployment stay, so billing knows until when.
    unlinked_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)
    # The saga whose step recorded the destruction. Its id, not a foreign key:
    # inventory sits below provisioning and must not depend on its tables.
    destroyed_by_saga_id = models.UUIDField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="uniq_resource_provider_external_id"
            ),
        ]

    def __str__(self):
        return f"{self.provider}:{self.kind}:{self.external_id}"
