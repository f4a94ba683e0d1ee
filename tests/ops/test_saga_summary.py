"""The saga told in one sentence, failure first, from rows already loaded."""

import datetime as dt

from provisioning.engine import SagaStatus, StepStatus
from provisioning.engine.display.saga_summary import (
    brief_error,
    format_age,
    format_seconds,
    saga_summary,
    step_stories,
)
from tests.ops.saga_stories import DNS_ERROR, Builder, ms, rolled_back_at_dns

NOW = ms(60_000)


def summary(b, stall_timeout=300.0, now=NOW):
    return saga_summary(b.saga, b.steps, b.events, now=now, stall_timeout=stall_timeout)


def test_rolled_back_saga_names_failed_step_and_rollback():
    result = summary(rolled_back_at_dns())
    expected = f"Failed at 6/7 point_deployment_dns: {DNS_ERROR} — rolled back 6 steps in 400 ms."
    assert result.headline == expected
    assert result.troubled and not result.stalled
    assert result.failed_step.name == "point_deployment_dns"
    assert result.progress == "0/7"
    assert result.brief_error == DNS_ERROR


def test_each_step_keeps_both_outcomes():
    b = rolled_back_at_dns()
    stories = step_stories(b.saga, b.steps, b.events, now=NOW)
    assert stories[0].outcomes == ["succeeded", "compensated"]
    assert stories[5].outcomes == ["failed", "compensated"]
    assert stories[6].outcomes == ["skipped"]
    assert stories[2].polls == 7 and stories[2].forward_seconds == 2.2
    assert stories[5].forward_task_id == "fwd-5" and stories[5].compensation_task_id == "undo-5"
    assert [s.position for s in stories] == [f"{i}/7" for i in range(1, 8)]


def test_forward_error_survives_a_failing_compensation():
    b = rolled_back_at_dns()
    b.saga.status = SagaStatus.COMPENSATION_FAILED
    dns = b.steps[5]
    dns.status = StepStatus.COMPENSATION_FAILED
    dns.last_error = "gave up after 5 attempts: DELETE answered 500"
    b.events = [e for e in b.events if not (e.step is dns and e.event == "step_compensated")]
    b.event("compensation_failed", ms(3000), dns, error=dns.last_error)
    story = step_stories(b.saga, b.steps, b.events, now=NOW)[5]
    assert story.error == DNS_ERROR
    assert story.compensation_error == "gave up after 5 attempts: DELETE answered 500"
    assert story.outcomes == ["failed", "compensation_failed"]
    headline = summary(b).headline
    assert headline.startswith(f"Failed at 6/7 point_deployment_dns: {DNS_ERROR} — rolled back 5 steps")
    assert "could not undo 6/7 point_deployment_dns (gave up after 5 attempts" in headline
    assert headline.endswith("Retry compensation.")


def test_running_saga_past_the_stall_timeout_is_stalled():
    b = Builder(SagaStatus.RUNNING, updated_at=ms(1000))
    b.step(0, StepStatus.SUCCEEDED, attempts=1, started_at=ms(10), finished_at=ms(20))
    b.step(1, StepStatus.RUNNING, attempts=1, started_at=ms(30))
    for index in range(2, 7):
        b.step(index, StepStatus.PENDING)
    fresh = summary(b, stall_timeout=300, now=ms(2000))
    assert not fresh.troubled
    assert fresh.headline == "Running at 2/7 create_droplet, 2.00 s so far."
    stalled = summary(b, stall_timeout=300, now=ms(1000 + 420_000))
    assert stalled.stalled and stalled.troubled
    assert stalled.headline.startswith("Stalled at 2/7 create_droplet: no progress for 7 min.")


def test_cancelled_saga_says_so():
    b = Builder(SagaStatus.COMPENSATED, error="cancelled on request", finished_at=ms(500))
    times = {"started_at": ms(1), "finished_at": ms(5), "compensated_at": ms(400)}
    step = b.step(0, StepStatus.COMPENSATED, attempts=1, **times)
    b.event("step_succeeded", ms(5), step)
    b.event("saga_cancelled", ms(300), error="cancelled on request")
    result = summary(b)
    assert result.failed_step is None
    assert result.headline == "Cancelled on request — rolled back 1 step in 200 ms."


def test_succeeded_saga_is_calm():
    b = Builder(SagaStatus.SUCCEEDED, finished_at=ms(2350))
    b.step(0, StepStatus.SUCCEEDED, attempts=1, started_at=ms(1), finished_at=ms(2350))
    result = summary(b)
    assert not result.troubled and result.headline == "Succeeded: 1 step in 2.35 s."
    assert result.seconds == 2.35


def test_brief_error_keeps_the_first_line_and_cuts_with_an_ellipsis():
    assert brief_error("boom\nTraceback ...") == "boom"
    assert brief_error("x" * 200, 10) == "x" * 9 + "…"
    assert brief_error("") == ""


def test_durations_read_in_the_unit_that_fits():
    assert format_seconds(0.0123) == "12 ms"
    assert format_seconds(2.2) == "2.20 s"
    assert format_seconds(42.25) == "42.2 s"
    assert format_seconds(420) == "7 min"
    assert format_seconds(dt.timedelta(hours=3, minutes=5).total_seconds()) == "3 h 5 min"
    assert format_seconds(None) == "—"


def test_ages_read_to_the_second():
    assert format_age(0.4) == "0 s"
    assert format_age(59.9) == "59 s"
    assert format_age(180) == "3 min"
