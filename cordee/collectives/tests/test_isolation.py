"""Every collectives page: a member of collective A gets a 404 on B's pages and objects; visitors log in."""

import pytest
from django.urls import reverse

from cordee.collectives.models import Collective, Membership, Reference
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, ReferenceFactory

pytestmark = pytest.mark.django_db

SLUG_ONLY = [
    "dashboard",
    "members",
    "page_edit",
    "settings",
    "publish",
    "unpublish",
    "reference_create",
    "leave",
]
WITH_MEMBERSHIP = ["member_edit", "member_remove"]
WITH_REFERENCE = ["reference_edit", "reference_delete", "reference_move"]


@pytest.fixture
def world():
    a = AdminMembershipFactory()
    b_admin = AdminMembershipFactory(collective__is_published=False)
    b_member = MembershipFactory(collective=b_admin.collective)
    b_reference = ReferenceFactory(collective=b_admin.collective)
    return a, b_admin.collective, b_member, b_reference


def urls_for(slug, membership, reference):
    urls = [reverse(f"collectives:{name}", args=[slug]) for name in SLUG_ONLY]
    urls += [reverse(f"collectives:{name}", args=[slug, membership.pk]) for name in WITH_MEMBERSHIP]
    urls += [reverse(f"collectives:{name}", args=[slug, reference.pk]) for name in WITH_REFERENCE]
    return urls


def state():
    return (
        sorted(Collective.objects.values_list("pk", "slug", "name", "is_published")),
        sorted(Membership.objects.values_list("pk", "role", "title")),
        sorted(Reference.objects.values_list("pk", "title", "position")),
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_member_of_a_gets_404_on_every_page_and_object_of_b(client, world, method):
    a, b, b_member, b_reference = world
    client.force_login(a.user)
    before = state()
    urls = (
        urls_for(b.slug, b_member, b_reference)
        + [
            # B's objects smuggled under A's address.
            reverse(f"collectives:{name}", args=[a.collective.slug, b_member.pk])
            for name in WITH_MEMBERSHIP
        ]
        + [
            reverse(f"collectives:{name}", args=[a.collective.slug, b_reference.pk])
            for name in WITH_REFERENCE
        ]
    )

    statuses = {
        url: getattr(client, method)(url, {"direction": "up", "title": "x"}).status_code for url in urls
    }

    assert set(statuses.values()) == {404}, statuses
    assert state() == before


def test_anonymous_visitors_are_sent_to_log_in(client, world):
    _, b, b_member, b_reference = world
    before = state()
    login = reverse("account_login")

    for method in ("get", "post"):
        for url in urls_for(b.slug, b_member, b_reference) + [
            reverse("collectives:home"),
            reverse("collectives:create"),
        ]:
            response = getattr(client, method)(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith(f"{login}?next="), url
    assert state() == before


def test_the_personal_dashboard_lists_only_the_users_own_collectives(client, world):
    a, b, _, _ = world
    client.force_login(a.user)

    response = client.get(reverse("collectives:home"))

    assert [m.collective for m in response.context["memberships"]] == [a.collective]
    assert b.name not in response.content.decode()
