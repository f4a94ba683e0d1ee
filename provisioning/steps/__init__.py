"""The steps of the provisioning and teardown sagas, one module each.

Steps reach the outside world through two doors only, both in this package:
``_gateway`` (the DigitalOcean gateway, whose errors it translates into the
engine's TransientError / PermanentError / NotReady) and ``_deployments``
(the deployment status services, resolved by dotted path so that
``provisioning`` never imports ``deployments``).
"""
