"""DRF's clear-text tokens become knox digests, and their table goes.

Every ``authtoken_token`` key is stored as knox stores a token it issued
(its first 15 characters and its SHA-512 digest), so a client that sends
``Authorization: Token <old key>`` keeps working until the key expires,
ARCADIA_TOKEN_TTL_DAYS after this migration. Then the table, the only place
keys were in clear text, is dropped, and its migration history with it, so
that ``rest_framework.authtoken`` (no longer installed) would start empty if
it ever were again. A database that never had the table skips all this.

Not reversible: the keys are gone by design.
"""

import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

DRF_TABLE = "authtoken_token"
# knox.settings.CONSTANTS.TOKEN_KEY_LENGTH and knox.crypto.hash_token as of
# knox 5.1, written out so that this migration means the same thing later.
TOKEN_KEY_LENGTH = 15


def knox_digest(key: str) -> str:
    return hashlib.sha512(key.encode("utf-8")).hexdigest()


def hash_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if DRF_TABLE not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    table = connection.ops.quote_name(DRF_TABLE)
    expiry = timezone.now() + settings.REST_KNOX["TOKEN_TTL"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT key, user_id, created FROM {table}")
        rows = cursor.fetchall()
    for key, user_id, created in rows:
        digest = knox_digest(key)
        AuthToken.objects.create(digest=digest, token_key=key[:TOKEN_KEY_LENGTH], user_id=user_id, expiry=expiry)
        # created is auto_now_add: the token's own date is written after.
        AuthToken.objects.filter(digest=digest).update(created=created)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}")
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["authtoken"])


class Migration(migrations.Migration):
    dependencies = [
        ("tokens", "0001_api_token"),
    ]

    operations = [
        migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop, elidable=False),
    ]
