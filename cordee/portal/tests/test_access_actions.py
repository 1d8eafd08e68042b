"""Members give a contact access to the portal, or take it back, from the client's page."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.portal.models import PortalAccess
from cordee.portal.services import portal_access_send
from cordee.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def mission():
    mission = MissionFactory()
    mission.lead.full_name = "Claire Martin"
    mission.lead.save()
    return mission


@pytest.fixture
def contact(mission):
    return ClientContactFactory(
        client=mission.client, full_name="Paul Durand", email="paul@lenoir.fr", language="en"
    )


@pytest.fixture
def member(mission):
    """A plain member who leads another mission (a draft) of the same client: they may give access."""
    user = MembershipFactory(collective=mission.collective, user__full_name="Nadia Benali").user
    MissionFactory(collective=mission.collective, client=mission.client, lead=user, status="draft")
    return user


@pytest.fixture
def plain_member(mission):
    return MembershipFactory(collective=mission.collective).user


def send_url(contact, slug=None) -> str:
    return reverse(
        "portal:access_send", kwargs={"slug": slug or contact.collective.slug, "contact_pk": contact.pk}
    )


def revoke_url(contact, slug=None) -> str:
    return reverse(
        "portal:access_revoke", kwargs={"slug": slug or contact.collective.slug, "contact_pk": contact.pk}
    )


def detail_url(contact) -> str:
    return reverse("clients:detail", kwargs={"slug": contact.collective.slug, "client_pk": contact.client_id})


def test_the_client_page_offers_to_send_the_access(client, contact, member):
    client.force_login(member)

    content = client.get(detail_url(contact), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'action="{send_url(contact)}"' in content
    assert "Send portal access" in content
    assert "Portal: no access sent yet" in content
    assert revoke_url(contact) not in content


def test_a_member_sends_the_access_by_email(client, contact, member, mission):
    client.force_login(member)

    response = client.post(send_url(contact), HTTP_ACCEPT_LANGUAGE="en", follow=True)

    access = PortalAccess.objects.get()
    email = OutboundEmail.objects.get()
    assert response.redirect_chain == [(detail_url(contact), 302)]
    content = response.content.decode()
    assert "A sign-in link to the client portal was emailed to Paul Durand (paul@lenoir.fr)" in content
    assert (access.contact, access.created_by) == (contact, member)
    assert (email.to_email, email.language, email.reply_to) == ("paul@lenoir.fr", "en", mission.lead.email)
    assert f"{member.display_name} gives you access to your client portal" in email.body_text
    assert email.subject == f"Your client portal with {mission.collective.name}"
    assert "Portal: link sent on" in content
    assert "not signed in yet" in content
    assert f'action="{revoke_url(contact)}"' in content


def test_the_email_goes_in_the_contact_language(client, contact, member):
    contact.language = "fr"
    contact.save()
    client.force_login(member)

    client.post(send_url(contact))

    email = OutboundEmail.objects.get()
    assert email.language == "fr"


def test_a_member_revokes_the_access_and_the_contact_session_ends(client, contact, member):
    portal = client.__class__()
    sign_in(portal, contact)
    client.force_login(member)

    response = client.post(revoke_url(contact), HTTP_ACCEPT_LANGUAGE="en", follow=True)

    content = response.content.decode()
    assert response.redirect_chain == [(detail_url(contact), 302)]
    assert "Paul Durand no longer has access to the client portal" in content
    assert "Portal access revoked on" in content
    assert PortalAccess.objects.filter(revoked_at__isnull=True).count() == 0
    assert portal.get(reverse("portal:home")).status_code == 302


def test_sending_again_gives_the_access_back(client, contact, member):
    sign_in(client.__class__(), contact)
    client.force_login(member)
    client.post(revoke_url(contact))

    client.post(send_url(contact))
    link_page = client.__class__()
    access = PortalAccess.objects.order_by("-pk").first()

    assert access.revoked_at is None
    assert link_page.post("/portal/", {"email": "paul@lenoir.fr"}).status_code == 302
    assert (
        PortalAccess.objects.filter(contact=contact).count() == 3
    )  # the revoked one, the sent one, the asked one


@pytest.mark.parametrize("url", [send_url, revoke_url])
def test_a_get_changes_nothing(client, contact, member, url):
    client.force_login(member)

    response = client.get(url(contact))

    assert response.status_code == 405
    assert PortalAccess.objects.count() == 0


@pytest.mark.parametrize("url", [send_url, revoke_url])
def test_a_member_of_another_collective_gets_a_404(client, contact, url):
    outsider = AdminMembershipFactory()
    client.force_login(outsider.user)

    under_their_slug = client.post(url(contact, slug=outsider.collective.slug))
    under_the_real_slug = client.post(url(contact))

    assert (under_their_slug.status_code, under_the_real_slug.status_code) == (404, 404)
    assert PortalAccess.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


@pytest.mark.parametrize("url", [send_url, revoke_url])
def test_visitors_are_sent_to_log_in(client, contact, url):
    response = client.post(url(contact))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert PortalAccess.objects.count() == 0


def test_a_portal_session_cannot_send_access(client, contact):
    sign_in(client, contact)
    count_before = PortalAccess.objects.count()

    response = client.post(send_url(contact))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert PortalAccess.objects.count() == count_before


def test_the_service_refuses_someone_outside_the_collective(contact):
    with pytest.raises(PermissionDenied):
        portal_access_send(contact=contact, by=UserFactory())

    assert PortalAccess.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_the_client_page_query_count_does_not_grow_with_contacts(
    client, contact, member, django_assert_num_queries
):
    client.force_login(member)
    counts = []
    for extra in (1, 8):
        for _ in range(extra):
            other = ClientContactFactory(client=contact.client)
            portal_access_send(contact=other, by=member)
        client.get(detail_url(contact))
        # 7: the page also asks whether the viewer leads one of the client's missions (remove, portal access).
        with django_assert_num_queries(7) as captured:
            client.get(detail_url(contact))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_an_operator_revokes_access_from_the_admin(client, contact, django_user_model):
    portal = client.__class__()
    sign_in(portal, contact)
    operator = django_user_model.objects.create_superuser(email="ops@cordee.example", password="x")
    client.force_login(operator)

    response = client.post(
        reverse("admin:portal_portalaccess_changelist"),
        {"action": "revoke_contacts", "_selected_action": [PortalAccess.objects.get().pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    assert "The portal access of 1 contact was revoked." in response.content.decode()
    assert PortalAccess.objects.get().revoked_at is not None
    assert portal.get(reverse("portal:home")).status_code == 302


def test_the_sign_in_email_can_be_previewed_without_creating_a_link(client, contact, mission):
    client.force_login(mission.lead)
    url = reverse("communication:preview", kwargs={"slug": mission.collective.slug, "mission_pk": mission.pk})

    response = client.get(url, {"email": "portal_access", "contact": contact.pk, "language": "en"})

    content = response.content.decode()
    assert response.status_code == 200
    assert f"Your client portal with {mission.collective.name}" in content
    assert f"{mission.lead.display_name} gives you access to your client portal" in content
    assert PortalAccess.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_member_who_leads_none_of_the_clients_missions_gets_no_buttons_and_a_403(
    client, contact, plain_member
):
    client.force_login(plain_member)

    content = client.get(detail_url(contact), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    sent = client.post(send_url(contact))
    revoked = client.post(revoke_url(contact))

    assert send_url(contact) not in content
    assert (sent.status_code, revoked.status_code) == (403, 403)
    assert not PortalAccess.objects.exists()
    assert not OutboundEmail.objects.exists()
