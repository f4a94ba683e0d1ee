"""What the zone should hold: each active deployment's A record, pointing
at its droplet. Inventory compares it with the zone's listing
(``inventory.observations.dns_observations``); this side knows deployments."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q

from deployments.models import Deployment, DeploymentStatus
from deployments.selectors import DEPLOYMENT_SUBJECT
from inventory.models import CloudResource, ResourceStatus
from inventory.observations import DnsExpectation
from provisioning.engine import SAGA_LIVE_STATUSES, Saga


def dns_expectations(started: datetime) -> list[DnsExpectation]:
    """The A records active deployments should have. A deployment with a
    saga live, or ended since ``started`` (the zone was listed after that),
    is moving its record right now and is skipped; so is one without an
    active droplet row (a drift finding covers that)."""
    in_motion = Saga.objects.filter(subject_type=DEPLOYMENT_SUBJECT).filter(
        Q(status__in=SAGA_LIVE_STATUSES) | Q(finished_at__gte=started)
    )
    active = (
        Deployment.objects.filter(status=DeploymentStatus.ACTIVE)
        .exclude(pk__in=[int(i) for i in in_motion.values_list("subject_id", flat=True)])
        .select_related("tenant")
    )
    addresses = dict(
        CloudResource.objects.filter(deployment__in=active, status=ResourceStatus.ACTIVE, ipv4__isnull=False)
        .order_by("created_at", "id")
        .values_list("deployment_id", "ipv4")
    )
    return [
        DnsExpectation(
            name=d.dns_name,  # as stored: legacy rows keep their old record name
            ipv4=addresses[d.pk],
            hostname=d.hostname,
            deployment_id=d.pk,
        )
        for d in active
        if d.pk in addresses
    ]
