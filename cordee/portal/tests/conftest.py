"""Fixtures of the portal tests: a client with a rich mission, another client of the same collective, and
helpers to sign a contact in through a real magic link."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from cordee.clients.models import Client, ClientContact
from cordee.communication.models import DeliveryCall, Recap
from cordee.missions.models import ClientRequest, Deliverable, Mission
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientFactory,
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.portal.services import portal_link_create
from cordee.portal.tests.factories import DeliveryCallFactory, RecapFactory, RitualFactory

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(autouse=True)
def _english_browser(client):
    """Pages outside a portal session follow the browser: English here, so that the asserted texts do
    not depend on the French catalogue. Portal pages follow the contact's language."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def sign_in(client, contact: ClientContact) -> str:
    """Sign the contact in as they would: a magic link, then the button. Returns the link."""
    url = portal_link_create(contact=contact)
    response = client.post(reverse("portal:magic", args=[token_of(url)]))
    assert response.status_code == 302, response.content.decode()[:500]
    return url


@pytest.fixture
def sign_in_as():
    return sign_in


@dataclass
class PortalWorld:
    client_x: Client
    contact_x: ClientContact
    mission_x: Mission
    deliverables: list[Deliverable]
    sent_recap: Recap
    call: DeliveryCall
    request_x: ClientRequest
    draft_mission_x: Mission
    client_y: Client
    contact_y: ClientContact
    mission_y: Mission
    recap_y: Recap
    call_y: DeliveryCall
    request_y: ClientRequest


@pytest.fixture
def world(db):
    """Client X (the one signing in) and client Y of the same collective, with internal data everywhere
    that the portal must never show."""
    client_x = ClientFactory(name="Maison Lenoir", notes="INTERNAL-CLIENT-NOTE")
    collective = client_x.collective
    contact_x = ClientContactFactory(
        client=client_x, full_name="Paul Durand", email="paul@lenoir.fr", language="en"
    )
    mission_x = MissionFactory(
        collective=collective,
        client=client_x,
        title="Refonte boutique",
        description="INTERNAL-MISSION-DESCRIPTION",
        start_date=dt.date(2026, 1, 12),
    )
    mission_x.lead.full_name = "Claire Martin"  # a fixed name: the pages are asserted on it
    mission_x.lead.save()
    MissionMemberFactory(mission=mission_x, role="design", day_rate=Decimal("987.65"))
    first = DeliverableFactory(
        mission=mission_x,
        title="Maquettes",
        description="INTERNAL-DELIVERABLE-DESCRIPTION",
        internal_date=dt.date(2026, 3, 11),
        announced_date=dt.date(2026, 3, 20),
        health=Deliverable.Health.AT_RISK,
        health_reason="INTERNAL-HEALTH-REASON",
        status=Deliverable.Status.IN_PROGRESS,
    )
    second = DeliverableFactory(
        mission=mission_x,
        title="Tunnel d'achat",
        internal_date=dt.date(2026, 4, 7),
        announced_date=dt.date(2026, 4, 16),
        health=Deliverable.Health.LATE,
        health_reason="INTERNAL-LATE-REASON",
    )
    TaskFactory(mission=mission_x, deliverable=first, title="INTERNAL-TASK", estimate_hours=Decimal("13.75"))
    TimeEntryFactory(mission=mission_x, hours=Decimal("17.25"), note="INTERNAL-TIME-NOTE")
    sent_recap = RecapFactory(mission=mission_x, subject="Point du vendredi", body="Tout avance bien.")
    RecapFactory(mission=mission_x, state=Recap.State.DRAFT, subject="DRAFT-RECAP", sent_at=None)
    RecapFactory(mission=mission_x, state=Recap.State.SKIPPED, subject="SKIPPED-RECAP", sent_at=None)
    RitualFactory(mission=mission_x)
    call = DeliveryCallFactory(deliverable=first, starts_at=timezone.now() + dt.timedelta(days=3))
    DeliveryCallFactory(
        deliverable=second,
        starts_at=timezone.now() + dt.timedelta(days=5),
        cancelled_at=timezone.now(),
        video_link="https://meet.example.fr/CANCELLED-CALL",
    )
    request_x = ClientRequestFactory(
        mission=mission_x,
        contact=contact_x,
        source=ClientRequest.Source.PORTAL,
        title="Changer la couleur du bouton",
        body="Le vert est trop clair.",
    )
    ClientRequestFactory(
        mission=mission_x,
        source=ClientRequest.Source.LEAD,
        title="Logo plus grand",
        body="INTERNAL-LEAD-NOTE",
    )
    draft_mission_x = MissionFactory(
        collective=collective, client=client_x, title="DRAFT-MISSION", status=Mission.Status.DRAFT
    )
    client_y = ClientFactory(collective=collective, name="OTHER-CLIENT")
    contact_y = ClientContactFactory(client=client_y, email="alice@other.fr")
    mission_y = MissionFactory(collective=collective, client=client_y, title="OTHER-CLIENT-MISSION")
    deliverable_y = DeliverableFactory(mission=mission_y, title="OTHER-DELIVERABLE")
    return PortalWorld(
        client_x=client_x,
        contact_x=contact_x,
        mission_x=mission_x,
        deliverables=[first, second],
        sent_recap=sent_recap,
        call=call,
        request_x=request_x,
        draft_mission_x=draft_mission_x,
        client_y=client_y,
        contact_y=contact_y,
        mission_y=mission_y,
        recap_y=RecapFactory(mission=mission_y, subject="OTHER-RECAP"),
        call_y=DeliveryCallFactory(deliverable=deliverable_y),
        request_y=ClientRequestFactory(mission=mission_y, title="OTHER-REQUEST"),
    )
