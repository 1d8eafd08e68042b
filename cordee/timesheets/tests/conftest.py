import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import translation

from cordee.missions.tests.factories import MissionFactory, MissionMemberFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Wednesday 4 March 2026, 10:00 in Paris (ISO week 2026-W10, from Monday 2 to Sunday 8 March).
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
MONDAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english(client):
    """Pages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _english_messages():
    """Services' messages are asserted in English too."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mission(collective, admin_user):
    """An active mission of the collective, led by its admin (who is on the team)."""
    return MissionFactory(collective=collective, lead=admin_user, title="Refonte du site")


@pytest.fixture
def teammate(mission):
    """A plain member of the collective, on the mission's team."""
    return MissionMemberFactory(mission=mission, role="design").user


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client
