"""A lead removes a contact who answered a survey, in real Chromium: the contact is archived, listed apart
on the client's page, and keeps their answer; a plain member sees no remove button."""

import pytest
from django.utils import timezone

from cordee.clients.models import ClientContact
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.feedback.models import Survey, SurveyResponse
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

from .conftest import PHONE, new_page

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def log_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_a_lead_archives_a_contact_with_answers(live_server, browser, page, journey):
    base = live_server.url
    admin = AdminMembershipFactory(collective__name="Atelier Rive Gauche", collective__slug="atelier")
    lead = MembershipFactory(
        collective=admin.collective, user__email="claire@atelier.fr", user__full_name="Claire"
    )
    member = MembershipFactory(collective=admin.collective, user__email="hugo@atelier.fr")
    mission = MissionFactory(collective=admin.collective, lead=lead.user, client__name="Maison Lenoir")
    ClientContactFactory(client=mission.client, full_name="Inès Roux", email="ines@maison-lenoir.fr")
    paul = ClientContactFactory(client=mission.client, full_name="Paul Lenoir", email="paul@maison-lenoir.fr")
    survey = Survey.objects.create(
        collective=admin.collective, mission=mission, due_date=timezone.localdate(), sent_at=timezone.now()
    )
    SurveyResponse.objects.create(
        collective=admin.collective, survey=survey, contact=paul, score=8, ranking="top25"
    )
    client_url = f"{base}/collectives/atelier/clients/{mission.client_id}/"

    log_in(page, base, "claire@atelier.fr")
    page.goto(client_url)
    journey.snap(page, "client page with two contacts")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click(f"main form[action$='/contacts/{paul.pk}/delete/'] [type=submit]")
    page.wait_for_selector("text=Contacts archivés")
    journey.snap(page, "paul archived, listed apart")

    paul.refresh_from_db()
    assert paul.archived_at is not None
    assert SurveyResponse.objects.filter(contact=paul).count() == 1
    assert page.locator(f"form[action$='/contacts/{paul.pk}/delete/']").count() == 0

    phone = new_page(browser, PHONE)
    log_in(phone, base, member.user.email)
    phone.goto(client_url)
    journey.snap(phone, "a plain member sees no remove button (phone)")
    assert phone.locator("form[action$='/delete/']").count() == 0
    assert phone.locator("form[action$='/remove/']").count() == 0
    assert ClientContact.objects.filter(archived_at__isnull=True).count() == 1
    phone.context.close()
