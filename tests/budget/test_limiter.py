"""The budget's limiter: never above a limit in any window, even with
processes racing; corrected by the provider's headers; paused by a 429."""

import multiprocessing
import time

import pytest

from dosim.ratelimit import most_in_any_window
from inventory.budget import PAST_CREATE, Caller
from inventory.budget.decision import Request
from tests.budget.helpers import BASE, config, make_budget, redis_store

STORES = ["redis", "memory"]
ANY = Caller()


def _race(key: str, seconds: float, out) -> None:
    """One racing process: take every permit it can for ``seconds``."""
    store = redis_store(key)
    granted, until = 0, time.monotonic() + seconds
    while time.monotonic() < until:
        decision = store.acquire(BASE, Request(lane=PAST_CREATE))
        granted += decision.granted
        if not decision.granted:
            time.sleep(min(decision.wait, 0.02))
    out.put(granted)


def headers(*, remaining: int, reset: int = 0, limit: int = 100) -> dict:
    return {
        "ratelimit-limit": str(limit),
        "ratelimit-remaining": str(remaining),
        "ratelimit-reset": str(reset),
    }


def test_processes_racing_never_exceed_either_window():
    key = "race-" + str(time.time_ns())
    redis_store(key).reset()
    out = multiprocessing.get_context("fork").Queue()  # noqa: SIM115
    racers = [
        multiprocessing.get_context("fork").Process(target=_race, args=(key, 3.5, out)) for _ in range(4)
    ]
    for p in racers:
        p.start()
    for p in racers:
        p.join(30)
    granted = sum(out.get(timeout=5) for _ in racers)
    store = redis_store(key)
    stamps = [score for _, score in store.client.zrange(store.keys["hour"], 0, -1, withscores=True)]
    assert granted == len(stamps) == BASE.per_hour  # the hour's 12, not one more
    assert most_in_any_window(stamps, BASE.minute_window) == BASE.per_minute  # 5 a "minute", never 6
    store.reset()


@pytest.mark.parametrize("kind", STORES)
def test_a_refusal_says_when_the_callers_turn_comes(kind):
    budget = make_budget(kind)
    for _ in range(5):
        assert budget.acquire(ANY, "GET", "/v2/droplets/1").granted
    refused = budget.acquire(ANY, "GET", "/v2/droplets/1")
    assert not refused.granted and 0 < refused.wait <= BASE.minute_window
    time.sleep(refused.wait)
    assert budget.acquire(ANY, "GET", "/v2/droplets/1").granted


@pytest.mark.parametrize("kind", STORES)
def test_header_resync_lowers_what_is_left(kind):
    budget = make_budget(kind, config(per_minute=1000, per_hour=100))
    decision = budget.acquire(ANY, "GET", "/v2/droplets/1")
    # The provider has counted 60 requests of this token in its hour: others share it.
    budget.observe(
        200, {"ratelimit-limit": "100", "ratelimit-remaining": "40", "ratelimit-reset": "0"}, decision
    )
    status = budget.status()
    assert status["hour"]["used"] == 60 and status["hour"]["left"] == 40
    # Saying more is left than we count changes nothing (our count is the safe one).
    budget.observe(
        200, {"ratelimit-limit": "100", "ratelimit-remaining": "90", "ratelimit-reset": "0"}, decision
    )
    assert budget.status()["hour"]["used"] == 60


@pytest.mark.parametrize("kind", STORES)
def test_nothing_left_in_the_headers_pauses_until_the_reset(kind):
    budget = make_budget(kind, config(per_minute=1000, per_hour=1000))
    reset = int(time.time()) + 600
    decision = budget.acquire(ANY, "GET", "/v2/droplets/1")
    budget.observe(
        200, {"ratelimit-limit": "100", "ratelimit-remaining": "0", "ratelimit-reset": str(reset)}, decision
    )
    refused = budget.acquire(ANY, "GET", "/v2/droplets/1")
    # Bounds far apart: a loaded machine may take seconds between the calls.
    assert not refused.granted and 540 <= refused.wait <= 601


def test_a_429_pauses_every_process_of_the_token():
    key = "pause-" + str(time.time_ns())
    one, other = make_budget("redis", key=key), make_budget("redis", key=key)  # two clients, one Redis
    paused = one.observe(429, {"retry-after": "300", "ratelimit-remaining": "7"}, None)
    assert 240 < paused <= 300
    refused = other.acquire(ANY, "GET", "/v2/droplets/1")
    assert not refused.granted and 240 < refused.wait <= 301
    status = other.status()
    assert status["answered_429"] == 1 and status["last_429"] is not None and status["paused_until"]
    one.reset()


@pytest.mark.parametrize("kind", STORES)
def test_compensation_goes_before_sagas_past_create_before_new_creates(kind):
    budget = make_budget(kind, config(per_minute=1, per_hour=100))
    assert budget.acquire(ANY, "GET", "/v2/x").granted  # the window is full now
    create = Caller(saga_id="a", step="create_droplet")
    past = Caller(saga_id="b", step="point_deployment_dns")
    undo = Caller(saga_id="c", step="create_droplet", compensating=True)
    waits = {}
    for who, path, method in ((create, "/v2/droplets", "POST"), (past, "/v2/domains/z/records", "GET")):
        waits[who.saga_id] = budget.acquire(who, method, path)
    waits["c"] = budget.acquire(undo, "DELETE", "/v2/droplets/1")
    assert not any(d.granted for d in waits.values())
    time.sleep(max(d.wait for d in waits.values()) + 0.05)
    # One permit frees per window; it goes by lane, whoever asks first.
    refused = budget.acquire(create, "POST", "/v2/droplets")
    assert not refused.granted and refused.ahead == 2  # behind the later saga's DNS and the rollback
    assert budget.acquire(past, "GET", "/v2/domains/z/records").ahead == 1
    assert budget.acquire(undo, "DELETE", "/v2/droplets/1").granted


@pytest.mark.parametrize("kind", STORES)
def test_waits_spread_waiters_by_rank_first_come_first_served(kind):
    budget = make_budget(kind, config(per_minute=10, per_hour=1000, minute_window=10.0))
    for _ in range(10):
        budget.acquire(ANY, "GET", "/v2/x")
        time.sleep(0.01)
    callers = [Caller(saga_id=f"s{i}", step="wait_droplet_active") for i in range(8)]
    waits = [budget.acquire(c, "GET", "/v2/droplets/1").wait for c in callers]
    assert waits == sorted(waits) and waits[-1] - waits[0] >= 0.05  # one after the other, not all at once
    # Asked again in any order, each keeps the rank it queued with.
    again = {c.saga_id: budget.acquire(c, "GET", "/v2/droplets/1") for c in reversed(callers)}
    assert [again[c.saga_id].ahead for c in callers] == list(range(8))
    assert budget.status()["waiting_by_lane"]["past_create"] == 8


@pytest.mark.parametrize("kind", STORES)
def test_creates_leave_the_reserve_to_the_other_lanes(kind):
    budget = make_budget(kind, config(per_minute=10, per_hour=1000, minute_reserve=3))
    create = Caller(saga_id="a", step="create_droplet")
    granted = [budget.acquire(create, "POST", "/v2/droplets").granted for _ in range(10)]
    assert granted.count(True) == 7
    later = Caller(saga_id="b", step="point_deployment_dns")
    assert all(budget.acquire(later, "GET", "/v2/domains/z/records").granted for _ in range(3))


@pytest.mark.parametrize("kind", STORES)
def test_a_step_takes_the_permits_of_its_calls_in_a_row_at_once(kind):
    budget = make_budget(kind, config(per_minute=3))
    dns = Caller(saga_id="a", step="point_deployment_dns")
    assert budget.acquire(dns, "GET", "/v2/domains/z/records", cost=2).granted
    # One left: not enough for another look-up-then-write, which would stop half-way.
    assert not budget.acquire(dns, "GET", "/v2/domains/z/records", cost=2).granted
    # Another tenant's turn comes with "a"'s, so the one permit left is its.
    other = Caller(saga_id="b", step="wait_droplet_active", fairness_key="globex")
    assert budget.acquire(other, "GET", "/v2/droplets/1").granted
    assert budget.status()["minute"]["used"] == 3


@pytest.mark.parametrize("kind", STORES)
def test_permits_taken_ahead_and_moved_count_from_their_move(kind):
    # A DNS step takes its look-up's and its write's permits at once; the
    # write may be answered seconds later. Moved to then, its permit stays in
    # the window a whole window after the move, the look-up's after the grant.
    budget = make_budget(kind, config(per_minute=4, minute_window=6.0))
    dns = Caller(saga_id="a", step="point_deployment_dns")
    granted_at = time.monotonic()
    decision = budget.acquire(dns, "GET", "/v2/domains/z/records", cost=2)
    assert decision.granted
    time.sleep(3.0)
    assert budget.answered(decision, dns, index=1, age=3.0)
    time.sleep(max(0.0, granted_at + 7.0 - time.monotonic()))  # the grant's slot is gone, the move's is not
    assert budget.status()["minute"]["used"] == 1


@pytest.mark.parametrize("kind", STORES)
def test_permits_that_left_the_window_are_not_moved(kind):
    budget = make_budget(kind, config(per_minute=4, minute_window=1.0))
    dns = Caller(saga_id="a", step="point_deployment_dns")
    decision = budget.acquire(dns, "GET", "/v2/domains/z/records", cost=2)
    time.sleep(2.0)
    assert not budget.answered(decision, dns, index=1, age=2.0)
    assert budget.status()["minute"]["used"] == 0
