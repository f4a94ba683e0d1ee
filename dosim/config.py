"""The simulator's settings: what ``python -m dosim``'s flags,
``start_in_thread(**config)`` and ``POST /_dosim/config`` or ``/_dosim/reset``
may set, each value parsed to its field's type."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

# The catalog the simulator sells (GET /v2/regions, /v2/sizes, /v2/images):
# small, and holding every slug the tests, the benchmarks and the demo use.
CATALOG_REGIONS = ("ams3", "blr1", "fra1", "lon1", "nyc1", "nyc3", "sfo3", "sgp1", "syd1", "tor1")
CATALOG_SIZES = (
    "s-1vcpu-512mb-10gb",
    "s-1vcpu-1gb",
    "s-1vcpu-2gb",
    "s-2vcpu-2gb",
    "s-2vcpu-4gb",
    "s-4vcpu-8gb",
)
CATALOG_IMAGES = ("ubuntu-24-04-x64", "ubuntu-22-04-x64", "debian-12-x64", "fedora-40-x64")
# "region:size" pairs the region does not sell (DigitalOcean's biggest sizes
# are missing from some regions): a size must be available where it is asked for.
CATALOG_UNSOLD = ("blr1:s-4vcpu-8gb",)
_TUPLES = ("domains", "regions", "sizes", "images", "unsold")


@dataclass
class Config:
    token: str = "dosim-token"
    domains: tuple[str, ...] = ("arcadia.test",)
    boot_delay: float = 1.0
    # 0 = no budget: benchmarks must measure Arcadia, not DigitalOcean's
    # 250/minute limit; set it to see 429s.
    rate_limit_per_minute: int = 0
    # DigitalOcean's other window (5,000 at the real API); 0 = none.
    rate_limit_per_hour: int = 0
    default_per_page: int = 20
    max_per_page: int = 200
    log_size: int = 5000
    seed: int | None = None
    # Keep whole request/response pairs (conformance tests validate them).
    capture: bool = False
    # Base of pagination links instead of the request's Host (tests only).
    links_base: str = ""
    # The catalog (comma-separated on the command line and in /_dosim/config).
    regions: tuple[str, ...] = CATALOG_REGIONS
    sizes: tuple[str, ...] = CATALOG_SIZES
    images: tuple[str, ...] = CATALOG_IMAGES
    unsold: tuple[str, ...] = CATALOG_UNSOLD

    def sells(self, region: str, size: str) -> bool:
        return region in self.regions and size in self.sizes and f"{region}:{size}" not in self.unsold

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        unknown = set(values) - set(known)
        if unknown:
            raise ValueError(f"unknown config key(s) {sorted(unknown)}; one of {sorted(known)}")
        for key, value in values.items():
            if key in _TUPLES:
                if isinstance(value, str):
                    # A catalog list comes comma-separated; a domain alone.
                    value = [value] if key == "domains" else [v for v in value.split(",") if v.strip()]
                value = tuple(value)
            elif key == "capture" and isinstance(value, str):
                value = value.lower() in ("1", "true", "yes")
            elif value is not None and key not in ("token", "seed"):
                value = type(getattr(Config, key))(value)
            setattr(self, key, value)
