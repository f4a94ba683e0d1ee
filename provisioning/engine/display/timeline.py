"""A saga as a picture: one row per step on a time axis, server-rendered SVG.

Pure: it draws the saga, steps and events it is given (no query runs in
here) and returns markup in which every piece of text is escaped. Forward
runs and compensations are bars in distinct colours on the step's row (they
never overlap in time), the failed step is red, each transient retry is a
tick at its moment, and polls are dots spread along the bar (the engine
counts polls without timing each, so that a waiting step costs no row per
poll). Times are placed to the microsecond; a bar is at least 2 px wide so a
1 ms step still shows. The SVG scales to its container (a viewBox and 100 %
width), so it fits a 1280 px screen without scrolling sideways. Hovering a
bar or a tick shows its ``<title>``: outcome, duration, attempts, error.
"""

from __future__ import annotations

from datetime import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from provisioning.engine.display.saga_summary import Mark, StepStory, format_seconds, step_stories
from provisioning.engine.events import TURNAROUND_EVENTS, SagaEventName

WIDTH = 960
TICK_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600)
LABEL_WIDTH = 250  # "7/7 mark_deployment_provisioning" in 12 px text
DURATION_WIDTH = 120  # the right-hand column: "2.21 s ↩ 31 ms"
AXIS_HEIGHT = 30
ROW_HEIGHT = 26
BAR_HEIGHT = 14
LEGEND_HEIGHT = 40
MIN_BAR = 2.0
MAX_POLL_DOTS = 40
PLOT_LEFT = LABEL_WIDTH
PLOT_RIGHT = WIDTH - DURATION_WIDTH
FONT = "font-family='system-ui, -apple-system, Segoe UI, Roboto, sans-serif'"

COLOURS = {
    # forward
    "succeeded": "#2e8b57",
    "failed": "#d62d20",
    "running": "#e6a700",
    "interrupted": "#9e9e9e",
    # compensation
    "compensated": "#7b5ea7",
    "compensating": "#b39ddb",
    "compensation_failed": "#6d0000",
}
LEGEND = [
    ("succeeded", "forward succeeded"),
    ("failed", "forward failed"),
    ("running", "running"),
    ("compensated", "compensated"),
    ("compensation_failed", "compensation failed"),
]
RETRY_COLOUR = "#111"
POLL_COLOUR = "#ffffff"
TURNAROUND_COLOUR = "#d62d20"
NOW_COLOUR = "#1565c0"


def saga_timeline_svg(saga, steps, events, *, now: datetime) -> SafeString:
    """The picture of a saga from its rows (see the module docstring)."""
    return timeline_svg(saga, step_stories(saga, steps, events, now=now), events, now=now)


def timeline_svg(saga, stories: list[StepStory], events, *, now: datetime) -> SafeString:
    """The same from stories already built."""
    start = min([saga.created_at, *(s.forward_start for s in stories if s.forward_start)])
    ends = [saga.finished_at or now]
    ends += [t for s in stories for t in (s.forward_end, s.compensation_end) if t is not None]
    end = max(ends)
    axis = _Axis(start, end)
    height = AXIS_HEIGHT + ROW_HEIGHT * len(stories) + LEGEND_HEIGHT
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' class='saga-timeline' role='img' "
        f"viewBox='0 0 {WIDTH} {height}' width='100%' preserveAspectRatio='xMinYMin meet' "
        f"data-steps='{len(stories)}' style='max-width:{WIDTH}px;display:block' {FONT} font-size='12'>",
        f"<title>{escape(_caption(saga, axis))}</title>",
        *_axis(axis, len(stories)),
    ]
    for row, story in enumerate(stories):
        parts += _row(story, row, axis)
    parts += _moments(saga, events, axis, len(stories), now=now)
    parts += _legend(height - 10)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above went through escape()


class _Axis:
    def __init__(self, start: datetime, end: datetime):
        self.start = start
        self.seconds = max((end - start).total_seconds(), 0.001)

    def x(self, at: datetime) -> float:
        offset = (at - self.start).total_seconds() / self.seconds
        return PLOT_LEFT + max(0.0, min(1.0, offset)) * (PLOT_RIGHT - PLOT_LEFT)

    def offset(self, at: datetime) -> float:
        return (at - self.start).total_seconds()


def _caption(saga, axis: _Axis) -> str:
    return f"Saga {saga.id} ({saga.kind}), {saga.status}: {format_seconds(axis.seconds)} on the time axis"


def _tick_step(seconds: float) -> float:
    """A round interval giving 4 to 10 ticks."""
    for step in TICK_STEPS:
        if seconds / step <= 10:
            return step
    return 1800.0


def _tick_label(seconds: float, step: float) -> str:
    if seconds == 0:
        return "0"
    if step < 1:
        return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.{_decimals(step)}f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds % 60 == 0 else f"{seconds / 60:.1f} min"


def _decimals(step: float) -> int:
    return 3 if step < 0.01 else 2 if step < 0.1 else 1


def _axis(axis: _Axis, rows: int) -> list[str]:
    bottom = AXIS_HEIGHT + ROW_HEIGHT * rows
    step = _tick_step(axis.seconds)
    y = AXIS_HEIGHT - 4
    parts = [f"<line x1='{PLOT_LEFT}' y1='{y}' x2='{PLOT_RIGHT}' y2='{y}' stroke='#888'/>"]
    count = int(axis.seconds / step + 1e-9)
    for i in range(count + 1):
        seconds = i * step
        x = PLOT_LEFT + seconds / axis.seconds * (PLOT_RIGHT - PLOT_LEFT)
        parts.append(f"<line x1='{x:.1f}' y1='{y - 4}' x2='{x:.1f}' y2='{bottom}' stroke='#e3e3e3'/>")
        anchor = "start" if i == 0 else "middle"
        if i and x > PLOT_RIGHT - 24:
            continue  # its label would run into the duration column's heading
        parts.append(
            f"<text x='{x:.1f}' y='{AXIS_HEIGHT - 12}' text-anchor='{anchor}' fill='#555' font-size='11'>"
            f"{escape(_tick_label(seconds, step))}</text>"
        )
    parts.append(
        f"<text x='{PLOT_RIGHT + 8}' y='{AXIS_HEIGHT - 12}' fill='#555' font-size='11'>forward ↩ undo</text>"
    )
    return parts


def _row(story: StepStory, row: int, axis: _Axis) -> list[str]:
    top = AXIS_HEIGHT + row * ROW_HEIGHT
    bar_y = top + (ROW_HEIGHT - BAR_HEIGHT) / 2
    failed = story.forward == "failed"
    shade = "#fdecea" if failed else ("#f7f7f7" if row % 2 else "#ffffff")
    weight = "bold" if failed else "normal"
    colour = COLOURS["failed"] if failed else ("#222" if story.started else "#999")
    parts = [
        f"<g class='step' data-step='{escape(story.name)}' data-forward='{escape(story.forward)}'"
        f" data-compensation='{escape(story.compensation or '')}'>",
        f"<rect x='0' y='{top}' width='{WIDTH}' height='{ROW_HEIGHT}' fill='{shade}'/>",
        f"<text x='{PLOT_LEFT - 8}' y='{top + ROW_HEIGHT / 2 + 4}' text-anchor='end' fill='{colour}'"
        f" font-weight='{weight}'>{escape(story.position)} {escape(story.name)}</text>",
    ]
    if story.started:
        parts += _bar(story, "forward", story.forward, story.forward_start, story.forward_end, bar_y, axis)
        parts += _polls(story, bar_y, axis)
        parts += [_tick(mark, "retry", story, bar_y, axis) for mark in story.retries]
    if story.compensation_start is not None:
        parts += _bar(
            story,
            "compensation",
            story.compensation,
            story.compensation_start,
            story.compensation_end,
            bar_y,
            axis,
        )
        parts += [_tick(mark, "undo retry", story, bar_y, axis) for mark in story.compensation_retries]
    parts.append(
        f"<text x='{PLOT_RIGHT + 8}' y='{top + ROW_HEIGHT / 2 + 4}' fill='#555' font-size='11'>"
        f"{escape(_durations(story))}</text></g>"
    )
    return parts


def _bar(story: StepStory, phase: str, outcome: str, start, end, y: float, axis: _Axis) -> list[str]:
    x0 = axis.x(start)
    width = max(MIN_BAR, axis.x(end) - x0)
    colour = COLOURS.get(outcome, COLOURS["interrupted"])
    extra = " stroke='#000' stroke-width='1.5'" if outcome in ("failed", "compensation_failed") else ""
    opacity = " fill-opacity='0.75'" if outcome in ("running", "compensating") else ""
    return [
        f"<rect class='bar' data-phase='{phase}' data-outcome='{escape(outcome)}' x='{x0:.2f}' y='{y:.1f}'"
        f" width='{width:.2f}' height='{BAR_HEIGHT}' rx='2' fill='{colour}'{extra}{opacity}>"
        f"<title>{escape(_bar_title(story, phase, outcome, start, end, axis))}</title></rect>"
    ]


def _bar_title(story: StepStory, phase: str, outcome: str, start, end, axis: _Axis) -> str:
    seconds = (end - start).total_seconds()
    lines = [
        f"{story.position} {story.name} — {phase} {outcome.replace('_', ' ')} "
        f"in {format_seconds(seconds)} (at +{axis.offset(start):.3f} s)"
    ]
    if phase == "forward":
        tries = f"attempts {story.attempts}"
        if story.polls:
            tries += f" ({story.polls} polls)"
        if story.retries:
            tries += f", {len(story.retries)} transient retries"
        lines.append(tries)
        if story.error:
            lines.append(story.error)
    else:
        lines.append(f"compensation attempts {story.compensation_attempts}")
        if story.compensation_error:
            lines.append(story.compensation_error)
    return "\n".join(lines)


def _polls(story: StepStory, y: float, axis: _Axis) -> list[str]:
    """Dots spread along the forward bar, one per poll (capped): their count
    is on record, their moments are not."""
    if not story.polls or story.forward_end is None:
        return []
    x0, x1 = axis.x(story.forward_start), axis.x(story.forward_end)
    dots = min(story.polls, MAX_POLL_DOTS)
    if x1 - x0 < dots * 3:
        dots = max(1, int((x1 - x0) / 3))
    seconds = (story.forward_end - story.forward_start).total_seconds()
    title = f"{story.polls} polls in {format_seconds(seconds)}: the step waited for the world to be ready"
    parts = [f"<g class='polls' data-polls='{story.polls}'><title>{escape(title)}</title>"]
    for i in range(dots):
        x = x0 + (x1 - x0) * (i + 1) / (dots + 1)
        parts.append(f"<circle cx='{x:.2f}' cy='{y + BAR_HEIGHT / 2:.1f}' r='1.6' fill='{POLL_COLOUR}'/>")
    parts.append("</g>")
    return parts


def _tick(mark: Mark, kind: str, story: StepStory, y: float, axis: _Axis) -> str:
    x = axis.x(mark.at)
    title = f"{story.name}: {kind} at +{axis.offset(mark.at):.3f} s"
    if mark.error:
        title += f"\n{mark.error}"
    return (
        f"<path class='retry' d='M{x:.2f} {y - 3:.1f} l4 -4 h-8 z M{x:.2f} {y - 3:.1f} v{BAR_HEIGHT + 6}'"
        f" fill='{RETRY_COLOUR}' stroke='{RETRY_COLOUR}' stroke-width='1.2'>"
        f"<title>{escape(title)}</title></path>"
    )


def _durations(story: StepStory) -> str:
    if not story.started:
        return story.forward
    text = format_seconds(story.forward_seconds)
    if story.compensation_start is not None:
        text += f" ↩ {format_seconds(story.compensation_seconds)}"
    return text


def _moments(saga, events, axis: _Axis, rows: int, *, now: datetime) -> list[str]:
    """Vertical lines: where the saga turned around, and now (while it runs)."""
    bottom = AXIS_HEIGHT + ROW_HEIGHT * rows
    parts = []
    turns = [e for e in events if e.event in TURNAROUND_EVENTS]
    turn = min(turns, key=lambda e: e.at) if turns else None
    if turn is not None:
        x = axis.x(turn.at)
        label = "cancelled" if turn.event == SagaEventName.SAGA_CANCELLED else "rollback"
        parts.append(
            f"<line class='turnaround' x1='{x:.2f}' y1='{AXIS_HEIGHT - 4}' x2='{x:.2f}' y2='{bottom}'"
            f" stroke='{TURNAROUND_COLOUR}' stroke-dasharray='4 3'><title>{label} at +"
            f"{axis.offset(turn.at):.3f} s</title></line>"
        )
        parts.append(
            f"<text x='{x + 3:.2f}' y='{bottom + 11}' fill='{TURNAROUND_COLOUR}'"
            f" font-size='10'>{label}</text>"
        )
    if saga.finished_at is None:
        x = axis.x(now)
        parts.append(
            f"<line class='now' x1='{x:.2f}' y1='{AXIS_HEIGHT - 4}' x2='{x:.2f}' y2='{bottom}'"
            f" stroke='{NOW_COLOUR}' stroke-dasharray='2 2'><title>now: +{axis.offset(now):.3f} s"
            " (refresh to follow)</title></line>"
        )
    return parts


def _legend(y: float) -> list[str]:
    parts = []
    x = PLOT_LEFT
    for outcome, label in LEGEND:
        parts.append(f"<rect x='{x}' y='{y - 9}' width='14' height='10' rx='2' fill='{COLOURS[outcome]}'/>")
        parts.append(f"<text x='{x + 18}' y='{y}' fill='#444' font-size='11'>{escape(label)}</text>")
        x += 26 + 6.3 * len(label)
    parts.append(
        f"<path d='M{x + 4} {y - 9} l4 -4 h-8 z M{x + 4} {y - 9} v12' fill='{RETRY_COLOUR}'"
        f" stroke='{RETRY_COLOUR}'/><text x='{x + 12}' y='{y}' fill='#444' font-size='11'>retry</text>"
    )
    x += 50
    parts.append(
        f"<rect x='{x}' y='{y - 9}' width='22' height='10' rx='2' fill='{COLOURS['succeeded']}'/>"
        f"<circle cx='{x + 7}' cy='{y - 4}' r='1.6' fill='{POLL_COLOUR}'/>"
        f"<circle cx='{x + 15}' cy='{y - 4}' r='1.6' fill='{POLL_COLOUR}'/>"
        f"<text x='{x + 26}' y='{y}' fill='#444' font-size='11'>polls</text>"
    )
    return parts
