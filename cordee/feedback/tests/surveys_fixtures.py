"""Shared set-up of the surveys tests: a mission started on Monday 2 March 2026 (Paris), three contacts."""

import datetime as dt
import zoneinfo
from types import SimpleNamespace

import pytest
import time_machine

from cordee.clients.models import ClientContact
from cordee.core.models import OutboundEmail
from cordee.feedback.services.surveys import invitation_token, surveys_tick
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = dt.date(2026, 3, 2)


def paris(day: dt.date | int, hour: int = 9, minute: int = 0) -> dt.datetime:
    """A moment in Paris; an int is a day of the mission (0 = its start)."""
    if isinstance(day, int):
        day = START + dt.timedelta(days=day)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


def tick_at(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return surveys_tick()


def survey_keys() -> set[str]:
    return set(
        OutboundEmail.objects.filter(idempotency_key__startswith="survey:").values_list(
            "idempotency_key", flat=True
        )
    )


def token_for(invitation) -> str:
    return invitation_token(invitation.survey_id, invitation.contact_id)


@pytest.fixture(name="mission")
def mission_fixture(db):
    mission = MissionFactory(start_date=START, status=Mission.Status.ACTIVE, title="Refonte du site")
    mission.collective.name = "Studio Nord"
    mission.collective.slug = "studio-nord"
    mission.collective.save()
    return mission


@pytest.fixture(name="contacts")
def contacts_fixture(mission):
    client = mission.client
    return SimpleNamespace(
        sponsor=ClientContactFactory(
            client=client,
            full_name="Alice Sponsor",
            email="alice@client.fr",
            role=ClientContact.Role.SPONSOR,
            language="fr",
        ),
        project=ClientContactFactory(
            client=client,
            full_name="Bob Project",
            email="bob@client.fr",
            role=ClientContact.Role.PROJECT,
            language="en",
        ),
        finance=ClientContactFactory(
            client=client,
            full_name="Chloé Finance",
            email="chloe@client.fr",
            role=ClientContact.Role.FINANCE,
            language="fr",
        ),
    )
