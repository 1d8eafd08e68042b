"""Journey F in real Chromium: the lead splits a delivered milestone between the members from the time each
logged (their own project management included), previews the shares in place, proposes the split; Léa opens
the approval email's link on her phone and approves; the split binds and the billing page says so."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cordee.billing.models import BillingPlan, RevenueSplit
from cordee.billing.services.plans import PlanInput, plan_save
from cordee.billing.tests.conftest import make_ready
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Deliverable, MissionMember
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory, TimeEntryFactory

from .conftest import PHONE, new_page
from .helpers import on_live_server

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def test_revenue_split(live_server, browser, page, journey):
    base = live_server.url
    today = timezone.localdate()
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    make_ready(lead.user)
    lea = MembershipFactory(
        collective=lead.collective,
        user__email="lea@atelier.fr",
        user__full_name="Léa Petit",
        user__language="fr",
    ).user
    make_ready(lea, full_name="Léa Petit")
    mission = MissionFactory(
        title="Refonte de la boutique",
        collective=lead.collective,
        lead=lead.user,
        client__name="Maison Lenoir",
    )
    MissionMember.objects.filter(mission=mission, user=lead.user).update(day_rate=Decimal("600"))
    MissionMember.objects.create(
        collective=lead.collective, mission=mission, user=lea, day_rate=Decimal("450")
    )
    maquettes = DeliverableFactory(
        mission=mission, title="Maquettes", status=Deliverable.Status.DELIVERED, delivered_at=timezone.now()
    )
    plan = plan_save(
        by=lead.user,
        mission_id=mission.pk,
        plan_input=PlanInput(model="milestone", deliverable_prices=[(maquettes.pk, Decimal("10000"), None)]),
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    TimeEntryFactory(
        mission=mission,
        user=lead.user,
        date=today - timedelta(days=3),
        hours=Decimal("6"),
        activity="project_management",
    )
    TimeEntryFactory(
        mission=mission, user=lea, date=today - timedelta(days=2), hours=Decimal("12"), deliverable=maquettes
    )
    billing = f"{base}/collectives/atelier/missions/{mission.pk}/billing/"

    # 1. The lead opens the milestone to split from the billing page.
    sign_in(page, base, "claire@atelier.fr")
    page.goto(billing)
    assert "Répartition des revenus" in page.locator("main").inner_text()
    page.click("main a:has-text('Maquettes')")
    page.wait_for_url(re.compile(r"/billing/splits/deliverables/\d+/$"))
    journey.snap(page, "split-to-propose")

    # 2. Time × rate (the first method) with 5 % for the common fund: the preview comes in place.
    page.fill("[name=common_fund_percent]", "5")
    page.click("button[value=preview]")
    page.wait_for_selector("#split-preview table")
    preview = page.locator("#split-preview").inner_text().replace("\u202f", " ").replace("\xa0", " ")
    assert "500,00 €" in preview and "3 800,00 €" in preview and "5 700,00 €" in preview
    assert page.url.endswith(f"/splits/deliverables/{maquettes.pk}/")
    assert not RevenueSplit.objects.exists()
    journey.snap(page, "split-preview")

    # 3. Proposed: the lead's own share counts as approved, Léa is asked by email.
    page.click("button[value=propose]")
    page.wait_for_selector(".message--success")
    split = RevenueSplit.objects.get()
    assert split.status == "proposed"
    journey.snap(page, "split-proposed")
    email = OutboundEmail.objects.get(to_email="lea@atelier.fr", idempotency_key__startswith="billing:split:")
    link = re.search(r"https?://\S*/billing/splits/deliverables/\d+/", email.body_text).group(0)

    # 4. Léa approves on her phone.
    phone = new_page(browser, PHONE)
    sign_in(phone, base, "lea@atelier.fr")
    phone.goto(on_live_server(link, base))
    assert "Votre part : 5\u202f700,00\xa0€." in phone.locator(
        "main"
    ).inner_text() or "5 700,00" in phone.locator("main").inner_text().replace("\u202f", " ").replace(
        "\xa0", " "
    )
    # Every share's amount and approval is in view on the phone, without scrolling sideways.
    for cell in phone.locator(".split-shares tbody td.num").all():
        box = cell.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"], cell.inner_text()
    assert phone.locator(".split-shares__decision .badge").first.is_visible()
    journey.snap(phone, "split-approval-phone")
    phone.click("button[value=approve]")
    phone.wait_for_selector(".message--success")
    split.refresh_from_db()
    assert split.status == "approved"
    journey.snap(phone, "split-approved-phone")
    phone.context.close()

    # 5. The billing page shows the split as approved.
    page.goto(billing)
    assert "Validée" in page.locator("#splits-title + p + ul").inner_text()
