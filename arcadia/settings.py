"""Arcadia settings, read from the environment (one ``environ.Env``).

With no environment at all Arcadia runs on embedded defaults: a SQLite file,
an in-process Celery worker on the ``memory://`` transport and the bundled
DigitalOcean simulator. Set ``DATABASE_URL`` / ``CELERY_BROKER_URL`` to run on
PostgreSQL and Redis. ``ARCADIA_ENV=production`` refuses the development
secret key and ``DEBUG``.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (never committed; see .env.example) is a convenience for
# developers; real deployments pass the environment directly.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "arcadia-development-key-not-for-production"

# Unset means a developer's machine (make demo, make test): the development
# secret key is accepted. Anything but "development" is production-like.
ARCADIA_ENV = env.str("ARCADIA_ENV", default="development")
IS_DEVELOPMENT = ARCADIA_ENV == "development"
IS_PRODUCTION = not IS_DEVELOPMENT

SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
# Debug pages show settings, SQL and code to whoever triggers an error: on
# only when asked for, DEBUG=true or ARCADIA_ENV=development set explicitly.
DEBUG = env.bool("DEBUG", default="ARCADIA_ENV" in env.ENVIRON and IS_DEVELOPMENT)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if IS_PRODUCTION:
    if SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured(f"ARCADIA_ENV={ARCADIA_ENV} needs its own SECRET_KEY.")
    if DEBUG:
        raise ImproperlyConfigured(f"ARCADIA_ENV={ARCADIA_ENV} refuses DEBUG=True.")
    # Django's own rule (check --deploy, W009): a key this short or this
    # repetitive is guessable.
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            f"ARCADIA_ENV={ARCADIA_ENV} needs a SECRET_KEY of at least 50 characters, 5 of them different."
        )

# A bearer token for /healthz/details (checks and the DigitalOcean budget)
# for monitoring that has no admin session; unset, only staff see details.
ARCADIA_HEALTH_TOKEN = env.str("ARCADIA_HEALTH_TOKEN", default="")

# --- transport security -------------------------------------------------------
# In production Arcadia runs behind a TLS-terminating proxy that sets
# X-Forwarded-Proto: HTTPS only, cookies only over HTTPS, HSTS for a year.
# Each is read from the environment so an operator can override it (e.g.
# SECURE_SSL_REDIRECT=false where the proxy redirects itself); on a
# developer's machine (plain http://localhost) they default off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=IS_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=IS_PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if IS_PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=IS_PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=IS_PRODUCTION)
# Trusted only because the proxy in front overwrites the header; set
# SECURE_PROXY_SSL_HEADER= (empty) when Arcadia terminates TLS itself.
_proxy_header = env.str(
    "SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO,https" if IS_PRODUCTION else ""
)
SECURE_PROXY_SSL_HEADER = tuple(_proxy_header.split(",", 1)) if _proxy_header else None
# /healthz is probed over plain HTTP by load balancers inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the public probe only; details go over HTTPS

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Hashed, expiring API tokens (arcadia.tokens; knox first, so that
    # arcadia.tokens' admin replaces knox's).
    "knox",
    "arcadia.tokens",
    "django_filters",
    "drf_spectacular",
    # Swagger UI and ReDoc served from our own static files: the docs work
    # on a machine without internet, and no page of ours loads a CDN.
    "drf_spectacular_sidecar",
    "inventory",
    "provisioning.engine",
    "deployments",
]

MIDDLEWARE = [
    # Outermost: a database or broker outage anywhere below answers 503 JSON.
    "arcadia.outages.OutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's and the browsable API's CSS) under gunicorn.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "arcadia.urls"
WSGI_APPLICATION = "arcadia.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Project-wide overrides (the ReDoc page without its web fonts).
        "DIRS": [BASE_DIR / "arcadia" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded worker runs in threads beside the web process: WAL lets
    # readers and the writer proceed together, IMMEDIATE avoids the
    # read-then-upgrade deadlock, and the timeout waits out a busy writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    # 0 (close after each request or task) by default; long-running
    # processes that want persistent connections set CONN_MAX_AGE.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Served straight from the apps' static folders, so no collectstatic step is
# needed to run (the image may still collect them for speed).
WHITENOISE_USE_FINDERS = True

# --- Celery -----------------------------------------------------------------
# No broker configured means the embedded mode: an in-process worker on the
# memory:// transport (see provisioning/engine/embedded.py). Eager mode is not used for
# it because eager Celery runs no errbacks with propagation and recurses on
# retries, so compensation would not run as it does in production.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
ARCADIA_EMBEDDED_WORKER = CELERY_BROKER_URL.startswith("memory://")
# Whether the first saga message a process sends starts that in-process
# worker (runserver, gunicorn with no broker). Tests turn it off and start
# workers themselves.
ARCADIA_EMBEDDED_AUTOSTART = env.bool("ARCADIA_EMBEDDED_AUTOSTART", default=ARCADIA_EMBEDDED_WORKER)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = False
# Delivery rules (docs/design.md, "Saga rules"): a message is acknowledged only after
# its task finished, and requeued when the worker process dies under it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=150)
# The database is the source of truth: no result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# The longest countdown a retry message carries; a longer wait (a budget, a
# slow poll) is sent again from the ledger's due time by the sweep, so no
# broker holds a delivery past RabbitMQ's consumer_timeout (30 min).
ARCADIA_MAX_COUNTDOWN = env.float("ARCADIA_MAX_COUNTDOWN", default=60.0)
# Redis redelivers an unacked (or countdown) message after this long. It
# must exceed the longest step plus the longest countdown, otherwise a task
# runs twice concurrently (the step lease covers what slips through). It no
# longer decides how fast a lost host's messages come back: the sweep
# resends them from the ledger (heartbeats, due times) within seconds.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT", default=int(CELERY_TASK_TIME_LIMIT + ARCADIA_MAX_COUNTDOWN + 90)
    ),
}
if ARCADIA_EMBEDDED_WORKER:
    # The in-memory transport polls; its default second per poll would add
    # up to a second to every hop of a saga.
    CELERY_BROKER_TRANSPORT_OPTIONS["polling_interval"] = 0.01
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection before and after
# each task unless this is set, so each saga step would open a new
# PostgreSQL connection (a backend fork, most of a step's cost). Reuse one
# connection for this many tasks; the engine retries a task whose
# connection broke (provisioning/engine/tasks.py).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
# Task events are off until someone listens. Flower (``enable_events``, on
# by default) broadcasts ``enable_events`` every 5 s, which switches task
# events on in every worker it reaches, including ones started later; its
# task list is built from the worker's events (received, started,
# succeeded...). Sending them from the start cost a plain Celery worker
# about 40 % of its throughput here. ``task-sent`` comes from the publisher
# (this setting is read by whoever sends the task, not by the worker) and no
# broadcast turns it on: Flower then shows a task from ``received`` on.
# Monitoring that does not broadcast ``enable_events`` sets these to true.
CELERY_WORKER_SEND_TASK_EVENTS = env.bool("CELERY_WORKER_SEND_TASK_EVENTS", default=False)
CELERY_TASK_SEND_SENT_EVENT = env.bool("CELERY_TASK_SEND_SENT_EVENT", default=False)
CELERY_TIMEZONE = TIME_ZONE

# --- DigitalOcean and the simulator -------------------------------------------
DOSIM_TOKEN = env.str("DOSIM_TOKEN", default="dosim-token")
# Where the simulator's token goes when DIGITALOCEAN_API_URL is not set. Any
# other token goes to DigitalOcean unless DIGITALOCEAN_API_URL names another
# address itself: a real token never reaches the simulator by a default
# (docker-compose.yml sets DOSIM_URL, never DIGITALOCEAN_API_URL).
DOSIM_URL = env.str("DOSIM_URL", default="http://127.0.0.1:8089/v2/")
DIGITALOCEAN_TOKEN = env.str("DIGITALOCEAN_TOKEN", default=DOSIM_TOKEN)
# Empty counts as unset (compose passes ${DIGITALOCEAN_API_URL:-}).
DIGITALOCEAN_API_URL = env.str("DIGITALOCEAN_API_URL", default="") or (
    DOSIM_URL if DIGITALOCEAN_TOKEN == DOSIM_TOKEN else "https://api.digitalocean.com/v2/"
)
DIGITALOCEAN_REQUEST_TIMEOUT = env.float("DIGITALOCEAN_REQUEST_TIMEOUT", default=15.0)

# --- provisioning ---------------------------------------------------------------
ARCADIA_DNS_DOMAIN = env.str("ARCADIA_DNS_DOMAIN", default="arcadia.test")
# An A record already at a deployment's name that Arcadia did not create is
# refused (POST 409, or the DNS step fails for good) unless an operator turns
# this on: then Arcadia points it at the droplet and teardown puts it back as
# it found it (docs/decisions/0022-refuse-dns-records-arcadia-did-not-create.md).
ARCADIA_DNS_ADOPT_EXISTING = env.bool("ARCADIA_DNS_ADOPT_EXISTING", default=False)
# The POST's look-up of that record (through the budget; see the next
# setting). Off, the DNS step alone refuses it: the saga rolls back after a
# droplet was bought.
ARCADIA_DNS_CHECK_AT_POST = env.bool("ARCADIA_DNS_CHECK_AT_POST", default=True)
# The POST's look-up reads the zone's A records from one listing at most this
# often (inventory/dns_records.py); 0 = a look-up by name for every POST.
ARCADIA_DNS_POST_CHECK_SECONDS = env.float("ARCADIA_DNS_POST_CHECK_SECONDS", default=30.0)
# --- tenants' quotas and the provider's catalog (deployments/quotas.py, inventory/catalog.py)
# Live deployments (provisioning, active, deprovisioning or failed: those
# holding or buying a droplet) a tenant may have when its own quota is empty.
ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS = env.int("ARCADIA_TENANT_MAX_LIVE_DEPLOYMENTS", default=25)
# region, size and image are checked against DigitalOcean's catalog at POST.
ARCADIA_CATALOG_CHECK = env.bool("ARCADIA_CATALOG_CHECK", default=True)
# A cached catalog older than this is read again by the next POST (one
# process at a time); beat refreshes it every ARCADIA_CATALOG_REFRESH_INTERVAL,
# so POSTs rarely do. The last catalog read is kept through an outage.
ARCADIA_CATALOG_TTL = env.float("ARCADIA_CATALOG_TTL", default=3600.0)
ARCADIA_CATALOG_REFRESH_INTERVAL = env.float("ARCADIA_CATALOG_REFRESH_INTERVAL", default=1800.0)
ARCADIA_DROPLET_POLL_INTERVAL = env.float("ARCADIA_DROPLET_POLL_INTERVAL", default=5.0)
# Seconds before the first status read of a new droplet. Real droplets take
# tens of seconds, and reading earlier only spends rate limit; the bundled
# simulator boots in about a second.
ARCADIA_DROPLET_BOOT_WAIT = env.float(
    "ARCADIA_DROPLET_BOOT_WAIT", default=0.0 if DIGITALOCEAN_TOKEN == DOSIM_TOKEN else 20.0
)
ARCADIA_DROPLET_ACTIVE_TIMEOUT = env.float("ARCADIA_DROPLET_ACTIVE_TIMEOUT", default=600.0)
# DigitalOcean's tag index lags a few seconds behind a create: for this long
# after a create may have happened, "no droplet carries the saga tag" is not
# trusted (a retried create waits, a compensation looks again).
ARCADIA_TAG_LISTING_SETTLE = env.float("ARCADIA_TAG_LISTING_SETTLE", default=10.0)
ARCADIA_SAGA_STALL_TIMEOUT = env.float("ARCADIA_SAGA_STALL_TIMEOUT", default=300.0)

# --- saga engine --------------------------------------------------------------
# Saga definitions by dotted path; the EXTRA list lets a deployment (or a test
# worker) add its own without editing settings.
ARCADIA_SAGA_DEFINITIONS = [
    "provisioning.sagas.PROVISION_DEPLOYMENT",
    "provisioning.sagas.TEARDOWN_DEPLOYMENT",
]
ARCADIA_EXTRA_SAGA_DEFINITIONS = env.list("ARCADIA_EXTRA_SAGA_DEFINITIONS", default=[])
# A claimed step belongs to its runner until the lease expires. It must
# outlive the hard task time limit, so that a runner killed by the limit is
# dead before anyone takes its step over.
ARCADIA_STEP_LEASE_SECONDS = env.float("ARCADIA_STEP_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 30)
# Every worker offers to sweep this often (one at a time runs it; beat too).
ARCADIA_SWEEP_INTERVAL = env.float("ARCADIA_SWEEP_INTERVAL", default=2.0)
# Liveness across hosts (docs/decisions/0026-fleet-heartbeats.md): each worker
# process beats this often; a lease whose holder missed its beats this long is
# taken over (judged only by a process whose own beats went through on time
# that long, so a database outage is no one's death); a saga whose next
# message is this late is resumed, sooner shortly after a runner was lost.
ARCADIA_HEARTBEAT_SECONDS = env.float("ARCADIA_HEARTBEAT_SECONDS", default=2.0)
ARCADIA_RUNNER_DEAD_AFTER = env.float("ARCADIA_RUNNER_DEAD_AFTER", default=6.0)
ARCADIA_DUE_GRACE_SECONDS = env.float("ARCADIA_DUE_GRACE_SECONDS", default=10.0)
ARCADIA_DUE_GRACE_AFTER_LOSS_SECONDS = env.float("ARCADIA_DUE_GRACE_AFTER_LOSS_SECONDS", default=2.0)
FLOWER_URL = env.str("FLOWER_URL", default="")
# The engine reads its settings from this one dict (provisioning/engine/settings.py).
SAGA_ENGINE = {
    "definitions": [*ARCADIA_SAGA_DEFINITIONS, *ARCADIA_EXTRA_SAGA_DEFINITIONS],
    "lease_seconds": ARCADIA_STEP_LEASE_SECONDS,
    "stall_timeout": ARCADIA_SAGA_STALL_TIMEOUT,
    "sweep_interval": ARCADIA_SWEEP_INTERVAL,
    "heartbeat_seconds": ARCADIA_HEARTBEAT_SECONDS,
    "runner_dead_after": ARCADIA_RUNNER_DEAD_AFTER,
    "due_grace": ARCADIA_DUE_GRACE_SECONDS,
    "due_grace_after_loss": ARCADIA_DUE_GRACE_AFTER_LOSS_SECONDS,
    "max_countdown": ARCADIA_MAX_COUNTDOWN,
    # A provider incident lasts minutes: transient errors are retried for a
    # time, not a count, before a step fails and its saga rolls back.
    "transient_retry_seconds": env.float("ARCADIA_TRANSIENT_RETRY_SECONDS", default=300.0),
    "compensation_retry_seconds": env.float("ARCADIA_COMPENSATION_RETRY_SECONDS", default=1800.0),
    "embedded": ARCADIA_EMBEDDED_WORKER,
    "embedded_autostart": ARCADIA_EMBEDDED_AUTOSTART,
    "flower_url": FLOWER_URL,
    # What the project provides the engine, by dotted path (provisioning/engine/hooks.py).
    "celery_app": "arcadia.celery.app",
    # Tenants' users see the sagas of their own deployments (staff see all).
    "subject_scope": "deployments.selectors.saga_subjects_visible_to",
    # The operations page shows what is left of the provider's limit.
    "operations_panels": [
        ("DigitalOcean budget", "inventory.budget.budget_status"),
        ("Tenants' quotas", "deployments.quotas.quota_status"),
        ("DigitalOcean catalog", "inventory.catalog.catalog_status"),
    ],
    # A saga that ends gives back the DigitalOcean calls its create held.
    "saga_finished": ["inventory.budget.budget_release"],
    # What a JSON log line calls tenant and subject (provisioning/engine/logs.py).
    "log_fields": {"tenant": "tenant_id", "subject": "deployment_id"},
    # e.g. "https://tempo.example/trace/{trace_id}": the admin's saga page links it.
    "trace_url_template": env.str("ARCADIA_TRACE_URL_TEMPLATE", default=""),
}
# --- reconciliation (issue 16; deployments/reconcile.py) -------------------------
ARCADIA_RECONCILE_INTERVAL = env.float("ARCADIA_RECONCILE_INTERVAL", default=900.0)
# A droplet younger than this with no saga is not called an orphan, nor an
# active row younger than this "gone": DigitalOcean's tag index lags.
ARCADIA_RECONCILE_GRACE = env.float("ARCADIA_RECONCILE_GRACE", default=600.0)
ARCADIA_RECONCILE_DESTROY_ORPHANS = env.bool("ARCADIA_RECONCILE_DESTROY_ORPHANS", default=False)
# Run from every worker's heartbeat thread, one worker per period: losing the
# host that runs beat (or running no beat at all) loses no sweep.
SAGA_ENGINE["periodic"] = [
    ("provisioning.sweep_stalled_sagas", ARCADIA_SWEEP_INTERVAL),
    ("deployments.reconcile", ARCADIA_RECONCILE_INTERVAL),
]
# --- metrics (arcadia/metrics; docs/decisions/0020-metrics-read-from-the-ledger.md) --
# A scraper sends "Authorization: Bearer <token>"; staff may also read it in
# a browser session. Empty: only staff sessions; nobody else sees /metrics.
ARCADIA_METRICS_TOKEN = env.str("ARCADIA_METRICS_TOKEN", default="")

CELERY_BEAT_SCHEDULE = {
    "sweep-stalled-sagas": {
        "task": "provisioning.sweep_stalled_sagas",
        "schedule": ARCADIA_SWEEP_INTERVAL,
    },
    "reconcile-with-digitalocean": {
        "task": "deployments.reconcile",
        "schedule": ARCADIA_RECONCILE_INTERVAL,
    },
    "refresh-digitalocean-catalog": {
        "task": "inventory.refresh_catalog",
        "schedule": ARCADIA_CATALOG_REFRESH_INTERVAL,
    },
}

# --- API ------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: API clients send "Authorization: Token <token>". The
        # browsable API and the admin's users come with a session.
        "arcadia.tokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON nested deeper than a limit is a 400, not a RecursionError (issue 22).
    "DEFAULT_PARSER_CLASSES": [
        "arcadia.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # ?page= must be a positive integer, as the schema says (400 otherwise).
    "DEFAULT_PAGINATION_CLASS": "arcadia.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every DRF view (the schema view too) maps errors the API's way.
    "EXCEPTION_HANDLER": "arcadia.exceptions.exception_handler",
    # Rates are read from the ARCADIA_THROTTLE_* settings below at each
    # request (arcadia/throttling.py), not from DEFAULT_THROTTLE_RATES.
    "DEFAULT_THROTTLE_CLASSES": [
        "arcadia.throttling.UserWriteThrottle",
        "arcadia.throttling.UserReadThrottle",
        "arcadia.throttling.AnonThrottle",
    ],
    # Behind the TLS proxy SECURE_PROXY_SSL_HEADER trusts, a client's address
    # (what anonymous and log-in throttles count by) is the X-Forwarded-For
    # entry that proxy added, not the proxy's own (DRF's get_ident). No
    # proxy: REMOTE_ADDR, and a client cannot choose its address by a header.
    "NUM_PROXIES": env.int("ARCADIA_NUM_PROXIES", default=1 if SECURE_PROXY_SSL_HEADER else None),
}

# --- API throttling (arcadia/throttling.py; docs/decisions/0024-api-throttling.md)
# DRF rate strings, "<requests>/<s|min|hour|day>"; an empty value switches
# that throttle off (make bench and make chaos do so for writes and reads).
# Per user: generous for a person or a script provisioning a batch, yet a
# runaway client is stopped within a minute.
THROTTLE_RATE = re.compile(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)")


def throttle_rate(name: str, default: str) -> str:
    rate = env.str(name, default=default)
    # DRF parses a rate only when a request comes: a typo would be a 500 on every request.
    if rate and not THROTTLE_RATE.fullmatch(rate):
        raise ImproperlyConfigured(f"{name}={rate!r} is not a rate like 120/min (empty: no limit).")
    return rate


ARCADIA_THROTTLE_WRITES = throttle_rate("ARCADIA_THROTTLE_WRITES", default="120/min")
ARCADIA_THROTTLE_READS = throttle_rate("ARCADIA_THROTTLE_READS", default="1200/min")
# Per client IP, requests with no user (the schema and docs pages).
ARCADIA_THROTTLE_ANON = throttle_rate("ARCADIA_THROTTLE_ANON", default="60/min")
# Log-in form POSTs (the admin's and the browsable API's), per IP and user name.
ARCADIA_THROTTLE_LOGIN = throttle_rate("ARCADIA_THROTTLE_LOGIN", default="10/min")

# --- API tokens (arcadia/tokens; docs/decisions/0025-hashed-tokens.md) ----------
# A token works for this many days after it is created (a user may ask for
# fewer, never more); an operator shortens one in the admin.
ARCADIA_TOKEN_TTL_DAYS = env.int("ARCADIA_TOKEN_TTL_DAYS", default=90)
if ARCADIA_TOKEN_TTL_DAYS < 1:
    raise ImproperlyConfigured("ARCADIA_TOKEN_TTL_DAYS must be at least 1: every token expires.")
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=ARCADIA_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",  # what clients of DRF's tokens already send
    # 64 hex characters, SHA-512 digests: knox's defaults, named here so a
    # change of knox's defaults cannot silently change ours.
    "AUTH_TOKEN_CHARACTER_LENGTH": 64,
    "SECURE_HASH_ALGORITHM": "hashlib.sha512",
    "AUTO_REFRESH": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Arcadia API",
    "DESCRIPTION": "Provision tenant deployments on DigitalOcean as compensating sagas.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Swagger UI would otherwise send the schema to validator.swagger.io for
    # its badge on any non-localhost host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # drf-spectacular's default hook (enum components), then the 429 every
    # throttled operation may answer.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "arcadia.api_docs.document_throttling",
    ],
}

# Credentials Flower refuses outside development (arcadia/flower_guard.py):
# the ones this repository's docs and scripts show.
FLOWER_DEFAULT_CREDENTIALS = ["admin:arcadia", "admin:change-me", "admin:admin", "admin:password"]
# Passwords this repository prints (the README's admin example among them):
# refused for any user name, since a copied example is as guessable as a default.
FLOWER_KNOWN_PASSWORDS = ["arcadia", "change-me", "admin", "password", "arcadia-admin", "flower-test-secret"]

# plain (default) or json: one JSON object a line, each carrying the step
# run's fields and, with tracing on, trace_id/span_id (provisioning/engine/logs.py).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"step_context": {"()": "provisioning.engine.logs.StepContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["step_context"] if LOG_FORMAT == "json" else [],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # python-digitalocean logs request headers at DEBUG: keep it quiet so
        # the bearer token can never reach a log.
        "digitalocean": {"level": "WARNING"},
    },
}

# --- the DigitalOcean budget (inventory/budget) ----------------------------------
# DigitalOcean's windows per token; Arcadia uses ARCADIA_DO_BUDGET_SHARE of
# each and leaves the rest to the team's own tools. 0 = that window unlimited
# (a simulator without a limit).
ARCADIA_DO_RATE_LIMIT_PER_MINUTE = env.int("ARCADIA_DO_RATE_LIMIT_PER_MINUTE", default=250)
ARCADIA_DO_RATE_LIMIT_PER_HOUR = env.int("ARCADIA_DO_RATE_LIMIT_PER_HOUR", default=5000)
ARCADIA_DO_BUDGET_SHARE = env.float("ARCADIA_DO_BUDGET_SHARE", default=0.9)
# Share of the minute window that new creates must leave free for compensation and
# for sagas already past create, so creates cannot eat the window. Small: a
# create also counts the calls held for sagas in flight in the minute its
# lead reaches (ARCADIA_DO_BUDGET_CREATE_LEAD_SECONDS), so this is only for
# calls no plan counts (polls, retries); every slot it keeps is a slot creates
# leave unused while nothing else needs it.
ARCADIA_DO_BUDGET_CREATE_RESERVE = env.float("ARCADIA_DO_BUDGET_CREATE_RESERVE", default=0.02)
# The same in the hour window. Smaller: a create holds the calls its saga
# plans (and a rollback spends what its saga still holds first), so the
# hour's reserve is only for calls no plan counts (retries, polls past the
# first, a rollback's beyond its held calls); the minute's also absorbs
# bursts of polls.
ARCADIA_DO_BUDGET_CREATE_RESERVE_HOUR = env.float("ARCADIA_DO_BUDGET_CREATE_RESERVE_HOUR", default=0.02)
# Seconds added to each window: our clock starts at the permit, DigitalOcean's
# when the request arrives, a little later.
ARCADIA_DO_BUDGET_WINDOW_MARGIN = env.float("ARCADIA_DO_BUDGET_WINDOW_MARGIN", default=1.0)
# A caller told to come back keeps its place in the queue this long past its turn.
ARCADIA_DO_BUDGET_WAITER_GRACE = env.float("ARCADIA_DO_BUDGET_WAITER_GRACE", default=5.0)
# A create holds the calls the rest of its saga plans (provisioning: the DNS
# look-up and write) so a droplet bought can always finish; they are given
# back when the saga ends, or after this many seconds if it never does.
ARCADIA_DO_BUDGET_HOLD_SECONDS = env.float("ARCADIA_DO_BUDGET_HOLD_SECONDS", default=3600.0)
# Creates may take (with what they hold) only their part of the minute in any
# this many seconds, so one tenant's burst cannot spend the whole minute
# before another tenant's first create arrives. 0 = no pacing.
ARCADIA_DO_BUDGET_CREATE_PACE_SECONDS = env.float("ARCADIA_DO_BUDGET_CREATE_PACE_SECONDS", default=10.0)
# The least seconds from a create to its saga's next call (a droplet's boot;
# DigitalOcean's take 30 s or more). A create is admitted only if the minute
# window as it will stand then has room for the calls the create holds, so a
# droplet bought never waits for a minute that creates spent. Longer than
# the real boot: those calls may wait up to the difference for their slots;
# shorter: creates leave a little of the minute unused.
ARCADIA_DO_BUDGET_CREATE_LEAD_SECONDS = env.float("ARCADIA_DO_BUDGET_CREATE_LEAD_SECONDS", default=10.0)
# Where the budget lives: a redis:// URL shared by every process on every
# host. Default: the broker when it is Redis; this process's memory in the
# embedded mode (one process). Any other broker (RabbitMQ) has no safe
# default: several processes counting separately would exceed the token's
# limit, so settings refuse to load until ARCADIA_RATE_LIMIT_URL says where
# (redis://..., or memory:// for a deployment that runs one worker process).
ARCADIA_RATE_LIMIT_URL = env.str("ARCADIA_RATE_LIMIT_URL", default="")
if not ARCADIA_RATE_LIMIT_URL:
    if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        ARCADIA_RATE_LIMIT_URL = CELERY_BROKER_URL
    elif ARCADIA_EMBEDDED_WORKER:
        ARCADIA_RATE_LIMIT_URL = "memory://"
    else:
        raise ImproperlyConfigured(
            "CELERY_BROKER_URL is not Redis: set ARCADIA_RATE_LIMIT_URL to a redis:// URL for the "
            "DigitalOcean budget shared by every worker (or memory:// for a single worker process)."
        )
# Django's cache (the provider's catalog): shared by every process, so the
# catalog beat reads is the one every web process checks POSTs against.
# Default: the budget's Redis; this process's memory in the embedded mode.
ARCADIA_CACHE_URL = env.str(
    "ARCADIA_CACHE_URL",
    default=ARCADIA_RATE_LIMIT_URL if ARCADIA_RATE_LIMIT_URL.startswith(("redis://", "rediss://")) else "",
)
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": ARCADIA_CACHE_URL}
        if ARCADIA_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Status reads of booting droplets: one shared tag listing per poll interval
# answers every waiting saga, while it costs fewer calls than one GET each.
ARCADIA_DROPLET_STATUS_SHARED = env.bool("ARCADIA_DROPLET_STATUS_SHARED", default=True)
