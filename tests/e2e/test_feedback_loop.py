"""Journey D in real Chromium: the day-14 survey, the client's frank answer, the follow-up call request,
the improvement plan sent back, and the collective's analytics."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.feedback.models import FollowUpCall, ImprovementPlan, SurveyResponse
from cordee.feedback.services.surveys import surveys_tick
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

from .conftest import PHONE, new_page
from .helpers import on_live_server

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def test_the_feedback_loop_from_the_day_14_survey_to_the_improvement_plan(
    live_server, browser, page, journey
):
    base = live_server.url
    paris = ZoneInfo("Europe/Paris")
    today = timezone.localdate(timezone=paris)
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    mission = MissionFactory(
        collective=lead.collective,
        lead=lead.user,
        status=Mission.Status.ACTIVE,
        title="Refonte de la boutique",
        client__name="Maison Lenoir",
        start_date=today - timedelta(days=14),
    )
    contact = ClientContactFactory(
        client=mission.client,
        full_name="Paul Lenoir",
        email="paul@maison-lenoir.fr",
        role="sponsor",
        language="fr",
    )

    # 1. Day 14: the tick sends the survey from the generic feedback address.
    surveys_tick(now=datetime.combine(today, time(10, 0), tzinfo=paris))
    survey_email = OutboundEmail.objects.get(to_email=contact.email, idempotency_key__startswith="survey:")
    assert "feedback" in survey_email.from_email
    assert survey_email.reply_to != "claire@atelier.fr"
    link = re.search(r"https?://\S*/s/[^/\s]+/", survey_email.body_text).group(0)

    # 2. The client answers on a phone; 7 is not offered.
    client_page = new_page(browser, PHONE)
    client_page.goto(on_live_server(link, base))
    offered = sorted(
        int(value)
        for value in client_page.locator("input[name=score]").evaluate_all(
            "inputs => inputs.map(input => input.value)"
        )
    )
    assert offered == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]
    assert (
        client_page.locator("#score-no-seven").inner_text()
        == "Pas de 7\u00a0: dites-nous de quel côté vous penchez."
    )
    # Sent empty: the errors are listed, and the page stays accessible; the desktop shows the questions whole.
    client_page.click("main form [type=submit]")
    assert (
        client_page.locator("#score-errors li").inner_text()
        == "Choisissez une note\u00a0: de 0 à 6, ou de 8 à 10."
    )
    journey.snap(client_page, "survey-errors-phone")
    desktop = new_page(browser)
    desktop.goto(on_live_server(link, base))
    legend = desktop.locator(".survey__question legend").first.bounding_box()
    card = desktop.locator(".survey__question").first.bounding_box()
    assert legend["y"] >= card["y"] and legend["y"] + legend["height"] <= card["y"] + card["height"]
    journey.snap(desktop, "survey-page-desktop")
    desktop.context.close()
    client_page.fill("[name=appreciated_1]", "La réactivité de Claire")
    client_page.fill("[name=improvement_1]", "Des comptes rendus plus courts")
    client_page.check("input[name=score][value='6']")
    client_page.check("input[name=ranking][value=top25]")
    journey.snap(client_page, "survey-page-phone")
    client_page.click("main form [type=submit]")
    client_page.wait_for_url(re.compile(r"/thanks/$"))
    journey.snap(client_page, "survey-thanks-phone")
    client_page.context.close()
    response = SurveyResponse.objects.get(contact=contact)
    assert (response.score, response.ranking) == (6, "top25")

    # 3. Under 8 and outside the top 10 %: the lead asks for a 30-minute call and has a task for it.
    follow_up = FollowUpCall.objects.get(response=response)
    request = OutboundEmail.objects.get(idempotency_key=f"follow_up:{follow_up.pk}:request")
    assert request.to_email == contact.email and request.reply_to == "claire@atelier.fr"
    assert follow_up.task is not None and follow_up.task.assignee == lead.user

    # 4. The lead writes an improvement plan and sends it to the client.
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", "claire@atelier.fr")
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.goto(f"{base}/collectives/atelier/missions/{mission.pk}/feedback/responses/")
    page.click("main a[href*='/feedback/plans/new/']")
    page.fill("[name=initiatives-0-what]", "Un compte rendu en cinq lignes chaque vendredi")
    page.select_option("[name=initiatives-0-improvement_point]", index=1)
    page.select_option("[name=initiatives-0-owner]", str(lead.user.pk))
    page.fill("[name=initiatives-0-due_date]", (today + timedelta(days=7)).isoformat())
    page.fill("[name=message]", "Merci pour votre franchise : voici ce que nous changeons.")
    journey.snap(page, "improvement-plan")
    page.click("main [type=submit][value=send]")
    page.wait_for_selector(".message")
    plan = ImprovementPlan.objects.get(mission=mission)
    assert plan.sent_at is not None
    assert OutboundEmail.objects.filter(
        idempotency_key=f"plan:{plan.pk}:{contact.pk}", to_email=contact.email
    ).exists()

    # 5. The collective sees the mission needing attention, and the NPS trend.
    page.goto(base + "/collectives/atelier/")
    assert page.locator("main", has_text="Refonte de la boutique").count() >= 1
    journey.snap(page, "dashboard-needing-attention")
    page.goto(base + "/collectives/atelier/feedback/")
    # One answered round: the figures stand alone, a sentence says when the trend appears.
    assert page.locator("main svg[role=img]").count() == 0
    assert "la tendance apparaît dès que 3 en ont" in page.inner_text("main .chart-fallback")
    assert "Refonte de la boutique" in page.locator("main").inner_text()
    journey.snap(page, "analytics")
