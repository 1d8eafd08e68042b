"""Portal isolation: a contact sees their own client's missions and nothing else.

Every page behind a portal session is walked: a contact of client X gets a 404 for anything of client Y
(same collective or another one) and for draft missions; visitors without a portal session, members
included, are sent to the portal's sign-in page; a portal session opens no member page.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cordee.communication.models import DeliveryCall, Recap
from cordee.core.models import OutboundEmail
from cordee.missions.models import ClientRequest, Mission
from cordee.missions.tests.factories import ClientContactFactory, DeliverableFactory, MissionFactory
from cordee.portal.tests.conftest import sign_in
from cordee.portal.tests.factories import DeliveryCallFactory, RecapFactory

pytestmark = pytest.mark.django_db

# URL parameter of a portal page → how to pick the object of the world.
PORTAL_PARAMETERS = {"mission_pk": "mission", "call_pk": "call"}


def walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def portal_pages():
    """(name, parameter names) of every page behind a portal session.

    The billing pages of the portal (quotes, activity reports) belong to the billing app, above the portal:
    cordee/billing/tests/test_portal_isolation.py walks them the same way.
    """
    return [
        (name, list(pattern.pattern.converters))
        for name, pattern in walk(get_resolver().url_patterns)
        if getattr(pattern.callback, "portal_scoped", False) and not name.startswith("billing_portal:")
    ]


def urls_for(objects: dict) -> list[tuple[str, str]]:
    urls = []
    for name, parameters in portal_pages():
        kwargs = {parameter: objects[PORTAL_PARAMETERS[parameter]].pk for parameter in parameters}
        urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


@pytest.fixture
def foreign(world):
    """What contact X must never reach: client Y's things, X's own draft mission, another collective's."""
    other_collective_mission = MissionFactory(title="OTHER-COLLECTIVE-MISSION")
    draft_call = DeliveryCallFactory(deliverable=DeliverableFactory(mission=world.draft_mission_x))
    RecapFactory(mission=world.draft_mission_x, subject="DRAFT-MISSION-RECAP")
    cancelled = DeliveryCall.objects.get(mission=world.mission_x, cancelled_at__isnull=False)
    return [
        {"mission": world.mission_y, "call": world.call_y},
        {"mission": world.draft_mission_x, "call": draft_call},
        {
            "mission": other_collective_mission,
            "call": DeliveryCallFactory(deliverable=DeliverableFactory(mission=other_collective_mission)),
        },
        {"mission": world.mission_y, "call": cancelled},
    ]


def test_every_portal_page_is_walked():
    pages = dict(portal_pages())
    assert {
        "portal:home",
        "portal:mission",
        "portal:recaps",
        "portal:videos",
        "portal:requests",
        "portal:call_ics",
        "portal:language",
    } <= set(pages)
    unknown = {parameter for parameters in pages.values() for parameter in parameters} - set(
        PORTAL_PARAMETERS
    )
    assert unknown == set()


def test_every_portal_url_is_public_by_design_collective_scoped_or_behind_a_portal_session():
    unchecked = [
        name
        for name, pattern in walk(get_resolver().url_patterns)
        if name.startswith("portal:")
        and not getattr(pattern.callback, "portal_scoped", False)
        and not getattr(pattern.callback, "collective_scoped", False)
        and name not in {"portal:login", "portal:magic", "portal:logout", "portal:mission_feed"}
    ]
    assert unchecked == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_contact_of_x_gets_404_on_everything_of_y_drafts_and_other_collectives(
    client, world, foreign, method
):
    sign_in(client, world.contact_x)
    counts_before = (ClientRequest.objects.count(), OutboundEmail.objects.count(), Recap.objects.count())
    failures = []
    for objects in foreign:
        for name, url in urls_for(objects):
            if not any(parameter in url for parameter in ("missions/", "calls/")):
                continue  # pages without an object (home, language)
            response = getattr(client, method)(url, {"title": "Intrusion", "body": "Should not land"})
            if response.status_code != 404:
                failures.append(f"{method.upper()} {url} ({name}) → {response.status_code}")
    assert failures == []
    assert (
        ClientRequest.objects.count(),
        OutboundEmail.objects.count(),
        Recap.objects.count(),
    ) == counts_before
    assert not ClientRequest.objects.filter(title="Intrusion").exists()


def test_the_same_pages_open_for_the_contact_of_y(client, world):
    """The 404s above are about who asks, not about broken pages."""
    sign_in(client, world.contact_y)
    failures = []
    for name, url in urls_for({"mission": world.mission_y, "call": world.call_y}):
        response = client.get(url)
        expected = 405 if name == "portal:language" else 200
        if response.status_code != expected:
            failures.append(f"{url} ({name}) → {response.status_code}")
    assert failures == []


def test_visitors_without_a_portal_session_are_sent_to_the_portal_sign_in(client, world):
    failures = []
    for name, url in urls_for({"mission": world.mission_x, "call": world.call}):
        response = client.get(url)
        if response.status_code != 302 or response["Location"] != reverse("portal:login"):
            failures.append(f"{url} ({name}) → {response.status_code}")
    assert failures == []


def test_a_member_login_gives_no_portal_access(client, world):
    client.force_login(world.mission_x.lead)
    failures = []
    for name, url in urls_for({"mission": world.mission_x, "call": world.call}):
        response = client.get(url)
        if response.status_code != 302 or response["Location"] != reverse("portal:login"):
            failures.append(f"{url} ({name}) → {response.status_code}")
    assert failures == []


def test_a_portal_session_gives_no_member_access(client, world):
    sign_in(client, world.contact_x)
    slug = world.mission_x.collective.slug
    member_pages = [
        reverse("collectives:home"),
        reverse("collectives:dashboard", args=[slug]),
        reverse("missions:detail", kwargs={"slug": slug, "mission_pk": world.mission_x.pk}),
        reverse("missions:inbox", kwargs={"slug": slug, "mission_pk": world.mission_x.pk}),
        reverse("clients:detail", kwargs={"slug": slug, "client_pk": world.client_x.pk}),
    ]

    responses = [client.get(url) for url in member_pages]

    assert [response.status_code for response in responses] == [302] * len(member_pages)
    assert all(response["Location"].startswith(reverse("account_login")) for response in responses)


def test_the_home_page_lists_only_the_client_s_visible_missions(client, world, foreign):
    sign_in(client, world.contact_x)

    content = client.get(reverse("portal:home")).content.decode()

    assert "Refonte boutique" in content
    for hidden in ("OTHER-CLIENT-MISSION", "DRAFT-MISSION", "OTHER-COLLECTIVE-MISSION"):
        assert hidden not in content


def test_a_mission_page_shows_nothing_of_another_client(client, world, foreign):
    sign_in(client, world.contact_x)

    content = client.get(reverse("portal:mission", args=[world.mission_x.pk])).content.decode()

    for hidden in ("OTHER-CLIENT", "OTHER-RECAP", "OTHER-REQUEST", "OTHER-DELIVERABLE", "DRAFT-MISSION"):
        assert hidden not in content


def test_a_contact_of_the_same_client_sees_the_same_missions(client, world):
    colleague = ClientContactFactory(client=world.client_x, language="en")
    sign_in(client, colleague)

    response = client.get(reverse("portal:mission", args=[world.mission_x.pk]))

    assert response.status_code == 200
    assert "Refonte boutique" in response.content.decode()


@pytest.mark.parametrize("status", [Mission.Status.PAUSED, Mission.Status.DELIVERED, Mission.Status.CLOSED])
def test_missions_past_the_draft_stay_visible(client, world, status):
    Mission.objects.filter(pk=world.mission_x.pk).update(status=status)
    sign_in(client, world.contact_x)

    assert client.get(reverse("portal:mission", args=[world.mission_x.pk])).status_code == 200
