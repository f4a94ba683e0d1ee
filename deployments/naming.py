"""How a deployment is named in DNS: the label rule, its length limits, and the
hostname a deployment gets. The one home of these rules: the API's input
serializer, the services and tenant creation all read them from here."""

from __future__ import annotations

import re

from django.conf import settings

from arcadia.exceptions import ApplicationError

# One DNS label (RFC 1035, lowercase as DigitalOcean stores it): letters,
# digits and inner hyphens, but not "--" in the third and fourth places:
# RFC 5891 (4.2.3.1) reserves those labels, and "xn--" is punycode, a
# label that a browser shows as other letters (a look-alike of another
# tenant's name). The lookahead is valid ECMA too, so the schema carries it.
DNS_LABEL_PATTERN = r"^(?![a-z0-9]{2}--)[a-z0-9]([a-z0-9-]*[a-z0-9])?$"
DNS_LABEL = re.compile(DNS_LABEL_PATTERN)
DNS_LABEL_RULE = (
    "Lowercase letters, digits and hyphens, not starting or ending with a hyphen, taken as sent "
    "(never trimmed)."
)
RESERVED_LABEL_RULE = (
    "Labels with '--' in the third and fourth places are reserved (RFC 5891): 'xn--' is punycode, "
    "which a browser would show as other letters."
)


def dns_label_problem(label: str) -> str | None:
    """Why ``label`` is not a DNS label Arcadia accepts, or ``None``.

    The whole string must match: ``re.match`` with ``$`` lets a trailing
    newline through, so ``"web\n"`` would pass as ``web``."""
    if DNS_LABEL.fullmatch(label):
        return None
    if len(label) > 3 and label[2:4] == "--":
        return RESERVED_LABEL_RULE
    return DNS_LABEL_RULE


# The limits, each for its own reason:
DNS_LABEL_MAX = 63  # RFC 1035: one label
HOSTNAME_MAX = 253  # RFC 1035: a whole name, in text form
# A deployment's name (Deployment.name's column): short enough that
# <name>.<tenant>.<domain> stays far below HOSTNAME_MAX for any sane domain.
DEPLOYMENT_NAME_MAX = 40
# A new tenant's slug (tenant_user_create): the second label of every hostname.
TENANT_SLUG_MAX = 20
# Tenant.slug's column: the API looks up slugs up to this long, so that a
# longer one answers "no such tenant" rather than a format error.
TENANT_SLUG_COLUMN_MAX = 50


def deployment_dns_label(*, name: str, tenant_slug: str) -> str:
    """The A record's name inside ``ARCADIA_DNS_DOMAIN``: ``<name>.<tenant>``.

    Each part is one DNS label (neither may contain a dot), so the dot
    between them makes the mapping unambiguous: no name in one tenant can
    produce another tenant's hostname. (The first releases used
    ``<name>-<tenant>``, where tenant ``demo``'s ``web-x`` was tenant
    ``x-demo``'s ``web``; such rows keep their stored ``dns_name``.)"""
    return f"{name}.{tenant_slug}"


def deployment_hostname(*, name: str, tenant_slug: str) -> str:
    return f"{deployment_dns_label(name=name, tenant_slug=tenant_slug)}.{settings.ARCADIA_DNS_DOMAIN}"


def deployment_dns_name(deployment) -> str:
    """The record name stored with the deployment (rows older than the
    ``<name>.<tenant>`` mapping keep their ``<name>-<tenant>``), so a
    deployment keeps the record it was given whatever the current mapping is."""
    return deployment.dns_name or deployment_dns_label(
        name=deployment.name, tenant_slug=deployment.tenant.slug
    )


def check_deployment_name(*, name: str, tenant_slug: str) -> None:
    """Raise ``ApplicationError`` unless ``name`` and ``tenant_slug`` are DNS
    labels and the hostname they make fits in a DNS name."""
    for part, what in ((name, "name"), (tenant_slug, "tenant slug")):
        problem = dns_label_problem(part)
        if len(part) > DNS_LABEL_MAX or problem:
            raise ApplicationError(
                f"The {what} is not a valid DNS label.",
                fields={
                    "name": f"'{part}' is not a DNS label of at most {DNS_LABEL_MAX} characters. "
                    + (problem or "")
                },
            )
    hostname = deployment_hostname(name=name, tenant_slug=tenant_slug)
    if len(hostname) > HOSTNAME_MAX:
        raise ApplicationError(
            "Name too long for a hostname.",
            fields={"name": f"'{hostname}' exceeds {HOSTNAME_MAX} characters; choose a shorter name."},
        )


def check_tenant_slug(slug: str) -> None:
    if dns_label_problem(slug) or len(slug) > TENANT_SLUG_MAX:
        raise ApplicationError(
            "Bad tenant slug.",
            fields={
                "tenant": f"lowercase letters, digits and inner hyphens (no '??--' such as 'xn--'), "
                f"at most {TENANT_SLUG_MAX} characters"
            },
        )
