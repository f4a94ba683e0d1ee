"""The timeline SVG: one row per step, a bar per direction that ran, the
failed step marked, retries and polls drawn, text escaped."""

import xml.etree.ElementTree as ET

from provisioning.engine import SagaStatus, StepStatus
from provisioning.engine.display.timeline import MIN_BAR, PLOT_LEFT, PLOT_RIGHT, WIDTH, saga_timeline_svg
from tests.ops.saga_stories import DNS_ERROR, Builder, ms, rolled_back_at_dns

SVG = "{http://www.w3.org/2000/svg}"
NOW = ms(60_000)


def draw(b, now=NOW) -> ET.Element:
    markup = saga_timeline_svg(b.saga, b.steps, b.events, now=now)
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def bars(root, **attrs):
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "step":
            continue
        for rect in group.iter(f"{SVG}rect"):
            if rect.get("class") == "bar" and all(rect.get(f"data-{k}") == v for k, v in attrs.items()):
                found.append((group.get("data-step"), rect))
    return found


def test_one_row_per_step_and_one_forward_bar_per_started_step():
    root = draw(rolled_back_at_dns())
    assert root.get("data-steps") == "7"
    assert root.get("viewBox").startswith(f"0 0 {WIDTH} ") and root.get("width") == "100%"
    rows = [g.get("data-step") for g in root.iter(f"{SVG}g") if g.get("class") == "step"]
    assert len(rows) == 7
    assert len(bars(root, phase="forward")) == 6
    assert len(bars(root, phase="compensation", outcome="compensated")) == 6


def test_failed_step_is_marked_and_its_error_is_the_hover_text():
    root = draw(rolled_back_at_dns())
    failed = bars(root, phase="forward", outcome="failed")
    assert [name for name, _ in failed] == ["point_deployment_dns"]
    title = failed[0][1].find(f"{SVG}title").text
    assert title.startswith("6/7 point_deployment_dns — forward failed in 10 ms")
    assert DNS_ERROR in title


def test_bars_sit_on_a_millisecond_time_axis_inside_the_plot():
    root = draw(rolled_back_at_dns())
    for _, rect in bars(root):
        x, width = float(rect.get("x")), float(rect.get("width"))
        assert x >= PLOT_LEFT and x + width <= PLOT_RIGHT + MIN_BAR
        assert width >= MIN_BAR
    forward = [float(rect.get("x")) for _, rect in bars(root, phase="forward")]
    assert forward == sorted(forward) and len(set(forward)) == 6  # 1 ms apart still apart


def test_polls_and_retries_are_drawn_on_the_step_bar():
    b = rolled_back_at_dns()
    b.event("step_retrying", ms(15), b.steps[1], error="POST /v2/droplets answered 503", countdown=0.2)
    root = draw(b)
    polls = [g for g in root.iter(f"{SVG}g") if g.get("class") == "polls"]
    assert [g.get("data-polls") for g in polls] == ["7"]
    assert len(polls[0].findall(f"{SVG}circle")) == 7
    retries = [p for p in root.iter(f"{SVG}path") if p.get("class") == "retry"]
    assert len(retries) == 1
    assert "answered 503" in retries[0].find(f"{SVG}title").text


def test_a_running_saga_draws_up_to_now():
    b = Builder(SagaStatus.RUNNING, updated_at=ms(100))
    b.step(0, StepStatus.SUCCEEDED, attempts=1, started_at=ms(10), finished_at=ms(20))
    b.step(1, StepStatus.RUNNING, attempts=3, polls=2, started_at=ms(30))
    b.step(2, StepStatus.PENDING)
    root = draw(b, now=ms(1000))
    running = bars(root, phase="forward", outcome="running")
    assert [name for name, _ in running] == ["create_droplet"]
    rect = running[0][1]
    assert abs(float(rect.get("x")) + float(rect.get("width")) - PLOT_RIGHT) < 0.5  # ends at now
    assert any(line.get("class") == "now" for line in root.iter(f"{SVG}line"))


def test_text_is_escaped():
    b = rolled_back_at_dns()
    b.steps[5].last_error = "<script>alert('x')</script> & more"
    for event in b.events:
        if event.event == "step_failed":
            event.detail = {"error": b.steps[5].last_error}
    markup = str(saga_timeline_svg(b.saga, b.steps, b.events, now=NOW))
    assert "<script>" not in markup
    title = bars(ET.fromstring(markup), outcome="failed")[0][1].find(f"{SVG}title").text
    assert "<script>alert('x')</script> & more" in title
