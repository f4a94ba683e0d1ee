"""A small loopback load generator: C concurrent keep-alive clients, each
sending requests back to back for a fixed duration, then requests/s and
latency percentiles. Standard library only, so it measures the server and
not a client framework."""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class LoadResult:
    label: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return {
            "label": self.label,
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
        }


def run_load(
    label: str,
    url: str,
    *,
    method: str = "GET",
    headers: dict | None = None,
    body_factory=None,
    concurrency: int = 16,
    duration: float = 10.0,
    expect: tuple[int, ...] = (200,),
) -> LoadResult:
    """``body_factory(i)`` returns the body of request i (bytes) for writes."""
    parts = urlsplit(url)
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(10**9))
    stop_at = time.monotonic() + duration

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine, bad = [], 0
        while time.monotonic() < stop_at:
            body = body_factory(next(counter)) if body_factory else None
            started = time.perf_counter()
            try:
                conn.request(method, parts.path or "/", body=body, headers=headers or {})
                response = conn.getresponse()
                response.read()
                if response.status not in expect:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return LoadResult(label, len(latencies), errors[0], elapsed, *_percentiles(latencies))


def _percentiles(latencies: list[float]) -> tuple[float, float]:
    if len(latencies) < 2:
        return (latencies[0] * 1000 if latencies else 0.0,) * 2
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000
