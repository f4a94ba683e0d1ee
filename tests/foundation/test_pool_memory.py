"""The pool-process memory fix in ``arcadia.celery``: a full collection after
a retried or failed task, and nothing at all after the others (the common
case must cost nothing per task)."""

import gc

import pytest
from celery import states

from arcadia import celery as worker


@pytest.fixture
def collections():
    """Full collections (generation 2) the interpreter starts, counted by
    CPython's own hook."""
    seen = []

    def callback(phase, info):
        if phase == "start" and info["generation"] == 2:
            seen.append(info)

    gc.callbacks.append(callback)
    yield seen
    gc.callbacks.remove(callback)


@pytest.fixture
def pool_process(monkeypatch):
    """This process as a pool process after ``worker_process_init``: heap frozen."""
    monkeypatch.setattr(worker, "_heap_frozen", False)
    # The handler itself, not the signal: other receivers (Celery's Django
    # fixup in an embedded worker) must not run in the test process.
    worker.freeze_what_the_pool_process_started_with()
    assert worker._heap_frozen
    yield
    gc.unfreeze()


def _postrun(state):
    worker.collect_after_a_retry_or_failure(
        task_id="t", task=None, args=(), kwargs={}, retval=None, state=state
    )


@pytest.mark.parametrize("state", [states.RETRY, states.FAILURE])
def test_a_retried_or_failed_task_is_followed_by_a_full_collection(pool_process, collections, state):
    _postrun(state)
    assert len(collections) == 1


def test_a_successful_task_costs_no_collection(pool_process, collections):
    gc.disable()  # only what the handler starts may count
    try:
        _postrun(states.SUCCESS)
    finally:
        gc.enable()
    assert collections == []


def test_outside_a_pool_process_no_full_collection_even_after_a_retry(monkeypatch, collections):
    monkeypatch.setattr(worker, "_heap_frozen", False)
    gc.disable()
    try:
        _postrun(states.RETRY)
    finally:
        gc.enable()
    assert collections == []
