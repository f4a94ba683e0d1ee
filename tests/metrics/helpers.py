"""Reading ``/metrics`` back as numbers, for the metrics tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token"


def scrape(client, *, token: str = TOKEN) -> dict[tuple[str, tuple], float]:
    """Every sample of one scrape: ``{(name, sorted label pairs): value}``."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return parse(response.content.decode())


def parse(text: str) -> dict[tuple[str, tuple], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    """One sample's value; a missing one fails, naming what there is."""
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        near = sorted(str(k) for k in samples if k[0] == name)
        raise AssertionError(f"no sample {key}; {name} has {near}")
    return samples[key]


def total(samples: dict, name: str, **labels) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, pairs), v in samples.items() if n == name and wanted <= set(pairs))
