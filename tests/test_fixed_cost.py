"""The fixed cost of a request: the signed-in user and their memberships (the membership check and the
navigation share them) in two queries, the session from the cache, and never the password hash or the
legal identity of another person joined into a page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cordee.core.tests.factories import AdminMembershipFactory, CollectiveFactory, MembershipFactory
from cordee.missions.tests.factories import MissionFactory

pytestmark = pytest.mark.django_db


def page_queries(client, url) -> list[str]:
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("collectives", [1, 4])
def test_a_collective_page_costs_the_user_and_the_memberships_only(client, collectives):
    membership = AdminMembershipFactory(collective=CollectiveFactory(name="Atelier"))
    for number in range(collectives - 1):
        MembershipFactory(user=membership.user, collective=CollectiveFactory(name=f"Collectif {number}"))
    membership.user.legal_form, membership.user.iban = "micro", "FR7630006000011234567890189"
    membership.user.save()
    client.force_login(membership.user)

    queries = page_queries(client, reverse("collectives:settings", args=[membership.collective.slug]))

    user, memberships = queries
    assert user.startswith('SELECT "accounts_user"."id", "accounts_user"."password"')
    assert '"iban"' not in user and '"siret"' not in user and '"legal_form"' not in user
    assert 'FROM "collectives_membership" INNER JOIN "collectives_collective"' in memberships
    assert '"accounts_user"' not in memberships


def test_the_switcher_lists_every_collective_of_the_user_from_that_one_query(client):
    membership = AdminMembershipFactory(collective=CollectiveFactory(name="Atelier"))
    other = MembershipFactory(user=membership.user, collective=CollectiveFactory(name="Bureau")).collective
    client.force_login(membership.user)

    response = client.get(reverse("collectives:settings", args=[membership.collective.slug]))

    assert [m.collective.name for m in response.context["my_memberships"]] == ["Atelier", "Bureau"]
    assert response.context["current_collective"] == membership.collective
    assert reverse("collectives:dashboard", args=[other.slug]).encode() in response.content


def test_a_collective_of_which_the_user_is_not_a_member_is_not_found(client):
    membership = AdminMembershipFactory()
    stranger = CollectiveFactory()
    client.force_login(membership.user)

    response = client.get(reverse("collectives:settings", args=[stranger.slug]))

    assert response.status_code == 404


def test_the_mission_page_joins_its_lead_without_password_hash_nor_legal_identity(client):
    mission = MissionFactory()
    client.force_login(mission.lead)

    queries = page_queries(client, reverse("missions:detail", args=[mission.collective.slug, mission.pk]))

    mission_query = next(sql for sql in queries if sql.startswith('SELECT "missions_mission"."id"'))
    assert 'INNER JOIN "accounts_user"' in mission_query
    assert '"accounts_user"."email"' in mission_query
    assert '"accounts_user"."password"' not in mission_query
    assert '"accounts_user"."iban"' not in mission_query
