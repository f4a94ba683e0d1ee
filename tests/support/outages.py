"""Real outages for tests: the database connection pointed at a closed port."""

from contextlib import contextmanager

from django.db import connection

from tests.support.broker_servers import free_port


@contextmanager
def database_unreachable():
    settings_dict = connection.settings_dict
    saved = settings_dict["HOST"], settings_dict["PORT"]
    connection.close()
    settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(free_port())
    try:
        yield
    finally:
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = saved
