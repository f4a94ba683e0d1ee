"""Budgets built directly on a store, with small windows the tests control."""

from __future__ import annotations

import uuid
from dataclasses import replace

from inventory.budget.budget import Budget
from inventory.budget.config import BudgetConfig
from inventory.budget.memory_store import MemoryStore
from inventory.budget.redis_store import RedisStore
from tests.support import worker as worker_support

# This test process's own database (each pytest-xdist worker has one).
REDIS_URL = worker_support.redis_url_for_tests()

BASE = BudgetConfig(
    per_minute=5,
    per_hour=12,
    minute_window=1.0,
    hour_window=100.0,
    minute_reserve=0,
    hour_reserve=0,
    grace=5.0,
    url=REDIS_URL,
)


def config(**changes) -> BudgetConfig:
    return replace(BASE, **changes)


def redis_store(key: str) -> RedisStore:
    return RedisStore(REDIS_URL, key)


def make_budget(kind: str, cfg: BudgetConfig | None = None, key: str | None = None) -> Budget:
    key = key or f"test-{uuid.uuid4().hex[:12]}"
    store = redis_store(key) if kind == "redis" else MemoryStore()
    store.reset()
    return Budget(cfg or BASE, store, key)
