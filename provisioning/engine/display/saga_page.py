"""The saga's admin page and list columns, as HTML: a thin layer over
``saga_summary`` (what happened) and ``timeline`` (the picture).

Kept out of the admin module so the admin stays a list of fields and
actions; no query runs in here either: the admin passes rows it loaded.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from provisioning.engine import tracing
from provisioning.engine.display.saga_summary import (
    StepStory,
    brief_error,
    format_seconds,
    step_stories,
    summary_of,
)
from provisioning.engine.display.timeline import timeline_svg
from provisioning.engine.settings import engine_settings

# Badge and status colours (the timeline uses the same hues).
TONES = {
    "succeeded": "ok",
    "compensated": "undone",
    "failed": "bad",
    "compensation_failed": "bad",
    "running": "busy",
    "compensating": "busy",
    "pending": "idle",
    "skipped": "idle",
    "interrupted": "idle",
}


def flower_task_link(task_id: str, label: str = "") -> str:
    """The task in Flower, or the bare id when Flower's URL is unknown."""
    if not task_id:
        return "—"
    text = label or task_id
    flower_url = engine_settings().flower_url
    if not flower_url:
        return format_html('<span title="{}">{}</span>', task_id, text)
    url = f"{flower_url.rstrip('/')}/task/{task_id}"
    return format_html('<a href="{}" target="_blank" rel="noopener" title="{}">{}</a>', url, task_id, text)


def trace_link(context: dict) -> str:
    """The saga's trace in the tracing backend (``trace_url_template``),
    the bare trace id without one, a dash when the saga was not traced."""
    trace_id = tracing.trace_id_of(context)
    if not trace_id:
        return "—"
    template = engine_settings().trace_url_template
    if not template:
        return trace_id
    url = template.format(trace_id=trace_id)
    return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, trace_id)


def badge(outcome: str) -> SafeString:
    tone = TONES.get(outcome, "idle")
    label = outcome.replace("_", " ")
    return format_html('<span class="saga-badge saga-{}" data-outcome="{}">{}</span>', tone, outcome, label)


def outcome_badges(story: StepStory) -> SafeString:
    """``failed → compensated``: what ran forward, then what undid it."""
    return format_html_join(" → ", "{}", ((badge(outcome),) for outcome in story.outcomes))


def status_pill(status: str) -> SafeString:
    return badge(status)


def step_rows(stories: list[StepStory]) -> list[dict]:
    """One row per step for the page's steps table."""
    return [
        {
            "story": story,
            "outcomes": outcome_badges(story),
            "attempts": _attempts(story),
            "forward": format_seconds(story.forward_seconds) if story.started else "—",
            "undo": _undo(story),
            "started": timestamp_ms(story.forward_start),
            "error": story.error,
            "short_error": brief_error(story.error, 90),
            "compensation_error": story.compensation_error,
            "short_compensation_error": brief_error(story.compensation_error, 90),
            "forward_task": flower_task_link(story.forward_task_id, "forward"),
            "compensation_task": flower_task_link(story.compensation_task_id, "undo"),
            "failed": story.forward == "failed",
        }
        for story in stories
    ]


def _attempts(story: StepStory) -> str:
    text = str(story.attempts)
    if story.polls:
        text += f" ({story.polls} polls)"
    return text


def _undo(story: StepStory) -> str:
    if story.compensation_start is None:
        return "—"
    text = format_seconds(story.compensation_seconds)
    if story.compensation_attempts > 1:
        text += f", {story.compensation_attempts} tries"
    return text


def timestamp_ms(value: datetime | None) -> str:
    """Local time to the millisecond: the steps of a saga are milliseconds apart."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def event_detail(detail) -> str:
    """An event's detail as ``key: value`` pairs instead of raw JSON."""
    if not detail:
        return ""
    if not isinstance(detail, dict):
        return json.dumps(detail)
    pairs = ((key, value if isinstance(value, str) else json.dumps(value)) for key, value in detail.items())
    return "; ".join(f"{key}: {value}" for key, value in pairs)


def saga_page_context(saga, steps, events, *, now: datetime) -> dict:
    """Everything the saga's page shows above its fields."""
    stories = step_stories(saga, steps, events, now=now)
    summary = summary_of(saga, stories, events, now=now, stall_timeout=engine_settings().stall_timeout)
    return {
        "saga_summary": summary,
        "saga_status": status_pill(saga.status),
        "saga_timeline": timeline_svg(saga, stories, events, now=now),
        "saga_steps": step_rows(stories),
        "saga_live": saga.finished_at is None,
    }


def subject_label(saga) -> SafeString | str:
    """What the saga acts on, linked to its own admin page when it has one."""
    if not saga.subject_type:
        return "—"
    label = f"{saga.subject_type.rsplit('.', 1)[-1]} {saga.subject_id}"
    app_label, _, model = saga.subject_type.partition(".")
    try:
        url = reverse(f"admin:{app_label}_{model}_change", args=[saga.subject_id])
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)
