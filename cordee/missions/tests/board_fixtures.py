"""Fixtures of the task board, digest and inbox tests, imported by them.

One collective with its admin (not on the mission), a lead who is a plain member, two team members
(Anna, design; Bruno, back-end) and a member of the collective outside the team; another collective B
with its own mission, task and request.
"""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import translation

from cordee.accounts.models import User
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Mission, MissionMember
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientFactory,
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# A Monday morning in Paris: every date in these tests is relative to it.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()

LEAD_ASSIGNS = Mission.AssignmentMode.LEAD_ASSIGNS
SELF_SERVICE = Mission.AssignmentMode.SELF_SERVICE
BY_ROLE = Mission.AssignmentMode.BY_ROLE


@dataclass
class People:
    admin: User  # admin of the collective, not on the team
    lead: User  # the mission's lead, a plain member of the collective
    anna: User  # team member, design
    bruno: User  # team member, back-end
    outsider: User  # member of the collective, not on the team


@pytest.fixture(autouse=True)
def english(client):
    """Pages and messages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def people(collective, admin_user) -> People:
    def member(name):
        # English speakers, so that their emails are asserted in the source language.
        return MembershipFactory(collective=collective, user__full_name=name, user__language="en").user

    return People(
        admin=admin_user,
        lead=member("Léa Martin"),
        anna=member("Anna Durand"),
        bruno=member("Bruno Petit"),
        outsider=member("Omar Sall"),
    )


@pytest.fixture
def mission(collective, people) -> Mission:
    """An active mission in lead-assigns mode, with Anna (design) and Bruno (back-end) on the team."""
    client = ClientFactory(collective=collective, name="Maison Lenoir")
    ClientContactFactory(client=client, full_name="Claire Lenoir", email="claire@lenoir.fr")
    mission = MissionFactory(
        collective=collective,
        client=client,
        lead=people.lead,
        title="Refonte du site",
        assignment_mode=LEAD_ASSIGNS,
    )
    MissionMember.objects.create(collective=collective, mission=mission, user=people.anna, role="design")
    MissionMember.objects.create(collective=collective, mission=mission, user=people.bruno, role="back-end")
    return mission


def set_mode(mission: Mission, mode: str) -> Mission:
    mission.assignment_mode = mode
    mission.save(update_fields=["assignment_mode"])
    return mission


@pytest.fixture
def deliverable(mission):
    return DeliverableFactory(mission=mission, title="Maquettes", internal_date=TODAY + dt.timedelta(days=14))


@pytest.fixture
def other_mission(db):
    """Collective B: its own mission, with a deliverable, a task and a request."""
    b_admin = AdminMembershipFactory()
    mission = MissionFactory(collective=b_admin.collective, title="Mission de B")
    DeliverableFactory(mission=mission, title="Livrable de B")
    TaskFactory(mission=mission, title="Tâche de B")
    ClientRequestFactory(mission=mission, title="Demande de B")
    return mission


def login(client, user):
    client.force_login(user)
    return client
