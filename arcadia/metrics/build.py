"""Build information: Arcadia's version and the saga definitions' versions."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from django.conf import settings
from prometheus_client.core import InfoMetricFamily

from arcadia.metrics.definitions import Known


@lru_cache(maxsize=1)
def arcadia_version() -> str:
    # The project is run from its tree, not installed: its version is pyproject's.
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as f:
            return str(tomllib.load(f)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def build_families(known: tuple[Known, ...]) -> list:
    build = InfoMetricFamily("arcadia_build", "Arcadia's version.", value={"version": arcadia_version()})
    definitions = InfoMetricFamily(
        "arcadia_saga_definition", "The saga definitions this process starts sagas with.", labels=["kind"]
    )
    for k in known:
        definitions.add_metric([k.kind], {"version": str(k.version)})
    return [build, definitions]
