"""Fixtures of the kickoff, recap and preview tests, imported by them.

One collective (Paris time) with its admin; a lead who is a plain member (English, so that emails are
asserted in the source language); Anna on the team; Omar, a member outside the team. The client,
Maison Lenoir, has three contacts: Claire (sponsor, English), Paul (project, French) and Fanny
(finance, English). The mission "Site refresh" was activated on Monday 2 March 2026 at 9:00, with
recaps on Friday.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import translation

from cordee.accounts.models import User
from cordee.clients.models import ClientContact
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Mission, MissionMember
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory, MissionFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = dt.date(2026, 3, 2)
ACTIVATED = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)


def at(day: dt.date, hour: int = 10, minute: int = 0):
    """Travel to a moment in Paris, frozen."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS), tick=False)


def paris(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)


@dataclass
class People:
    admin: User
    lead: User
    anna: User
    outsider: User


@dataclass
class Contacts:
    claire: ClientContact  # sponsor, English
    paul: ClientContact  # project, French
    fanny: ClientContact  # finance, English


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def people(collective, admin_user) -> People:
    def member(name, email):
        return MembershipFactory(
            collective=collective, user__full_name=name, user__email=email, user__language="en"
        ).user

    return People(
        admin=admin_user,
        lead=member("Léa Martin", "lea@studio.fr"),
        anna=member("Anna Durand", "anna@studio.fr"),
        outsider=member("Omar Sall", "omar@studio.fr"),
    )


@pytest.fixture
def client_company(collective):
    return ClientFactory(collective=collective, name="Maison Lenoir")


@pytest.fixture
def contacts(client_company) -> Contacts:
    return Contacts(
        claire=ClientContactFactory(
            client=client_company,
            full_name="Claire Lenoir",
            email="claire@lenoir.fr",
            role=ClientContact.Role.SPONSOR,
            language="en",
        ),
        paul=ClientContactFactory(
            client=client_company,
            full_name="Paul Lenoir",
            email="paul@lenoir.fr",
            role=ClientContact.Role.PROJECT,
            language="fr",
        ),
        fanny=ClientContactFactory(
            client=client_company,
            full_name="Fanny Compta",
            email="fanny@lenoir.fr",
            role=ClientContact.Role.FINANCE,
            language="en",
        ),
    )


@pytest.fixture
def mission(collective, people, client_company) -> Mission:
    """Active since Monday 2 March 2026, 9:00 Paris; one recap a week, on Friday; Anna on the team."""
    mission = MissionFactory(
        collective=collective,
        client=client_company,
        lead=people.lead,
        title="Site refresh",
        start_date=MONDAY,
        activated_at=ACTIVATED,
        recaps_per_week=1,
        recap_weekdays=[4],
    )
    MissionMember.objects.create(collective=collective, mission=mission, user=people.anna, role="design")
    return mission


def set_weekdays(mission: Mission, weekdays: list[int]) -> Mission:
    mission.recap_weekdays = weekdays
    mission.recaps_per_week = len(weekdays)
    mission.save(update_fields=["recap_weekdays", "recaps_per_week"])
    return mission


def login(client, user):
    client.force_login(user)
    return client
