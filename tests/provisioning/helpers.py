"""Helpers for saga tests: waiting on rows, reading and faulting the simulator."""

from provisioning.engine import SAGA_TERMINAL_STATUSES, Saga, SagaStep
from tests.support.waiting import wait_for

BODY = {"name": "web", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}
DOMAIN = "arcadia.test"


def wait_until(predicate, *, what: str, timeout: float = 60.0, tick: float = 0.05):
    return wait_for(predicate, what=what, timeout=timeout, tick=tick)


def wait_saga(saga_id, *, timeout: float = 60.0) -> Saga:
    """The saga once it reached a terminal status."""

    def ended():
        saga = Saga.objects.get(pk=saga_id)
        return saga if saga.status in SAGA_TERMINAL_STATUSES else None

    return wait_until(ended, what=f"saga {saga_id} to end", timeout=timeout)


def wait_step(saga_id, name: str, status: str, *, timeout: float = 30.0) -> SagaStep:
    return wait_until(
        lambda: SagaStep.objects.filter(saga_id=saga_id, name=name, status=status).first(),
        what=f"{name} {status}",
        timeout=timeout,
    )


# --- the simulator ------------------------------------------------------------


def droplets(sim) -> list[dict]:
    return sim.droplets()


def droplet_ipv4(droplet: dict) -> str | None:
    from dosim.client import droplet_ipv4 as ipv4

    return ipv4(droplet)


def records(sim) -> list[dict]:
    return sim.records(DOMAIN)


def a_record(sim, name: str) -> dict | None:
    return sim.a_record(name, DOMAIN)


def dns_seed(sim, name: str, data: str, *, ttl: int) -> dict:
    return sim.add_record(DOMAIN, name, data, ttl=ttl)


def fault_permanent_at(sim, step: str) -> None:
    """A permanent failure of the step's own HTTP call (for the steps that
    make one; the others fail through tests.provisioning.faulty)."""
    if step == "create_droplet":
        sim.faults("droplet_create", fail_next=1, status=422, message="Region is unavailable.")
    elif step == "wait_droplet_active":
        sim.faults("droplet_create", errored=True)
    elif step == "point_deployment_dns":
        sim.faults(
            record_create={"fail_next": 1, "status": 422, "message": "Invalid record."},
            record_update={"fail_next": 1, "status": 422, "message": "Invalid record."},
        )


def fault_lost_response_on_create(sim) -> None:
    """Create does its work, then answers 400: the step fails at once without
    ever learning the droplet's id. The tag listing lags, too."""
    sim.faults("droplet_create", lost_response=1, lost_mode="error", status=400)
    sim.faults("droplet_list", tag_lag=0.5)


def fault_storms(sim) -> None:
    """429s and 5xx on every operation the saga uses, plus a create whose
    answer is lost after the work was done."""
    sim.faults(
        droplet_create={"lost_response": 1, "lost_mode": "error", "status": 503},
        droplet_list={"fail_next": 2, "status": 429, "retry_after": 1, "tag_lag": 0.5},
        droplet_get={"failure_rate": 0.3, "status": 503},
        record_list={"fail_next": 2, "status": 500},
        record_create={"fail_next": 1, "status": 429, "retry_after": 1},
    )


def droplets_stay_new(sim) -> None:
    sim.faults("droplet_create", stuck_new=True)
