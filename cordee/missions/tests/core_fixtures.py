"""Fixtures of the mission core tests (lifecycle, team, lead, history, dashboards), imported by them."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory, MissionFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# A Monday morning in Paris: every date in these tests is relative to it.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def english(client):
    """Pages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def member_client(member_membership):
    """A second browser, logged in as a plain member (admin_client keeps its own session)."""
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(member_membership.user)
    return browser


@pytest.fixture
def other_collective(db):
    """Another collective, B, with its admin."""
    return AdminMembershipFactory().collective


@pytest.fixture
def mission(collective, admin_user):
    """An active mission of the collective led by its admin, for a client with two contacts."""
    client = ClientFactory(collective=collective, name="Maison Lenoir")
    ClientContactFactory(client=client, full_name="Claire Lenoir", email="claire@lenoir.fr", language="fr")
    ClientContactFactory(client=client, full_name="John Smith", email="john@lenoir.fr", language="en")
    return MissionFactory(collective=collective, client=client, lead=admin_user, title="Refonte du site")


@pytest.fixture
def teammate(collective):
    return MembershipFactory(collective=collective, user__full_name="Zoé Petit", title="Designer UX")
