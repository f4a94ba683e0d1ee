"""The steps of the provisioning and teardown sagas, one module each.

Steps are clients of the engine (``provisioning.engine``) and reach the
outside world through two doors: ``_gateway`` (the DigitalOcean gateway,
whose errors it translates into the engine's TransientError /
PermanentError / NotReady / Throttled) and ``deployments.status_moves`` (the
deployment status changes, whose refusals ``_deployments`` translates).
"""
