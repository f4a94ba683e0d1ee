"""Inventory: what Arcadia holds at DigitalOcean (the cloud resources it bought, in
its own rows), the gateway it reaches DigitalOcean through (``gateway/``), the shared
request budget (``budget/``) and the reconcile pass that checks the two agree."""
