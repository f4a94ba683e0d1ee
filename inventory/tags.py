"""The tags Arcadia puts on everything it creates, and reading them back."""

import uuid

# Every droplet Arcadia creates carries this tag, plus one naming its saga.
ARCADIA_TAG = "arcadia"
SAGA_TAG_PREFIX = "arcadia-saga-"


def saga_tag(saga_id) -> str:
    """The tag that finds a saga's droplet even when its id was never
    recorded (DigitalOcean has no idempotency key for create)."""
    return f"{SAGA_TAG_PREFIX}{saga_id}"


def saga_id_from_tags(tags) -> uuid.UUID | None:
    """The saga an ``arcadia-saga-<uuid>`` tag names, if any (the first valid one)."""
    for tag in tags:
        if tag.startswith(SAGA_TAG_PREFIX):
            try:
                return uuid.UUID(tag.removeprefix(SAGA_TAG_PREFIX))
            except ValueError:
                continue
    return None
