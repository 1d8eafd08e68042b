import datetime as dt
import zoneinfo

import pytest
import time_machine

from cordee.core.tests.factories import AdminMembershipFactory, OpportunityFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# A Monday morning in Paris: every date in these tests is relative to it.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _english(client):
    """Pages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def opportunity(collective):
    return OpportunityFactory(collective=collective, budget="5k-15k")


@pytest.fixture
def other_admin_membership(db):
    """The admin of another collective, B."""
    return AdminMembershipFactory()


@pytest.fixture
def other_opportunity(other_admin_membership):
    return OpportunityFactory(collective=other_admin_membership.collective, company="Société B")
