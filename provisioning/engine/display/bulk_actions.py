"""One admin action over many selected objects: each refusal is said with
the object it concerns, and the others go on."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.contrib import messages
from django.utils.html import format_html


def operate_each(
    modeladmin,
    request,
    objects: Iterable,
    run: Callable,
    *,
    verb: str,
    noun: str,
    refusals: tuple[type[BaseException], ...],
    label: Callable = str,
) -> int:
    """``run(obj)`` for each object; ``refusals`` become error messages
    (``label(obj)``: refused: why), the count of the rest a success message."""
    done = 0
    for obj in objects:
        try:
            run(obj)
        except refusals as exc:
            modeladmin.message_user(
                request, format_html("{}: {} refused: {}", label(obj), verb, exc), messages.ERROR
            )
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{verb}: {done} {noun}(s).", messages.SUCCESS)
    return done
