"""Fair share between fairness keys (tenants) inside each lane: waiting keys
take turns by weight, an idle key waits about one turn, a key alone takes
the whole budget, and the lanes still go first."""

import multiprocessing
import time

import pytest

from inventory.budget import Caller
from tests.budget.helpers import config, make_budget, redis_store

STORES = ["redis", "memory"]


def waiter(key: str, n: int, **kw) -> Caller:
    return Caller(saga_id=f"{key}{n}", step="create_droplet", fairness_key=key, **kw)


def _full(budget) -> None:
    """Use the window up, so every later caller queues."""
    while budget.acquire(Caller(), "GET", "/v2/x").granted:
        pass


@pytest.mark.parametrize("kind", STORES)
def test_a_tenant_that_comes_late_takes_turns_with_the_backlog(kind):
    budget = make_budget(kind, config(per_minute=1, per_hour=1000, minute_window=60.0))
    _full(budget)
    ahead = {}
    for n in range(6):
        ahead[f"acme{n}"] = budget.acquire(waiter("acme", n), "POST", "/v2/droplets").ahead
    for n in range(3):
        ahead[f"globex{n}"] = budget.acquire(waiter("globex", n), "POST", "/v2/droplets").ahead
    # acme queued 6 first; globex's 3 interleave with them, one each turn.
    assert [ahead[f"globex{n}"] for n in range(3)] == [0, 2, 4]
    # Asked again, acme's 4th (queued behind its own 3) now has globex's 3 ahead too.
    assert budget.acquire(waiter("acme", 3), "POST", "/v2/droplets").ahead == 6


@pytest.mark.parametrize("kind", STORES)
def test_an_idle_tenant_waits_about_one_turn_not_behind_a_backlog(kind):
    budget = make_budget(kind, config(per_minute=1, per_hour=1000, minute_window=60.0))
    _full(budget)
    for n in range(50):
        budget.acquire(waiter("acme", n), "POST", "/v2/droplets")
    assert budget.acquire(waiter("globex", 0), "POST", "/v2/droplets").ahead <= 1


@pytest.mark.parametrize("kind", STORES)
def test_a_weight_of_two_gets_two_turns_to_one(kind):
    budget = make_budget(kind, config(per_minute=1, per_hour=1000, minute_window=60.0))
    _full(budget)
    for n in range(6):
        budget.acquire(waiter("acme", n), "POST", "/v2/droplets")
    ahead = [budget.acquire(waiter("globex", n, weight=2), "POST", "/v2/droplets").ahead for n in range(4)]
    # globex's start tags advance half as fast: 0, .5, 1, 1.5 against acme's 0, 1, 2 ...
    assert ahead == [0, 2, 3, 5]  # weight 1 would be [0, 2, 4, 6]


@pytest.mark.parametrize("kind", STORES)
def test_a_tenant_alone_takes_the_whole_budget(kind):
    budget = make_budget(kind, config(per_minute=5, per_hour=1000, minute_window=60.0))
    granted = [budget.acquire(waiter("acme", n), "POST", "/v2/droplets").granted for n in range(7)]
    assert granted == [True] * 5 + [False] * 2
    assert budget.status()["by_key"]["acme"] == {"minute": 5, "hour": 5, "waiting": 2}


@pytest.mark.parametrize("kind", STORES)
def test_compensation_still_goes_before_any_tenants_creates(kind):
    budget = make_budget(kind, config(per_minute=1, per_hour=1000, minute_window=60.0))
    _full(budget)
    budget.acquire(waiter("globex", 0), "POST", "/v2/droplets")
    for n in range(5):
        budget.acquire(waiter("acme", n, compensating=True), "DELETE", "/v2/droplets/1")
    assert budget.acquire(waiter("globex", 0), "POST", "/v2/droplets").ahead == 5


def _tenant(key: str, budget_key: str, weight: float, start_at: float, seconds: float, out) -> None:
    """One tenant's worker process with a backlog: 20 sagas in flight, each
    asking again when the budget said its turn comes (as a step's task
    does), the next saga taking a granted one's place. Both processes start
    at ``start_at`` (wall clock, shared), and only permits after the first
    window count: the first window goes to whoever asks first, by design
    (a tenant alone gets everything)."""
    from inventory.budget.budget import Budget

    budget = Budget(_RACE, redis_store(budget_key), budget_key)
    time.sleep(max(0.0, start_at - time.time()))
    counted_from, until = time.time() + _RACE.minute_window, time.time() + seconds
    granted, started = 0, IN_FLIGHT
    due = {n: 0.0 for n in range(IN_FLIGHT)}  # saga -> when it asks again (time.time())
    while time.time() < until:
        n = min(due, key=due.get)
        time.sleep(max(0.0, due[n] - time.time()))
        decision = budget.acquire(waiter(key, n, weight=weight), "POST", "/v2/droplets")
        if decision.granted:
            granted += time.time() >= counted_from
            del due[n]
            due[started], started = time.time(), started + 1
        else:
            due[n] = time.time() + min(decision.wait, 0.05)
    out.put((key, granted))


# The backlog (2 x 20 in flight) is four times what one window frees at once
# (permits granted together leave together): were it smaller, every waiter
# would be served in each burst, whatever its weight.
_RACE, IN_FLIGHT = config(per_minute=10, per_hour=100_000, minute_window=2.0), 20


@pytest.mark.parametrize("weights", [(1, 1), (1, 2)])
def test_processes_of_two_tenants_share_the_permits_by_weight(weights):
    budget_key = f"fair-{time.time_ns()}"
    redis_store(budget_key).reset()
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start_at = time.time() + 2.0  # both forked and ready by then
    procs = [
        context.Process(target=_tenant, args=(key, budget_key, weight, start_at, 12.0, out))
        for key, weight in zip(("acme", "globex"), weights, strict=True)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    got = dict(out.get(timeout=5) for _ in procs)
    share = got["globex"] / (got["acme"] + got["globex"])
    expected = weights[1] / sum(weights)
    # ~50 permits counted: a share within 0.1 of the weights' (1/2 or 2/3).
    assert abs(share - expected) <= 0.1, got
    redis_store(budget_key).reset()


@pytest.mark.parametrize("kind", STORES)
def test_creates_are_paced_so_a_burst_leaves_the_minute_to_later_tenants(kind):
    paced = config(
        per_minute=60, per_hour=1000, minute_window=60.0, create_pace_window=10.0, create_pace_limit=2
    )
    budget = make_budget(kind, paced)
    burst = [budget.acquire(waiter("acme", n, holds=2), "POST", "/v2/droplets") for n in range(5)]
    # Two creates fill the pace (2 in 10 s), not the minute (60, with their holds 6).
    assert [d.granted for d in burst] == [True, True, False, False, False]
    assert 5.0 <= burst[2].wait <= 10.0
    # A tenant arriving now is next when the pace frees, ahead of acme's backlog.
    late = budget.acquire(waiter("globex", 0, holds=2), "POST", "/v2/droplets")
    assert not late.granted and late.ahead == 0
    # Other lanes are not paced.
    assert budget.acquire(
        Caller(saga_id="x", step="point_deployment_dns"), "GET", "/v2/domains/z/records"
    ).granted
