"""A create holds the calls the rest of its saga plans: a window running out
stops new creates first, and every saga already past create can finish."""

import time

import pytest

from inventory.budget import Caller
from tests.budget.helpers import config, make_budget

STORES = ["redis", "memory"]


def create(n: int, key: str = "acme") -> Caller:
    return Caller(saga_id=f"s{n}", step="create_droplet", fairness_key=key, holds=2, planned=True)


def dns(n: int, key: str = "acme") -> Caller:
    return Caller(saga_id=f"s{n}", step="point_deployment_dns", fairness_key=key, planned=True)


def poll(n: int) -> Caller:
    return Caller(saga_id=f"s{n}", step="wait_droplet_active", fairness_key="acme")


@pytest.mark.parametrize("kind", STORES)
def test_creates_stop_while_the_window_can_still_finish_every_saga(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=10))
    granted = [budget.acquire(create(n), "POST", "/v2/droplets").granted for n in range(5)]
    # 3 creates x (1 + 2 held) = 9 of 10: a 4th would leave a saga unable to finish.
    assert granted == [True, True, True, False, False]
    status = budget.status()
    assert (status["hour"]["used"], status["held"]) == (3, 6)
    # Each saga bought can still make its DNS look-up and write, queue or not.
    assert all(budget.acquire(dns(n), "GET", "/v2/domains/z/records", cost=2).granted for n in range(3))
    assert budget.status()["held"] == 0


@pytest.mark.parametrize("kind", STORES)
def test_calls_the_plan_did_not_count_cannot_spend_what_is_held(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=7))
    assert budget.acquire(create(0), "POST", "/v2/droplets").granted
    assert budget.acquire(create(1), "POST", "/v2/droplets").granted  # 2 used, 4 held, 1 free
    assert budget.acquire(poll(0), "GET", "/v2/droplets").granted  # the free one
    assert not budget.acquire(poll(1), "GET", "/v2/droplets").granted  # the rest is held
    assert budget.acquire(dns(1), "GET", "/v2/domains/z/records", cost=2).granted


@pytest.mark.parametrize("kind", STORES)
def test_a_saga_that_ends_gives_back_what_it_still_holds(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=7))
    assert budget.acquire(create(0), "POST", "/v2/droplets").granted
    assert budget.acquire(create(1), "POST", "/v2/droplets").granted
    assert not budget.acquire(create(2), "POST", "/v2/droplets").granted
    assert budget.release("s0") == 2  # rolled back: its DNS calls will never come
    assert budget.release("s0") == 0
    assert budget.acquire(create(2), "POST", "/v2/droplets").granted


@pytest.mark.parametrize("kind", STORES)
def test_held_calls_lapse_when_a_saga_never_comes_back(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=7, hold_seconds=1.0))
    assert budget.acquire(create(0), "POST", "/v2/droplets").granted
    assert budget.acquire(create(1), "POST", "/v2/droplets").granted
    assert not budget.acquire(create(2), "POST", "/v2/droplets").granted
    time.sleep(2.5)
    assert budget.acquire(create(2), "POST", "/v2/droplets").granted
