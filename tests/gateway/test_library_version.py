"""The transport overrides a private method of python-digitalocean: it must
refuse a library version it was not read against, and say what to do."""

import pytest
from digitalocean.baseapi import BaseAPI

from inventory.gateway import LibraryVersionError
from inventory.gateway.transport import CHECKED_VERSIONS, check_library


def test_the_pinned_version_is_accepted():
    check_library(CHECKED_VERSIONS[0], BaseAPI)


def test_an_unchecked_version_is_refused_with_what_to_do():
    with pytest.raises(LibraryVersionError, match=r"1\.99\.0 is installed.*checked against 1\.17\.0"):
        check_library("1.99.0", BaseAPI)


def test_a_library_without_the_overridden_method_is_refused():
    class Renamed:  # a release that renamed its private choke point
        def _BaseAPI__send(self): ...

    with pytest.raises(LibraryVersionError):
        check_library(CHECKED_VERSIONS[0], Renamed)
