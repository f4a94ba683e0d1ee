"""Deployments: tenants, their deployments and API tokens, the HTTP API that
creates and tears them down (starting the sagas of ``provisioning``), and the
status moves those sagas' steps make."""
