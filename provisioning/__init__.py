"""Provisioning: the saga engine (``engine/``, generic, knows no deployment)
and its clients, the provisioning and teardown sagas (``sagas.py``) and
their steps (``steps/``)."""
