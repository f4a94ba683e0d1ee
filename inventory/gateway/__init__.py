"""The DigitalOcean gateway: the operations Arcadia needs, over python-digitalocean.

Clients import from here, never from the modules: ``gateway`` (the
operations), ``transport`` (what every request passes through), ``errors``,
``results`` (what the operations return), ``configured`` (the process's
gateway from settings).
"""

from inventory.gateway.configured import get_gateway
from inventory.gateway.errors import (
    GatewayError,
    GatewayNotFound,
    GatewayPermanentError,
    GatewayThrottled,
    GatewayTransientError,
)
from inventory.gateway.gateway import DigitalOceanGateway
from inventory.gateway.results import DnsRecord, Droplet, Listing
from inventory.gateway.transport import LibraryVersionError

__all__ = [
    "DigitalOceanGateway",
    "DnsRecord",
    "Droplet",
    "GatewayError",
    "GatewayNotFound",
    "GatewayPermanentError",
    "GatewayThrottled",
    "GatewayTransientError",
    "LibraryVersionError",
    "Listing",
    "get_gateway",
]
