"""Cloud resources (droplets) as Arcadia recorded them, and reconciliation's findings."""

import uuid

from django.db import models

from provisioning.engine import StatusMachineMixin, Transitions


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

    # What the API calls it (arcadia.public_ids): random, so it tells nobody
    # how many resources exist; the integer key stays for everything inside.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
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
    # The saga whose step recorded the destruction. Its id, not a foreign key,
    # so that pruning the saga ledger never rewrites the inventory's audit trail.
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


# --- reconciliation ------------------------------------------------------------------
class FindingKind(models.TextChoices):
    ORPHAN = "orphan"  # a droplet no inventory row and no live saga accounts for
    DRIFT = "drift"  # an active row whose droplet is gone or differs
    DNS_DRIFT = "dns_drift"  # an active deployment whose A record is missing or elsewhere


class FindingResolution(models.TextChoices):
    GONE = "gone", "no longer true"
    DESTROYED = "destroyed", "orphan destroyed"
    ADOPTED = "adopted", "adopted into inventory"
    MARKED = "marked", "marked resolved"


class ReconcileFinding(models.Model):
    """What a reconcile pass found that the ledger does not account for.

    One row per fact while it stays true: a later pass that sees it again
    only moves ``last_seen``, and one that no longer sees it resolves the
    row. ``actions`` is the row's own log: every operator action and every
    automatic change, with its outcome.
    """

    kind = models.CharField(max_length=16, choices=FindingKind.choices)
    # What the fact is about, stable across passes: the droplet id, or the
    # deployment's hostname for DNS drift.
    key = models.CharField(max_length=253)
    provider = models.CharField(max_length=32, choices=Provider.choices, default=Provider.DIGITALOCEAN)
    # The provider's id of what was found: a droplet, or the A record(s).
    provider_id = models.CharField(max_length=255, blank=True, default="")
    summary = models.CharField(max_length=500)
    expected = models.JSONField(null=True, blank=True)
    found = models.JSONField(null=True, blank=True)
    # The saga the droplet's ``arcadia-saga-<id>`` tag names (it may be
    # absent from the ledger: a restored database forgets sagas).
    saga_id = models.UUIDField(null=True, blank=True)
    resource = models.ForeignKey(
        CloudResource, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    deployment = models.ForeignKey(
        "deployments.Deployment", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    seen_count = models.PositiveIntegerField(default=1)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=16, choices=FindingResolution.choices, blank=True, default="")
    actions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-last_seen", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=models.Q(resolved_at__isnull=True),
                name="uniq_open_finding_per_fact",
            ),
        ]
        indexes = [models.Index(fields=["resolved_at", "kind"])]

    def __str__(self):
        return f"{self.kind} {self.key}"
