"""Celery tasks of the inventory app (found by ``autodiscover_tasks``)."""

from celery import shared_task


@shared_task(name="inventory.refresh_catalog", acks_late=True, ignore_result=True)
def refresh_catalog() -> dict:
    """The periodic catalog read (``ARCADIA_CATALOG_REFRESH_INTERVAL``, beat),
    so POSTs find a fresh catalog in the cache and never wait for one. A read
    that fails keeps the catalog cached before it (inventory.catalog)."""
    from inventory.catalog import CatalogUnavailable, catalog_refresh

    try:
        catalog = catalog_refresh()
    except CatalogUnavailable as exc:
        return {"refreshed": False, "error": str(exc)[:200]}
    return {"refreshed": True, "regions": len(catalog.regions), "sizes": len(catalog.sizes)}
