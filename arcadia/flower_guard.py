"""Flower refuses well-known credentials outside development.

Flower is a ``celery`` sub-command, so the one place Arcadia's code runs
before it serves is the import of the Celery app (``arcadia/celery.py``).
There, a process started as ``celery ... flower`` checks the basic-auth
credentials it was given (``--basic-auth=`` or ``FLOWER_BASIC_AUTH``,
comma-separated ``user:password`` pairs): outside ``ARCADIA_ENV=development``
it exits at once when one of them is a default shown in this repository, or
has a password shorter than 12 characters. ``make up`` (development) keeps
its convenient default; compose (production) must be given real ones.
"""

from __future__ import annotations

import os
import sys

MIN_PASSWORD = 12


class DefaultCredentials(SystemExit):
    pass


def is_flower_process(argv: list[str]) -> bool:
    return "flower" in argv[1:]


def credentials_given(argv: list[str], environ=os.environ) -> list[str]:
    given = ""
    for i, arg in enumerate(argv):
        if arg.startswith("--basic-auth="):
            given = arg.split("=", 1)[1]
        elif arg == "--basic-auth" and i + 1 < len(argv):
            given = argv[i + 1]
    given = given or environ.get("FLOWER_BASIC_AUTH", "")
    return [pair.strip() for pair in given.split(",") if pair.strip()]


def weak_credentials(pairs: list[str], defaults: list[str]) -> list[str]:
    """The user names whose credentials are a default or too short."""
    weak = []
    for pair in pairs:
        user, _, password = pair.partition(":")
        if pair in defaults or len(password) < MIN_PASSWORD:
            weak.append(user)
    return weak


def refuse_default_credentials(argv: list[str] | None = None) -> None:
    from django.conf import settings

    argv = sys.argv if argv is None else argv
    if settings.IS_DEVELOPMENT or not is_flower_process(argv):
        return
    pairs = credentials_given(argv)
    weak = weak_credentials(pairs, settings.FLOWER_DEFAULT_CREDENTIALS)
    if not pairs or weak:
        raise DefaultCredentials(
            f"flower: ARCADIA_ENV={settings.ARCADIA_ENV} refuses default or short basic-auth credentials "
            f"(user(s) {', '.join(weak) or '-'}); set FLOWER_BASIC_AUTH=user:<{MIN_PASSWORD}+ characters>"
        )
