"""Journey C in real Chromium: kickoff, a recap drafted, edited and sent, a delivery call invitation,
then the client's side through the magic link of the portal, and back to the lead's inbox."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cordee.communication.models import DeliveryCall, Recap
from cordee.core.business_days import add_business_days
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.models import ClientRequest, Mission
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)

from .conftest import PHONE, new_page
from .helpers import on_live_server

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def link_in(email: OutboundEmail, path_fragment: str) -> str:
    match = re.search(rf"https?://\S*{re.escape(path_fragment)}\S*", email.body_text)
    assert match, f"no {path_fragment} link in: {email.body_text}"
    return match.group(0).rstrip(".,)")


def test_the_client_loop_from_kickoff_to_a_request_in_the_inbox(live_server, browser, page, journey):
    base = live_server.url
    today = timezone.localdate()
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    mission = MissionFactory(
        status=Mission.Status.DRAFT,
        title="Refonte de la boutique",
        start_date=today,
        collective=lead.collective,
        lead=lead.user,
        client__name="Maison Lenoir",
        recap_weekdays=[today.weekday()],
    )
    MissionMemberFactory(mission=mission, user__full_name="Hugo Petit")
    contact = ClientContactFactory(
        client=mission.client, full_name="Paul Lenoir", email="paul@maison-lenoir.fr", language="fr"
    )
    mockups = DeliverableFactory(
        mission=mission,
        title="Maquettes",
        internal_date=add_business_days(today, 8),
        announced_date=add_business_days(today, 10),
    )
    TaskFactory(mission=mission, deliverable=mockups, title="Parcours d'achat", status="done")
    slug_mission = f"{base}/collectives/atelier/missions/{mission.pk}"

    # 1. The lead activates the mission: the kickoff email goes to the client.
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", "claire@atelier.fr")
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.goto(slug_mission + "/")
    page.click("main form[action$='/activate/'] [type=submit]")
    page.wait_for_selector(".message")
    kickoff = OutboundEmail.objects.get(to_email="paul@maison-lenoir.fr", idempotency_key__contains="kickoff")
    assert "Claire Martin" in kickoff.body_text
    assert mockups.announced_date.strftime("%Y") in kickoff.body_text
    assert mockups.internal_date.isoformat() not in kickoff.body_text
    assert kickoff.reply_to == "claire@atelier.fr"

    # 2. A recap is drafted from the mission's data, edited by the lead and sent.
    page.goto(slug_mission + "/communication/")
    journey.snap(page, "communication-page")
    page.click("main form[action$='/communication/recaps/new/'] [type=submit]")
    page.wait_for_url(re.compile(r"/communication/recaps/\d+/$"))
    recap = Recap.objects.get(mission=mission)
    assert "Maquettes" in recap.body
    page.fill(
        "[name=body]", page.input_value("[name=body]") + "\n\nMerci pour vos retours rapides sur le tunnel."
    )
    # The preview follows the text as it is typed.
    assert "Merci pour vos retours rapides sur le tunnel." in page.inner_text("[data-recap-preview]")
    journey.snap(page, "recap-editor")
    # Saving comes first; sending is a second step, confirmed, with the saved text.
    page.click("main [type=submit][value=save]")
    page.wait_for_selector(".message")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("main [type=submit][value=send]")
    page.wait_for_url(re.compile(r"/communication/$"))
    recap.refresh_from_db()
    assert recap.state == Recap.State.SENT
    assert OutboundEmail.objects.filter(to_email="paul@maison-lenoir.fr", subject=recap.subject).exists()

    # 3. A delivery call is scheduled: the invitation (.ics) is in the outbox.
    page.goto(f"{slug_mission}/deliverables/{mockups.pk}/calls/new/")
    page.fill("[name=start_date]", (mockups.announced_date - timedelta(days=1)).isoformat())
    page.fill("[name=start_time]", "14:30")
    page.fill("[name=video_link]", "https://meet.example.org/maison-lenoir")
    page.click("main [type=submit][value=send]")
    page.wait_for_selector(".message")
    call = DeliveryCall.objects.get(deliverable=mockups)
    invitation = OutboundEmail.objects.get(
        to_email="paul@maison-lenoir.fr", idempotency_key__startswith=f"call:{call.pk}:"
    )
    assert invitation.attachments[0]["mimetype"].startswith("text/calendar")

    # 4. The client opens the portal with the magic link of the kickoff email, on a phone.
    client_page = new_page(browser, PHONE)
    client_page.goto(on_live_server(link_in(kickoff, "/portal/m/"), base))
    journey.snap(client_page, "portal-magic-link-phone")
    client_page.click("main form [type=submit]")
    client_page.wait_for_url(re.compile(r"/portal/home/"))
    journey.snap(client_page, "portal-home-phone")
    client_page.click(f"main a[href$='/portal/missions/{mission.pk}/']")
    client_page.wait_for_url(re.compile(rf"/portal/missions/{mission.pk}/$"))
    roadmap = client_page.locator("main").inner_text()
    assert "Maquettes" in roadmap
    assert "Merci pour vos retours rapides sur le tunnel." in roadmap  # the recap as the lead sent it
    content = client_page.content()
    assert mockups.internal_date.isoformat() not in content
    assert "capacité" not in content and "capacity" not in content  # health reasons are internal
    journey.snap(client_page, "portal-mission-phone")

    # 5. The client sends a request from the portal.
    client_page.fill("[name=title]", "Ajouter le paiement en trois fois")
    client_page.fill("[name=body]", "Nos clients le demandent souvent.")
    client_page.click("form.portal-request-form [type=submit]")
    client_page.wait_for_selector(".message")
    journey.snap(client_page, "portal-request-sent-phone")
    request = ClientRequest.objects.get(mission=mission)
    assert (request.source, request.contact) == ("portal", contact)
    client_page.context.close()

    # 6. The lead finds it in the mission's inbox.
    page.goto(slug_mission + "/inbox/")
    assert page.locator("main", has_text="Ajouter le paiement en trois fois").count() == 1
    journey.snap(page, "inbox-with-the-portal-request")
