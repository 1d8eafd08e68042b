"""A member of collective A never reaches collective B's missions, whatever the page or the posted ids."""

import pytest
from django.urls import reverse

from cordee.core.tests.factories import AdminMembershipFactory, OpportunityFactory
from cordee.missions.models import Mission, MissionEvent, MissionMember
from cordee.missions.tests.factories import ClientFactory, MissionFactory, MissionMemberFactory

pytestmark = pytest.mark.django_db

MISSION_PAGES = [
    "detail",
    "history",
    "edit",
    "activate",
    "pause",
    "resume",
    "deliver",
    "close",
    "change_lead",
    "team",
]


@pytest.fixture
def b_mission():
    return MissionFactory(status="draft")


@pytest.fixture
def a_admin():
    return AdminMembershipFactory()


def snapshot():
    return (
        list(Mission.objects.values()),
        list(MissionMember.objects.values()),
        list(MissionEvent.objects.values()),
    )


def test_a_member_of_a_gets_404_on_every_page_of_bs_missions(client, a_admin, b_mission):
    client.force_login(a_admin.user)
    before = snapshot()

    for slug in (b_mission.collective.slug, a_admin.collective.slug):
        for name in MISSION_PAGES:
            address = reverse(f"missions:{name}", args=[slug, b_mission.pk])
            assert client.get(address).status_code == 404, address
            assert (
                client.post(address, {"action": "remove", "member": 1, "lead": a_admin.user_id}).status_code
                == 404
            )
    for name in ("list", "create"):
        assert client.get(reverse(f"missions:{name}", args=[b_mission.collective.slug])).status_code == 404

    assert snapshot() == before


def test_bs_opportunity_cannot_be_converted_from_a(client, a_admin):
    foreign = OpportunityFactory(stage="won")
    client.force_login(a_admin.user)

    response = client.get(
        reverse("missions:create", args=[a_admin.collective.slug]) + f"?opportunity={foreign.pk}"
    )

    assert response.status_code == 404


def test_bs_clients_are_not_offered_nor_accepted_on_as_mission_form(client, a_admin):
    own = ClientFactory(collective=a_admin.collective, name="Client de A")
    foreign = ClientFactory(name="Client de B")
    mission = MissionFactory(collective=a_admin.collective, lead=a_admin.user, client=own)
    client.force_login(a_admin.user)

    for name in ("create", "edit"):
        args = [a_admin.collective.slug] + ([mission.pk] if name == "edit" else [])
        content = client.get(reverse(f"missions:{name}", args=args)).content.decode()
        assert "Client de A" in content
        assert "Client de B" not in content
    filters = client.get(reverse("missions:list", args=[a_admin.collective.slug])).content.decode()
    assert "Client de B" not in filters
    assert Mission.objects.get(pk=mission.pk).client == own
    assert foreign.missions.count() == 0


def test_a_team_member_of_bs_mission_cannot_be_edited_through_as_mission(client, a_admin, b_mission):
    b_member = MissionMemberFactory(mission=b_mission, role="design")
    mission = MissionFactory(collective=a_admin.collective, lead=a_admin.user)
    client.force_login(a_admin.user)
    address = reverse("missions:team", args=[a_admin.collective.slug, mission.pk])

    edited = client.post(
        address, {"action": "edit", "member": b_member.pk, f"member-{b_member.pk}-role": "x"}
    )
    removed = client.post(address, {"action": "remove", "member": b_member.pk})

    assert (edited.status_code, removed.status_code) == (404, 404)
    b_member.refresh_from_db()
    assert b_member.role == "design"


def test_anonymous_visitors_are_sent_to_log_in(client, b_mission):
    login = reverse("account_login")
    addresses = [
        reverse(f"missions:{name}", args=[b_mission.collective.slug, b_mission.pk]) for name in MISSION_PAGES
    ]
    addresses += [
        reverse(f"missions:{name}", args=[b_mission.collective.slug]) for name in ("list", "create")
    ]

    for address in addresses:
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"].startswith(login)
