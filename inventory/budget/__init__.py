"""The shared DigitalOcean budget: see :mod:`inventory.budget.budget`."""

from inventory.budget.budget import Budget, budget_release, budget_reset, budget_status, get_budget
from inventory.budget.caller import ANONYMOUS, COMPENSATION, CREATE, PAST_CREATE, Caller
from inventory.budget.decision import Decision

__all__ = [
    "ANONYMOUS",
    "COMPENSATION",
    "CREATE",
    "PAST_CREATE",
    "Budget",
    "Caller",
    "Decision",
    "budget_release",
    "budget_reset",
    "budget_status",
    "get_budget",
]
