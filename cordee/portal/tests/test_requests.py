"""Requests and feedback sent from the portal: into the mission's inbox, the lead told by email, the status
shown back to the client."""

import pytest
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.missions.models import ClientRequest, MissionEvent
from cordee.missions.services.requests import client_request_decline, client_request_plan
from cordee.portal.services import portal_request_send
from cordee.portal.tests.conftest import sign_in
from cordee.portal.views import REQUESTS_PER_CONTACT_PER_HOUR

pytestmark = pytest.mark.django_db


def requests_url(mission) -> str:
    return reverse("portal:requests", args=[mission.pk])


@pytest.fixture
def signed_in(client, world):
    sign_in(client, world.contact_x)
    return client


def test_a_request_lands_in_the_mission_inbox_and_the_lead_is_told(signed_in, world):
    mission = world.mission_x
    lead = mission.lead
    lead.language = "en"
    lead.save()

    response = signed_in.post(
        requests_url(mission),
        {"title": "  Ajouter   un bouton PDF ", "body": "Pour imprimer les devis.\n"},
        follow=True,
    )

    created = ClientRequest.objects.get(title="Ajouter un bouton PDF")
    assert (created.mission, created.contact, created.source, created.status, created.body) == (
        mission,
        world.contact_x,
        ClientRequest.Source.PORTAL,
        ClientRequest.Status.NEW,
        "Pour imprimer les devis.",
    )
    assert created.recorded_by is None
    assert response.redirect_chain == [(requests_url(mission), 302)]
    content = response.content.decode()
    assert f"Your request was sent to {lead.display_name}." in content
    assert "Ajouter un bouton PDF" in content
    email = OutboundEmail.objects.get(idempotency_key=f"portal:request:{created.pk}:lead")
    assert (email.to_email, email.reply_to, email.language) == (lead.email, world.contact_x.email, "en")
    assert email.from_email == mission.collective.notification_sender()
    assert "Paul Durand (Maison Lenoir) sent a request from the client portal" in email.body_text
    assert "Pour imprimer les devis." in email.body_text
    triage_url = reverse(
        "missions:request_triage",
        kwargs={"slug": mission.collective.slug, "mission_pk": mission.pk, "request_pk": created.pk},
    )
    assert triage_url in email.body_text
    event = MissionEvent.objects.get(mission=mission, kind=MissionEvent.Kind.REQUEST_RECEIVED)
    assert (event.data["source"], event.data["contact"]) == ("portal", world.contact_x.pk)


def test_the_lead_sees_it_in_the_inbox(signed_in, client, world):
    signed_in.post(requests_url(world.mission_x), {"title": "Ajouter un bouton PDF"})
    client.force_login(world.mission_x.lead)

    inbox = client.get(
        reverse(
            "missions:inbox",
            kwargs={"slug": world.mission_x.collective.slug, "mission_pk": world.mission_x.pk},
        )
    )

    assert "Ajouter un bouton PDF" in inbox.content.decode()


def test_the_form_on_the_mission_page_posts_to_the_requests(signed_in, world):
    content = signed_in.get(reverse("portal:mission", args=[world.mission_x.pk])).content.decode()

    assert f'action="{requests_url(world.mission_x)}"' in content
    assert '<label for="id_title">Summary:</label>' in content
    assert '<label for="id_body">Details:</label>' in content


def test_a_request_without_summary_is_refused_with_the_details_kept(signed_in, world):
    count_before = (ClientRequest.objects.count(), OutboundEmail.objects.count())

    response = signed_in.post(requests_url(world.mission_x), {"title": "   ", "body": "Le détail tapé"})

    content = response.content.decode()
    assert response.status_code == 200
    assert '<ul class="errorlist" id="id_title_errors"><li>This field is required.</li></ul>' in content
    assert "Le détail tapé" in content
    assert (ClientRequest.objects.count(), OutboundEmail.objects.count()) == count_before


def test_requests_are_limited_per_hour(signed_in, world):
    for number in range(REQUESTS_PER_CONTACT_PER_HOUR):
        signed_in.post(requests_url(world.mission_x), {"title": f"Demande {number}"})
    count_before = ClientRequest.objects.count()

    response = signed_in.post(requests_url(world.mission_x), {"title": "Une de trop", "body": "Gardé"})

    content = response.content.decode()
    assert response.status_code == 429
    assert "You sent many requests in the last hour." in content
    assert 'value="Une de trop"' in content
    assert "Gardé" in content
    assert ClientRequest.objects.count() == count_before


def test_the_status_of_each_request_is_shown(signed_in, world):
    lead = world.mission_x.lead
    planned = portal_request_send(contact=world.contact_x, mission=world.mission_x, title="Planifiée")
    declined = portal_request_send(contact=world.contact_x, mission=world.mission_x, title="Refusée")
    done = portal_request_send(contact=world.contact_x, mission=world.mission_x, title="Terminée")
    client_request_plan(client_request=planned, tasks=[{"title": "Faire la chose"}], by=lead)
    client_request_decline(client_request=declined, reason="Hors du périmètre signé.", by=lead)
    ClientRequest.objects.filter(pk=done.pk).update(status=ClientRequest.Status.DONE)

    content = signed_in.get(requests_url(world.mission_x)).content.decode()

    assert "Planned: it was turned into tasks for the team." in content
    assert "Why it was declined:</strong> Hors du périmètre signé." in content
    assert "Done: the team finished the work it asked for." in content
    assert "Received: your contact will turn it into tasks for the team" in content
    assert "Faire la chose" not in content  # the tasks themselves stay inside


def test_requests_noted_by_the_lead_show_without_their_internal_details(signed_in, world):
    content = signed_in.get(requests_url(world.mission_x)).content.decode()

    assert "Logo plus grand" in content
    assert "Noted by your contact on" in content
    assert "INTERNAL-LEAD-NOTE" not in content
    assert "Le vert est trop clair." in content


def test_requests_paginate(signed_in, world):
    for number in range(26):
        portal_request_send(contact=world.contact_x, mission=world.mission_x, title=f"Demande {number}")

    second = signed_in.get(requests_url(world.mission_x), {"page": 2})

    assert len(second.context["page_obj"].object_list) == 3  # 26 + the 2 of the fixture - 25
    assert "Page 2 of 2" in second.content.decode()
