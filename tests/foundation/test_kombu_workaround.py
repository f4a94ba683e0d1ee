"""The kombu workaround applies only where it was written for: a Redis broker,
on a kombu it was checked on; a newer kombu says it should be re-checked."""

import logging

import pytest

from arcadia import kombu_workaround


@pytest.mark.parametrize("url", ["amqp://guest:guest@127.0.0.1:5672//", "memory://", "pyamqp://h//"])
def test_not_installed_for_a_broker_that_is_not_redis(url):
    assert kombu_workaround.needed(url, "5.7.0") is False


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://h:6380/1", "sentinel://h:26379"])
def test_installed_for_redis_on_the_checked_kombu(url):
    assert kombu_workaround.needed(url, "5.7.0") is True
    assert kombu_workaround.needed(url, "5.5.4") is True


def test_a_newer_kombu_is_left_alone_and_says_to_recheck(caplog):
    with caplog.at_level(logging.WARNING, logger="arcadia.kombu_workaround"):
        assert kombu_workaround.needed("redis://127.0.0.1:6379/0", "5.8.0rc1") is False
    assert "kombu 5.8.0rc1 is newer than 5.7.0" in caplog.text
    assert "test_broker_outage.py" in caplog.text


def test_install_guards_the_redis_channel():
    from kombu.transport import redis as redis_transport

    assert kombu_workaround.install("redis://127.0.0.1:6379/0", "5.7.0") is True
    assert redis_transport.Channel._connparams._arcadia_guarded is True
    assert kombu_workaround.install("amqp://h//", "5.7.0") is False
