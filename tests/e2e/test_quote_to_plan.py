"""Journey E in real Chromium: the lead builds a pay-as-you-go plan with a de-risking phase and a cap and sends
its quote; the client accepts it on a phone in the portal ("Bon pour accord"); the plan is active; after time
is logged, the activity report is sent and validated by the client; the budget chart shows the consumption."""

import hashlib
import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cordee.billing.models import ActivityReport, BillingPlan, Quote
from cordee.billing.tests.conftest import make_ready
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import time_entry_log

from .conftest import PHONE, new_page
from .helpers import on_live_server

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"


def link_in(email: OutboundEmail, path_fragment: str) -> str:
    match = re.search(rf"https?://\S*{re.escape(path_fragment)}\S*", email.body_text)
    assert match, f"no {path_fragment} link in: {email.body_text}"
    return match.group(0).rstrip(".,)")


def test_quote_to_plan(live_server, browser, page, journey):
    base = live_server.url
    today = timezone.localdate()
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    make_ready(lead.user)
    mission = MissionFactory(
        title="Refonte de la boutique",
        start_date=today - timedelta(days=30),
        collective=lead.collective,
        lead=lead.user,
        client__name="Maison Lenoir",
        client__address_line="8 rue du Bac",
        client__postal_code="75007",
        client__city="Paris",
        client__siren="552081317",
    )
    contact = ClientContactFactory(
        client=mission.client, full_name="Paul Lenoir", email="paul@maison-lenoir.fr", language="fr"
    )
    derisk_end = today - timedelta(days=20)
    billing = f"{base}/collectives/atelier/missions/{mission.pk}/billing/"

    # 1. The lead builds the plan: pay-as-you-go, a de-risking phase at a fixed price, then a cap of 20 days.
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", "claire@atelier.fr")
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.goto(f"{base}/collectives/atelier/missions/{mission.pk}/")
    page.click("nav.tabs a[href$='/billing/']")
    page.wait_for_url(billing)
    journey.snap(page, "billing-empty")
    page.click(f"main a[href='/collectives/atelier/missions/{mission.pk}/billing/plan/']")
    page.check("input[name=model][value=payg]")
    page.check("input[name=rate_mode][value=mission]")
    page.fill("[name=mission_day_rate]", "-600")
    page.fill("[name=cap_days]", "20")
    page.fill("[name=derisk_scope]", "Audit et prototype du tunnel d'achat")
    page.fill("[name=derisk_price]", "3000")
    page.fill("[name=derisk_end_date]", derisk_end.isoformat())
    page.click("main form [type=submit]")
    page.wait_for_selector(".errorlist")
    assert "Le TJM doit être supérieur à 0 €." in page.locator("main").inner_text()
    assert page.input_value("[name=derisk_scope]") == "Audit et prototype du tunnel d'achat"
    assert BillingPlan.objects.count() == 0
    journey.snap(page, "plan-refused-negative-rate")
    page.fill("[name=mission_day_rate]", "600")
    page.click("main form [type=submit]")
    page.wait_for_url(billing)
    plan = BillingPlan.objects.get()
    assert (plan.status, plan.cap_days, plan.derisk_price) == ("draft", Decimal("20"), Decimal("3000.00"))

    # 2. The quote is drafted from the plan and sent with its PDF.
    page.click("main form[action$='/billing/quotes/new/'] [type=submit]")
    page.wait_for_url(re.compile(r"/billing/quotes/\d+/$"))
    page.click("main form[action$='/send/'] [type=submit]")
    page.wait_for_selector(".message--success")
    quote = Quote.objects.get()
    assert quote.status == "sent"
    assert re.fullmatch(rf"DEV-CM-{today.year}-00001", quote.number)  # Claire Martin's series
    journey.snap(page, "quote-sent")
    email = OutboundEmail.objects.get(
        to_email="paul@maison-lenoir.fr", idempotency_key__startswith="billing:quote:"
    )
    assert email.attachments[0]["filename"] == f"devis-{quote.number}.pdf"

    # The quote's PDF as the client receives it, rendered to an image.
    assert shutil.which("pdftoppm"), "pdftoppm (Debian poppler-utils) renders the PDF"
    pdf_path = journey.folder / "quote.pdf"
    pdf_path.write_bytes(bytes(quote.pdf))
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "90",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf_path),
            str(journey.folder / "quote-pdf"),
        ],
        check=True,
    )
    assert (journey.folder / "quote-pdf-1.png").exists()

    # 3. The client opens the portal on a phone from the email and accepts: "Bon pour accord".
    phone = new_page(browser, PHONE)
    phone.goto(on_live_server(link_in(email, "/portal/m/"), base))
    phone.click("main form [type=submit]")
    phone.wait_for_url(f"{base}/portal/quotes/{quote.pk}/")
    assert quote.pdf_sha256 in phone.content()
    journey.snap(phone, "portal-quote-phone")
    phone.fill("[name=typed_name]", "Paul Lenoir")
    phone.click("form:has(input[value=accept]) [type=submit]")
    phone.wait_for_selector(".message--success")
    journey.snap(phone, "portal-quote-accepted-phone")
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_name, quote.accepted_by) == ("accepted", "Paul Lenoir", contact)
    assert quote.accepted_pdf_sha256 == hashlib.sha256(bytes(quote.pdf)).hexdigest()
    assert "Chrome" in quote.accepted_user_agent and quote.accepted_ip == "127.0.0.1"
    assert "Paul Lenoir" in phone.locator("main").inner_text()

    # 4. The plan is active.
    plan.refresh_from_db()
    assert plan.status == "active"
    page.goto(billing)
    assert "Version 1, active" in page.locator("main").inner_text()

    # 5. Time is logged after the de-risking phase; the lead drafts and sends the activity report.
    for offset in range(1, 6):
        time_entry_log(
            mission=mission, user=lead.user, date=derisk_end + timedelta(days=offset), hours=Decimal("7")
        )
    time_entry_log(mission=mission, user=lead.user, date=derisk_end - timedelta(days=2), hours=Decimal("7"))
    page.goto(billing)
    page.fill("[name=period_start]", (derisk_end + timedelta(days=1)).isoformat())
    page.fill("[name=period_end]", today.isoformat())
    page.click("main form[action$='/billing/reports/new/'] [type=submit]")
    page.wait_for_url(re.compile(r"/billing/reports/\d+/$"))
    journey.snap(page, "activity-report-draft")
    page.click("main form[action$='/send/'] [type=submit]")
    page.wait_for_selector(".message--success")
    report = ActivityReport.objects.get()
    assert (report.status, report.total_days) == ("sent", Decimal("5"))

    # 6. The client validates it in the portal: the period's time is locked.
    phone.goto(f"{base}/portal/reports/{report.pk}/")
    journey.snap(phone, "portal-activity-report-phone")
    phone.click("button[value=validate]")
    phone.wait_for_selector(".message--success")
    report.refresh_from_db()
    assert report.status == "validated"
    period = TimeEntry.objects.filter(mission=mission, date__gt=derisk_end)
    assert period.count() == 5 and all(entry.is_locked for entry in period)
    assert not TimeEntry.objects.get(mission=mission, date__lte=derisk_end).is_locked

    # 7. The budget shows the consumption: 5 days of the 20-day cap, the burn chart and its forecast.
    phone.goto(f"{base}/portal/missions/{mission.pk}/billing/")
    portal_budget = phone.locator("main").inner_text()
    assert "5 jours consommés sur un plafond de 20 jours" in portal_budget.replace("\xa0", " ")
    # The burn chart's week labels do not run into each other on a phone.
    boxes = [label.bounding_box() for label in phone.locator("svg.burn-chart text.burn-chart__label").all()]
    for left, right in zip(boxes, boxes[1:], strict=False):
        assert left["x"] + left["width"] <= right["x"], (left, right)
    chart = phone.locator("svg.burn-chart").bounding_box()
    for tick in phone.locator("svg.burn-chart .burn-chart__tick text").all():
        assert tick.bounding_box()["x"] >= chart["x"], (tick.bounding_box(), chart)
    journey.snap(phone, "portal-budget-phone")
    page.goto(billing)
    chart = page.locator("svg.burn-chart")
    assert chart.get_attribute("role") == "img"
    assert "5 jours consommés sur un plafond de 20 jours" in chart.locator("desc").text_content()
    journey.snap(page, "budget")
    phone.context.close()
