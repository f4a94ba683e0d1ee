"""A create holds the calls the rest of its saga plans: a window running out
stops new creates first, and every saga already past create can finish."""

import time

import pytest

from inventory.budget import Caller
from tests.budget.helpers import config, make_budget

STORES = ["redis", "memory"]


def create(n: int, key: str = "acme", holds: int = 2) -> Caller:
    return Caller(saga_id=f"s{n}", step="create_droplet", fairness_key=key, holds=holds, plan=1)


def dns(n: int, key: str = "acme") -> Caller:
    return Caller(saga_id=f"s{n}", step="point_deployment_dns", fairness_key=key, plan=2)


def planned_poll(n: int) -> Caller:
    # The wait step as the provisioning saga plans it: one read, two DNS calls after it.
    return Caller(saga_id=f"s{n}", step="wait_droplet_active", fairness_key="acme", holds=2, plan=1)


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


@pytest.mark.parametrize("kind", STORES)
def test_a_second_poll_cannot_spend_the_dns_calls_held(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=8))
    assert budget.acquire(create(0, holds=3), "POST", "/v2/droplets").granted  # 1 used, 3 held
    assert budget.acquire(create(1, holds=3), "POST", "/v2/droplets").granted  # 2 used, 6 held
    assert budget.acquire(planned_poll(0), "GET", "/v2/droplets/1").granted  # its held read
    assert budget.status()["held"] == 5
    # The window is full (3 used, 5 held): the next poll of saga 0 is not
    # planned, and its DNS calls stay held for it.
    assert not budget.acquire(planned_poll(0), "GET", "/v2/droplets/1").granted
    assert budget.status()["held"] == 5
    assert budget.acquire(dns(0), "GET", "/v2/domains/z/records", cost=2).granted
    assert budget.acquire(dns(1), "GET", "/v2/domains/z/records", cost=2).granted


@pytest.mark.parametrize("kind", STORES)
def test_a_read_held_and_not_spent_is_given_back_at_the_next_planned_step(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=11))  # 2 used, 6 held: 3 left, a create needs 4
    assert budget.acquire(create(0, holds=3), "POST", "/v2/droplets").granted
    assert budget.acquire(create(1, holds=3), "POST", "/v2/droplets").granted
    assert not budget.acquire(create(2, holds=3), "POST", "/v2/droplets").granted
    # Saga 0's droplet was seen active in a listing another saga paid for:
    # its DNS step spends two and gives back the read it never made.
    assert budget.acquire(dns(0), "GET", "/v2/domains/z/records", cost=2).granted
    assert budget.status()["held"] == 3  # saga 1's; 4 used, 4 left
    assert budget.acquire(create(2, holds=3), "POST", "/v2/droplets").granted


@pytest.mark.parametrize("kind", STORES)
def test_a_retried_create_holds_nothing_twice(kind):
    budget = make_budget(kind, config(per_minute=0, per_hour=20))
    assert budget.acquire(create(0, holds=3), "POST", "/v2/droplets").granted
    assert budget.acquire(create(0, holds=3), "POST", "/v2/droplets").granted  # its answer was lost
    assert budget.status()["held"] == 3


@pytest.mark.parametrize("kind", STORES)
def test_a_rollback_spends_what_its_saga_still_holds_first(kind):
    from provisioning.steps._gateway import SPEND_ANY_HELD

    budget = make_budget(kind, config(per_minute=0, per_hour=8))
    assert budget.acquire(create(0, holds=3), "POST", "/v2/droplets").granted
    assert budget.acquire(create(1, holds=3), "POST", "/v2/droplets").granted  # 2 used, 6 held: full
    undo = Caller(saga_id="s0", step="create_droplet", compensating=True, plan=SPEND_ANY_HELD)
    # Saga 0 failed before its DNS: destroying its droplet is paid from the
    # calls it will never make, at once, though the window has nothing free.
    assert budget.acquire(undo, "DELETE", "/v2/droplets/1").granted
    assert budget.status()["held"] == 5
    assert budget.acquire(dns(1), "GET", "/v2/domains/z/records", cost=2).granted


@pytest.mark.parametrize("kind", STORES)
def test_a_create_counts_held_calls_in_the_minute_its_lead_reaches(kind):
    # The fairness bench: creates that counted only the window as it was
    # spent the minute in 22 s, and a saga whose droplet was then active
    # waited 37 s for its DNS calls (B's max 71 s). Counting held calls in
    # the window as it will stand when those calls come (the lead: here 2 s
    # of a 6 s window), creates stop first and the DNS calls find room.
    cfg = config(
        per_minute=10, per_hour=0, minute_window=6.0, minute_reserve=0, create_pace_limit=0, create_lead=3.5
    )
    budget = make_budget(kind, cfg)
    granted = [budget.acquire(create(n, holds=2), "POST", "/v2/droplets").granted for n in range(4)]
    assert granted == [True, True, True, False]  # 3 creates + 6 held = 9 of 10
    refused = budget.acquire(create(3, holds=2), "POST", "/v2/droplets")
    # Its turn: when the first entry leaves the window as the lead sees it.
    assert 0 < refused.wait <= cfg.minute_window - cfg.create_lead
    for n in range(3):
        assert budget.acquire(dns(n), "GET", "/v2/domains/z/records", cost=2).granted
    # The window is full now (9 permits); the creates' entries leave the
    # window their lead reaches 2.5 s after their grant.
    time.sleep(cfg.minute_window - cfg.create_lead + 1.0)
    assert budget.acquire(create(3, holds=2), "POST", "/v2/droplets").granted
