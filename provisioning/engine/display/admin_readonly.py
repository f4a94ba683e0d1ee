"""A read-only admin: for logs and history, which only services write."""


class ReadOnlyAdminMixin:
    """Viewable, never added, edited or deleted by hand: statuses change only
    through services (and their declared transitions), and the saga log and
    inventory are history."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
