"""The create step's mark of when its create left: checkpointed after the
permit and before the request, so a retry knows whether an earlier run can
have bought a droplet the tag listing does not show yet. Run directly on a
step context, against the simulator over real HTTP."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from provisioning.engine import NotReady, StepContext
from provisioning.steps.create_droplet import CREATE_SENT, CreateDroplet

pytestmark = pytest.mark.django_db

INPUTS = {"droplet_name": "web-acme", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"}


def _context(*, attempt: int, started_ago: float, checkpoint, **data) -> StepContext:
    return StepContext(
        saga_id="5a9a0000-0000-4000-8000-000000000001",
        step_index=1,
        step_name="create_droplet",
        attempt=attempt,
        data={**INPUTS, **data},
        started_at=timezone.now() - timedelta(seconds=started_ago),
        _checkpoint=checkpoint,
    )


@pytest.fixture
def settle(settings):
    settings.ARCADIA_TAG_LISTING_SETTLE = 30.0
    settings.ARCADIA_DROPLET_STATUS_SHARED = False
    return 30.0


def test_a_create_is_marked_before_it_leaves(sim, settle):
    marked_with_creates_sent = []

    def checkpoint(values):
        marked_with_creates_sent.append((values, len(sim.requests("droplet_create"))))

    ctx = _context(attempt=1, started_ago=0, checkpoint=checkpoint, **{CREATE_SENT: None})
    outputs = CreateDroplet().execute(ctx)

    [(values, sent_before)] = marked_with_creates_sent
    assert sent_before == 0  # the mark is committed first
    assert values[CREATE_SENT] == pytest.approx(time.time(), abs=30)
    assert [d["id"] for d in sim.droplets()] == [outputs["droplet_id"]]


def test_a_retry_after_runs_that_never_sent_a_create_creates_at_once(sim, settle):
    # The run that held the step was killed after its claim, before its
    # create left (the mark is still None). The take-over neither looks the
    # tag up nor waits out the listing's lag: nothing can have been bought.
    marks = []
    ctx = _context(attempt=2, started_ago=1, checkpoint=marks.append, **{CREATE_SENT: None})

    outputs = CreateDroplet().execute(ctx)

    assert [d["id"] for d in sim.droplets()] == [outputs["droplet_id"]]
    assert sim.requests("droplet_list") == []
    assert len(marks) == 1


def test_a_retry_waits_out_the_listing_from_when_the_create_left_not_from_the_first_start(sim, settle):
    # The first run waited a minute for the budget, then sent its create and
    # died. Counting from the step's first start, the lag window was long
    # over and the retry would have bought a second droplet.
    ctx = _context(attempt=2, started_ago=90, checkpoint=print, **{CREATE_SENT: time.time() - 2})

    with pytest.raises(NotReady, match="may not be listed") as waiting:
        CreateDroplet().execute(ctx)

    assert 25 < waiting.value.retry_after <= 28
    assert sim.requests("droplet_create") == []


def test_a_saga_from_before_the_mark_waits_from_the_steps_first_start(sim, settle):
    ctx = _context(attempt=2, started_ago=1, checkpoint=print)  # its context has no mark at all

    with pytest.raises(NotReady, match="may not be listed"):
        CreateDroplet().execute(ctx)

    assert sim.requests("droplet_create") == []
