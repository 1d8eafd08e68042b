"""Fixtures and helpers of the calendar tests (delivery calls, weekly call, feeds).

Import the fixtures by name in a test module: ``from cordee.communication.tests.calls_fixtures import *``.
"""

import datetime as dt
import zoneinfo

import pytest
import time_machine
import vobject
from icalendar import Calendar

from cordee.core import outbox
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import (
    AdminMembershipFactory,
    CollectiveFactory,
    MembershipFactory,
    UserFactory,
)
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
UTC = dt.UTC
# Monday 2 March 2026, 10:00 in Paris.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
# Tuesday 10 March 2026, 14:00 in Paris (13:00 UTC).
CALL_AT = dt.datetime(2026, 3, 10, 14, 0, tzinfo=PARIS)

__all__ = [
    "CALL_AT",
    "NOW",
    "PARIS",
    "UTC",
    "alice",
    "bob",
    "deliverable",
    "frozen_now",
    "ics_of",
    "lead",
    "lead_client",
    "member_client",
    "mission",
    "parse_both",
    "teammate",
    "english",
    "emails_to",
]


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def mission(db):
    collective = CollectiveFactory(name="Studio Nord", slug="studio-nord", time_zone="Europe/Paris")
    lead = UserFactory(full_name="Léa Martin", email="lea@studio-nord.fr", language="fr")
    AdminMembershipFactory(collective=collective, user=lead)
    return MissionFactory(collective=collective, lead=lead, title="Site vitrine", client__name="Acme")


@pytest.fixture
def lead(mission):
    return mission.lead


@pytest.fixture
def teammate(mission):
    member = MissionMemberFactory(
        mission=mission, user=UserFactory(full_name="Tom Baker", email="tom@studio-nord.fr", language="en")
    )
    MembershipFactory(collective=mission.collective, user=member.user)
    return member.user


@pytest.fixture
def alice(mission):
    return ClientContactFactory(
        client=mission.client, full_name="Alice Durand", email="alice@acme.fr", language="fr"
    )


@pytest.fixture
def bob(mission):
    return ClientContactFactory(
        client=mission.client,
        full_name="Bob Smith",
        email="bob@acme.com",
        language="en",
        role="project",
    )


@pytest.fixture
def deliverable(mission):
    return DeliverableFactory(
        mission=mission,
        title="Maquettes",
        internal_date=dt.date(2026, 3, 16),
        announced_date=dt.date(2026, 3, 20),
    )


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


@pytest.fixture
def member_client(client, teammate):
    client.force_login(teammate)
    return client


def emails_to(address: str):
    return OutboundEmail.objects.filter(to_email=address).order_by("pk")


def ics_of(email: OutboundEmail) -> bytes:
    [attachment] = email.attachments
    return outbox.attachment_content(attachment)


def parse_both(data: bytes):
    """The file read by icalendar and by vobject (each must accept it)."""
    return Calendar.from_ical(data), vobject.readOne(data.decode())
