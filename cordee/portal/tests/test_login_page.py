"""The portal's sign-in page: a new link by email, without telling which addresses are known, rate limited."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.portal.models import PortalAccess
from cordee.portal.services import portal_access_revoke_by_operator
from cordee.portal.tests.conftest import sign_in
from cordee.portal.views import LINKS_PER_EMAIL_PER_HOUR, LINKS_PER_IP_PER_HOUR

pytestmark = pytest.mark.django_db

LOGIN = "/portal/"
CONFIRMATION = "is the address of a client contact, a sign-in link is on its way."


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.fixture
def contact():
    mission = MissionFactory()
    return ClientContactFactory(
        client=mission.client, email="paul@lenoir.fr", full_name="Paul Durand", language="en"
    )


def test_the_page_explains_and_asks_for_the_email(client):
    response = client.get(LOGIN)

    content = response.content.decode()
    assert reverse("portal:login") == LOGIN
    assert response.status_code == 200
    assert "Sign in to your client portal" in content
    assert '<label for="id_email">Your email address:</label>' in content
    assert "Email me a sign-in link" in content


def test_a_known_address_gets_a_link_in_its_language(client, contact):
    with_lead = contact.client.missions.get()

    response = client.post(LOGIN, {"email": "  Paul@Lenoir.fr "}, follow=True)

    access = PortalAccess.objects.get()
    email = OutboundEmail.objects.get()
    assert response.redirect_chain == [(LOGIN, 302)]
    assert f"If paul@lenoir.fr {CONFIRMATION}" in response.content.decode()
    assert (access.contact, access.created_by) == (contact, None)
    assert email.idempotency_key == f"portal:access:{access.pk}"
    assert email.to_email == "paul@lenoir.fr"
    assert email.language == "en"
    assert email.from_email == contact.collective.notification_sender()
    assert email.reply_to == with_lead.lead.email
    assert "/portal/m/" in email.body_text
    assert "Here is the link you asked for" in email.body_text
    assert "The link works once, until" in email.body_html


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(client, contact):
    known = client.post(LOGIN, {"email": "paul@lenoir.fr"}, follow=True)
    unknown = client.post(LOGIN, {"email": "nobody@lenoir.fr"}, follow=True)

    known_text = without_csrf(known.content.decode().replace("paul@lenoir.fr", "ADDRESS"))
    unknown_text = without_csrf(unknown.content.decode().replace("nobody@lenoir.fr", "ADDRESS"))
    assert known.status_code == unknown.status_code == 200
    assert known_text == unknown_text
    assert OutboundEmail.objects.filter(to_email="nobody@lenoir.fr").count() == 0
    assert PortalAccess.objects.count() == 1


def test_a_revoked_contact_gets_no_link_and_the_same_answer(client, contact):
    sign_in(client.__class__(), contact)
    portal_access_revoke_by_operator(contact=contact)
    count_before = PortalAccess.objects.count()

    response = client.post(LOGIN, {"email": "paul@lenoir.fr"}, follow=True)

    assert f"If paul@lenoir.fr {CONFIRMATION}" in response.content.decode()
    assert PortalAccess.objects.count() == count_before
    assert OutboundEmail.objects.count() == 0


def test_one_address_at_two_clients_gets_a_link_for_each(client, contact):
    other = ClientContactFactory(client=MissionFactory().client, email="paul@lenoir.fr", language="fr")

    client.post(LOGIN, {"email": "paul@lenoir.fr"})

    assert sorted(PortalAccess.objects.values_list("contact_id", flat=True)) == sorted([contact.pk, other.pk])
    assert sorted(OutboundEmail.objects.values_list("language", flat=True)) == ["en", "fr"]


def test_an_invalid_address_is_refused_with_the_typed_value_kept(client, contact):
    response = client.post(LOGIN, {"email": "paul@"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid email address." in content
    assert 'value="paul@"' in content
    assert PortalAccess.objects.count() == 0


def test_the_links_asked_per_address_are_limited(client, contact):
    for number in range(LINKS_PER_EMAIL_PER_HOUR):
        client.post(LOGIN, {"email": "paul@lenoir.fr"}, REMOTE_ADDR=f"10.0.0.{number}")

    response = client.post(LOGIN, {"email": "paul@lenoir.fr"}, REMOTE_ADDR="10.0.1.1")

    content = response.content.decode()
    assert response.status_code == 429
    assert "Too many links were asked for in the last hour." in content
    assert 'value="paul@lenoir.fr"' in content
    assert PortalAccess.objects.count() == LINKS_PER_EMAIL_PER_HOUR
    assert OutboundEmail.objects.count() == LINKS_PER_EMAIL_PER_HOUR


def test_the_limit_per_address_also_applies_to_unknown_addresses(client):
    """The limit answers the same whether the address is known or not: it tells nothing either."""
    for _ in range(LINKS_PER_EMAIL_PER_HOUR):
        client.post(LOGIN, {"email": "nobody@lenoir.fr"})

    response = client.post(LOGIN, {"email": "nobody@lenoir.fr"})

    assert response.status_code == 429


def test_the_links_asked_per_address_ip_are_limited(client, contact):
    for number in range(LINKS_PER_IP_PER_HOUR):
        client.post(LOGIN, {"email": f"someone{number}@example.fr"}, REMOTE_ADDR="10.9.9.9")

    response = client.post(LOGIN, {"email": "paul@lenoir.fr"}, REMOTE_ADDR="10.9.9.9")
    elsewhere = client.post(LOGIN, {"email": "paul@lenoir.fr"}, REMOTE_ADDR="10.9.9.10")

    assert response.status_code == 429
    assert "Too many links were asked for in the last hour." in response.content.decode()
    assert elsewhere.status_code == 302
    assert PortalAccess.objects.count() == 1


def test_a_signed_in_contact_goes_to_the_portal(client, contact):
    sign_in(client, contact)

    response = client.get(LOGIN)

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_the_reply_goes_to_the_lead_of_the_most_recent_active_mission(client, contact):
    older = contact.client.missions.get()
    Mission.objects.filter(pk=older.pk).update(activated_at="2026-01-05T09:00:00Z")
    newer = MissionFactory(collective=contact.collective, client=contact.client)
    Mission.objects.filter(pk=newer.pk).update(activated_at="2026-02-05T09:00:00Z")
    MissionFactory(collective=contact.collective, client=contact.client, status=Mission.Status.PAUSED)

    client.post(LOGIN, {"email": "paul@lenoir.fr"})

    assert OutboundEmail.objects.get().reply_to == newer.lead.email


def test_without_an_active_mission_there_is_no_reply_to(client, contact):
    contact.client.missions.update(status=Mission.Status.DELIVERED)

    client.post(LOGIN, {"email": "paul@lenoir.fr"})

    assert OutboundEmail.objects.get().reply_to == ""


def test_the_email_is_delivered_with_its_link(client, contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(LOGIN, {"email": "paul@lenoir.fr"})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["paul@lenoir.fr"]
    assert "/portal/m/" in message.body
