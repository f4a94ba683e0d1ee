"""Helpers for scripts/up.sh, one subcommand each; exit status 0 means yes/done.

  check-redis URL             Redis answers PING
  ensure-database URL         PostgreSQL answers; the URL's database exists (created if not)
  port-free PORT              nothing listens on 127.0.0.1:PORT
  ensure-superuser USER PASS  a staff superuser with that password exists
  wait-http URL SECONDS       URL answers 200 before the deadline

Python rather than psql/redis-cli so `make up` needs nothing beyond the
virtualenv, and URLs are parsed the same way Django parses them.
"""

import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import environ

ROOT = Path(__file__).resolve().parent.parent


def check_redis(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping())
    except redis.RedisError as exc:
        print(f"redis: {exc}", file=sys.stderr)
        return False


def ensure_database(url: str) -> bool:
    import psycopg2
    from psycopg2 import sql

    config = environ.Env.db_url_config(url)
    if "postgresql" not in config["ENGINE"]:
        return True  # SQLite creates its file on first use
    params = {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
        "connect_timeout": 5,
    }
    try:
        # The maintenance database: the target may not exist yet.
        conn = psycopg2.connect(dbname="postgres", **params)
    except psycopg2.OperationalError as exc:
        print(f"postgres: {exc}", file=sys.stderr)
        return False
    conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
    # Not `with conn`: since psycopg2 2.9 that opens a transaction even in autocommit.
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
            print(f"created database {config['NAME']}", file=sys.stderr)
    conn.close()
    return True


def port_free(port: str) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", int(port))) != 0


def ensure_superuser(username: str, password: str) -> bool:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "arcadia.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.is_staff = user.is_superuser = user.is_active = True
    # Set on every run so the password printed by `make up` is the one that works.
    user.set_password(password)
    user.save()
    return True


def wait_http(url: str, seconds: str) -> bool:
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


COMMANDS = {
    "check-redis": check_redis,
    "ensure-database": ensure_database,
    "port-free": port_free,
    "ensure-superuser": ensure_superuser,
    "wait-http": wait_http,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    sys.exit(0 if COMMANDS[sys.argv[1]](*sys.argv[2:]) else 1)
