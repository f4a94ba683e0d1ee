"""The simulator's rate limit: two sliding windows of accepted requests per
token, integer headers on every answer, 429 with retry-after past a limit."""

import pytest
import requests

from dosim.ratelimit import RateLimit, most_in_any_window
from tests.support.dosim import spawn_dosim


def get(sim, path="droplets"):
    headers = {"Authorization": f"Bearer {sim.token}"}
    return requests.get(sim.api_url + path, headers=headers, timeout=5)


def test_the_minute_window_slides_and_counts_only_accepted_requests():
    limit = RateLimit()
    admit = lambda now: limit.admit(now, per_minute=3, per_hour=0)  # noqa: E731
    assert [admit(t)[1] for t in (0.0, 10.0, 20.0)] == [False, False, False]
    headers, limited = admit(30.0)
    assert limited and headers["retry-after"] == "30"  # the request at 0 expires at 60
    assert admit(59.0)[1]  # rejected ones did not extend the window
    assert not admit(60.5)[1]  # the oldest accepted one has expired
    assert admit(60.6)[1]
    assert limit.snapshot(61.0)["minute"] == 3


def test_the_hour_window_limits_past_the_minute_window():
    limit = RateLimit()
    for t in range(0, 500, 100):  # five requests, one per 100 s: never a minute burst
        assert not limit.admit(float(t), per_minute=3, per_hour=5)[1]
    headers, limited = limit.admit(600.0, per_minute=3, per_hour=5)
    assert limited
    assert headers["retry-after"] == "3000"  # the request at 0 leaves the hour at 3600
    assert (headers["ratelimit-limit"], headers["ratelimit-remaining"]) == ("5", "0")
    assert headers["ratelimit-reset"] == "3600"


def test_headers_report_the_hourly_quota_left_and_when_the_oldest_request_expires(dosim):
    dosim.configure(rate_limit_per_minute=100, rate_limit_per_hour=10)
    first = get(dosim)
    second = get(dosim)
    assert (second.headers["ratelimit-limit"], second.headers["ratelimit-remaining"]) == ("10", "8")
    reset = int(second.headers["ratelimit-reset"])
    assert int(float(first.headers["ratelimit-reset"])) == reset  # the oldest request did not change
    assert dosim.windows() == {"minute": 2, "hour": 2}


def test_a_minute_burst_is_429_with_retry_after_and_rejections_do_not_count(dosim):
    dosim.configure(rate_limit_per_minute=2, rate_limit_per_hour=100)
    statuses = [get(dosim).status_code for _ in range(5)]
    assert statuses == [200, 200, 429, 429, 429]
    answer = get(dosim)
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert answer.headers["ratelimit-remaining"] == "98"  # hourly quota: the 429s cost nothing
    assert dosim.windows() == {"minute": 2, "hour": 2}


def test_resetting_the_windows_keeps_droplets_and_the_log(dosim):
    dosim.configure(rate_limit_per_minute=1)
    assert get(dosim).status_code == 200
    assert get(dosim).status_code == 429
    assert dosim.reset_windows() == {"minute": 0, "hour": 0}
    assert get(dosim).status_code == 200
    assert len(dosim.requests()) == 3


@pytest.mark.integration
def test_both_windows_from_the_command_line():
    with spawn_dosim("--rate-limit-per-minute", "5", "--rate-limit-per-hour", "2") as sim:
        assert [get(sim).status_code for _ in range(3)] == [200, 200, 429]
        config = sim.state()["config"]
        assert (config["rate_limit_per_minute"], config["rate_limit_per_hour"]) == (5, 2)


def test_most_in_any_window_counts_a_sliding_window_not_calendar_minutes():
    # 3 late in one calendar minute and 3 early in the next: 6 in 60 s.
    times = [50.0, 55.0, 59.0, 61.0, 65.0, 100.0]
    assert most_in_any_window(times, 60.0) == 6
    # A request exactly one window after another is in the next window.
    assert most_in_any_window([0.0, 60.0, 120.0], 60.0) == 1
    assert most_in_any_window([], 60.0) == 0
