"""Tenants, their members and their deployments, with the deployment's status transitions."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from deployments.naming import DEPLOYMENT_NAME_MAX, TENANT_SLUG_COLUMN_MAX
from provisioning.engine import StatusMachineMixin, Transitions


class Tenant(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=TENANT_SLUG_COLUMN_MAX, unique=True)
    # The tenant's share of the DigitalOcean budget against other waiting
    # tenants (2 = twice the permits of a tenant of weight 1). Read when a
    # saga starts: a change applies to the sagas started after it.
    budget_weight = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of the DigitalOcean budget when tenants wait for it (1 to 100).",
    )
    # Quotas (deployments.quotas), checked at POST and at provision/.
    max_live_deployments = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Live deployments (provisioning, active, deprovisioning or failed) the tenant may "
        "have. Empty: ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS (25 unless set).",
    )
    allowed_regions = models.JSONField(
        default=list, blank=True, help_text='Region slugs, e.g. ["nyc3", "ams3"]. []: all DigitalOcean sells.'
    )
    allowed_sizes = models.JSONField(
        default=list, blank=True, help_text='Size slugs, e.g. ["s-1vcpu-1gb"]. []: all DigitalOcean sells.'
    )
    allowed_images = models.JSONField(
        default=list,
        blank=True,
        help_text='Image slugs, e.g. ["ubuntu-24-04-x64"]. []: all DigitalOcean sells.',
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug

    def clean(self):
        for field in ("allowed_regions", "allowed_sizes", "allowed_images"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise ValidationError({field: 'A JSON list of slugs, e.g. ["nyc3"]; [] for all.'})


class TenantMembership(models.Model):
    """Maps a user to a tenant; a user sees only the tenants it belongs to."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="uniq_membership_tenant_user"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.tenant}"


class DeploymentStatus(models.TextChoices):
    PENDING = "pending"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    DEPROVISIONING = "deprovisioning"
    DELETED = "deleted"
    CANCELLED = "cancelled"
    FAILED = "failed"


_S = DeploymentStatus

# Live deployments own their hostname; cancelled and deleted ones free it.
RELEASED_STATUSES = [_S.CANCELLED, _S.DELETED]
# What a tenant's live-deployment quota counts: those holding or buying a
# droplet. A pending one holds nothing until provision/ (checked there).
QUOTA_COUNTED_STATUSES = [_S.PROVISIONING, _S.ACTIVE, _S.DEPROVISIONING, _S.FAILED]


class Deployment(StatusMachineMixin, models.Model):
    TRANSITIONS = Transitions(
        {
            _S.PENDING: {_S.PROVISIONING, _S.CANCELLED, _S.DELETED},
            # provisioning -> cancelled: the provisioning saga compensated.
            _S.PROVISIONING: {_S.ACTIVE, _S.CANCELLED},
            # active -> provisioning: activate_deployment's compensation.
            _S.ACTIVE: {_S.DEPROVISIONING, _S.PROVISIONING},
            # deprovisioning -> active: a teardown that compensated;
            # -> failed: a teardown that could not finish nor undo itself.
            _S.DEPROVISIONING: {_S.DELETED, _S.ACTIVE, _S.FAILED},
            # An operator retries the teardown of a failed deployment.
            _S.FAILED: {_S.DEPROVISIONING},
            _S.CANCELLED: set(),
            _S.DELETED: set(),
        }
    )

    # What the API calls it (arcadia.public_ids): random, so it tells nobody
    # how many deployments exist; the integer key stays for everything inside.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="deployments")
    name = models.CharField(max_length=DEPLOYMENT_NAME_MAX)
    hostname = models.CharField(max_length=253)
    # The A record's name in the zone (``<name>.<tenant>``), stored so a
    # deployment keeps its record when the mapping changes.
    dns_name = models.CharField(max_length=253, blank=True, default="")
    region = models.CharField(max_length=32)
    size = models.CharField(max_length=64)
    image = models.CharField(max_length=128)
    status = models.CharField(max_length=20, choices=DeploymentStatus.choices, default=_S.PENDING)
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    # The validated body the key was first used with (every field, defaults
    # filled in), so a retry with any field changed is refused, not replayed.
    # Empty on rows older than this column (their model fields are compared).
    idempotency_request = models.JSONField(blank=True, default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["hostname"],
                condition=~Q(status__in=RELEASED_STATUSES),
                name="uniq_live_deployment_hostname",
            ),
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="uniq_deployment_idempotency_key",
            ),
        ]

    def __str__(self):
        return self.hostname
