"""Flower refuses well-known credentials outside development.

Flower is a ``celery`` sub-command, so the one place Arcadia's code runs
before it serves is the import of the Celery app (``arcadia/celery.py``).
There, a process started as ``celery ... flower`` checks the basic-auth
credentials it was given, in every spelling Flower itself reads (Tornado
takes any number of leading dashes and ``_`` for ``-``: ``--basic-auth=``,
``--basic_auth=``, ``-basic-auth=``; and any ``FLOWER_`` variable naming the
option, ``FLOWER_BASIC_AUTH`` or ``FLOWER_basic_auth``; comma-separated
``user:password`` pairs): outside ``ARCADIA_ENV=development`` it exits at
once when none is given, or one of them uses a password shown in this
repository, or one shorter than 12 characters. ``make up`` (development)
keeps its convenient default; compose (production) must be given real ones.

Flower serves ``/metrics`` (every task name and worker) and ``/healthcheck``
without asking for the credentials; in a Flower process both are wrapped to
ask for them like every other page (:func:`require_auth_everywhere`).
"""

from __future__ import annotations

import os
import sys

MIN_PASSWORD = 12


class DefaultCredentials(SystemExit):
    pass


def is_flower_process(argv: list[str]) -> bool:
    return "flower" in argv[1:]


def _is_basic_auth(name: str) -> bool:
    # Tornado's normalisation of an option name, as Flower parses it.
    return name.replace("_", "-").lower() == "basic-auth"


def credentials_given(argv: list[str], environ=os.environ) -> list[str]:
    """Every ``user:password`` pair of every source Flower reads, so that none escapes the check."""
    given = []
    for i, arg in enumerate(argv):
        if arg == "--":
            break  # Tornado stops reading options there
        if not arg.startswith("-"):
            continue
        name, equals, value = arg.lstrip("-").partition("=")
        if not _is_basic_auth(name):
            continue
        if equals:
            given.append(value)
        elif i + 1 < len(argv):
            given.append(argv[i + 1])
    for key, value in environ.items():
        if key.startswith("FLOWER_") and _is_basic_auth(key[len("FLOWER_") :]):
            given.append(value)
    return [pair.strip() for source in given for pair in source.split(",") if pair.strip()]


def weak_credentials(pairs: list[str], defaults: list[str], known_passwords: list[str] = ()) -> list[str]:
    """The user names whose credentials are a default, a password shown here, or too short."""
    weak = []
    for pair in pairs:
        user, _, password = pair.partition(":")
        if pair in defaults or password in known_passwords or len(password) < MIN_PASSWORD:
            weak.append(user or "-")
    return weak


def refuse_default_credentials(argv: list[str] | None = None) -> None:
    from django.conf import settings

    argv = sys.argv if argv is None else argv
    if not is_flower_process(argv):
        return
    require_auth_everywhere()
    if settings.IS_DEVELOPMENT:
        return
    pairs = credentials_given(argv)
    weak = weak_credentials(pairs, settings.FLOWER_DEFAULT_CREDENTIALS, settings.FLOWER_KNOWN_PASSWORDS)
    if not pairs or weak:
        raise DefaultCredentials(
            f"flower: ARCADIA_ENV={settings.ARCADIA_ENV} refuses default or short basic-auth credentials "
            f"(user(s) {', '.join(weak) or '-'}); set FLOWER_BASIC_AUTH=user:<{MIN_PASSWORD}+ characters>"
        )


def require_auth_everywhere() -> None:
    """Make Flower's /metrics and /healthcheck ask for the credentials like its other pages.

    Flower's ``get_current_user`` raises 401 for missing or wrong basic-auth
    credentials; these two handlers never call it, so it is called first.
    """
    from flower.views import monitor

    for handler in (monitor.Metrics, monitor.Healthcheck):
        if getattr(handler.get, "arcadia_requires_auth", False):
            continue
        handler.get = _authenticated(handler.get)


def _authenticated(get):
    async def wrapped(self, *args, **kwargs):
        options = self.application.options
        if (options.basic_auth or options.auth) and not self.get_current_user():
            import tornado.web

            raise tornado.web.HTTPError(401)
        return await get(self, *args, **kwargs)

    wrapped.arcadia_requires_auth = True
    return wrapped
