"""Journey F in real Chromium, to the client's portal: a milestone is delivered, the lead proposes its split,
Léa approves it; the lead drafts the per-member invoices, each member issues their own, the lead sends them
together in one email to the client's finance contact; the client opens them in the portal on a phone
(each member's amount and IBAN on one page); Léa cancels hers with a credit note and the portal shows it."""

import re
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from cordee.billing.models import BillingPlan, Invoice, InvoiceBatch, RevenueSplit
from cordee.billing.services.plans import PlanInput, plan_save
from cordee.billing.tests.conftest import make_ready
from cordee.clients.models import ClientContact
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Deliverable, MissionMember
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    TimeEntryFactory,
)

from .conftest import PHONE, new_page
from .helpers import link_in_email, on_live_server

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"
LEA = {
    "full_name": "Léa Petit",
    "business_name": "Léa Petit Studio",
    "siret": "55208131700018",
    "vat_regime": "registered",
    "vat_number": "FR40552081317",
    "iban": "FR7630004000031234567890143",
    "account_holder": "Léa Petit",
}


def sign_in(page, base, email):
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))


def text_of(page) -> str:
    return page.locator("main").inner_text().replace("\u202f", " ").replace("\xa0", " ")


def pdf_screenshot(journey, invoice: Invoice, name: str):
    assert shutil.which("pdftoppm"), "pdftoppm (Debian poppler-utils) renders the PDF"
    pdf_path = journey.folder / f"{name}.pdf"
    pdf_path.write_bytes(bytes(invoice.pdf))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "90", "-f", "1", "-l", "1", str(pdf_path), str(journey.folder / name)],
        check=True,
    )
    assert (journey.folder / f"{name}-1.png").exists()


def test_invoice_flow(live_server, browser, page, journey):
    base = live_server.url
    today = timezone.localdate()
    lead_membership = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    lead = make_ready(lead_membership.user)
    lea = MembershipFactory(
        collective=lead_membership.collective, user__email="lea@atelier.fr", user__language="fr"
    ).user
    make_ready(lea, **LEA)
    mission = MissionFactory(
        title="Refonte de la boutique",
        collective=lead_membership.collective,
        lead=lead,
        client__name="Maison Lenoir",
        client__siren="443061841",
        client__address_line="8 rue du Bac",
        client__postal_code="75007",
        client__city="Paris",
    )
    collective = mission.collective
    MissionMember.objects.filter(mission=mission, user=lead).update(day_rate=Decimal("600"))
    MissionMember.objects.create(collective=collective, mission=mission, user=lea, day_rate=Decimal("450"))
    ClientContactFactory(
        client=mission.client,
        full_name="Nora Petit",
        email="compta@maison-lenoir.fr",
        role=ClientContact.Role.FINANCE,
        language="fr",
    )
    maquettes = DeliverableFactory(
        mission=mission, title="Maquettes", status=Deliverable.Status.DELIVERED, delivered_at=timezone.now()
    )
    plan = plan_save(
        by=lead,
        mission_id=mission.pk,
        plan_input=PlanInput(model="milestone", deliverable_prices=[(maquettes.pk, Decimal("6000"), None)]),
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    for user, hours in ((lead, "7"), (lea, "14")):
        TimeEntryFactory(
            mission=mission,
            user=user,
            date=today - timedelta(days=2),
            hours=Decimal(hours),
            deliverable=maquettes,
        )
    billing = f"{base}/collectives/atelier/missions/{mission.pk}/billing/"

    # 1. The milestone is delivered: the lead proposes its split (time × rate), Léa approves it.
    sign_in(page, base, "claire@atelier.fr")
    page.goto(billing)
    page.click("main a:has-text('Maquettes')")
    page.wait_for_url(re.compile(r"/billing/splits/deliverables/\d+/$"))
    page.click("button[value=propose]")
    page.wait_for_selector(".message--success")
    lea_page = new_page(browser)
    sign_in(lea_page, base, "lea@atelier.fr")
    lea_page.goto(on_live_server(link_in_email("lea@atelier.fr", "/billing/splits/deliverables/"), base))
    lea_page.click("button[value=approve]")
    lea_page.wait_for_selector(".message--success")
    split = RevenueSplit.objects.get()
    assert split.status == "approved"

    # 2. The lead drafts the invoices of the milestone: one per member, none numbered yet.
    page.goto(billing)
    page.select_option("#invoice-source", value=f"deliverable:{maquettes.pk}")
    page.click("button:has-text('Préparer les factures')")
    page.wait_for_selector(".message--success")
    batch = InvoiceBatch.objects.get()
    assert [invoice.number for invoice in batch.invoices.all()] == ["", ""]
    # The burn chart's last week label ends inside the drawing instead of being cut at its edge.
    chart = page.locator("svg.burn-chart").bounding_box()
    last_label = page.locator("svg.burn-chart text.burn-chart__label").last.bounding_box()
    assert last_label["x"] + last_label["width"] <= chart["x"] + chart["width"] + 1, (last_label, chart)
    journey.snap(page, "invoices-drafted")

    # 3. Each member issues their own invoice, in their own name, series and VAT regime.
    for who, user in ((page, lead), (lea_page, lea)):
        draft = batch.invoices.get(seller__user=user)
        who.goto(f"{billing}invoices/{draft.pk}/")
        who.click("button:has-text('Émettre la facture')")
        who.wait_for_selector(".message--success")
    # The VAT breakdown prints the rate the French way ("TVA 20 % sur"), never "20.00 %".
    totals = lea_page.locator("table.quote-totals").inner_text()
    assert re.search(r"TVA 20\s%\ssur", totals, re.IGNORECASE) and "20.00" not in totals, totals
    journey.snap(lea_page, "member-invoice-issued")
    invoices = list(batch.invoices.order_by("pk"))
    # Each member's series carries their initials: the client never gets two invoices numbered alike.
    assert sorted(invoice.number for invoice in invoices) == [
        f"FAC-CM-{today.year}-00001",
        f"FAC-LP-{today.year}-00001",
    ]
    lea_invoice = batch.invoices.get(seller__user=lea)
    assert lea_invoice.total_tax == lea_invoice.total_excl_tax * Decimal("0.2")
    pdf_screenshot(journey, lea_invoice, "invoice-pdf")

    # 4. Sent together: one email to the finance contact with both PDFs.
    page.goto(billing)
    page.click("button:has-text('Envoyer ensemble au client')")
    page.wait_for_selector(".message--success")
    journey.snap(page, "invoices-sent")
    email = OutboundEmail.objects.get(to_email="compta@maison-lenoir.fr")
    assert sorted(attachment["filename"] for attachment in email.attachments) == sorted(
        f"facture-{invoice.number}.pdf" for invoice in invoices
    )

    # 5. The client opens the email's link on a phone: each member's amount due and IBAN on one page.
    phone = new_page(browser, PHONE)
    phone.goto(on_live_server(link_in_email("compta@maison-lenoir.fr", "/portal/m/"), base))
    phone.click("main form [type=submit]")
    phone.wait_for_url(f"{base}/portal/invoice-batches/{batch.pk}/")
    portal = text_of(phone)
    assert "FR76 3000 4000 0312 3456 7890 143" in portal and "FR76 3000 6000 0112 3456 7890 189" in portal
    assert "Léa Petit Studio EI" in portal and "Claire Martin Design EI" in portal
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    journey.snap(phone, "portal-invoices-phone")
    pdf = phone.context.request.get(f"{base}/portal/invoices/{lea_invoice.pk}/pdf/")
    assert (pdf.status, pdf.headers["content-type"], pdf.body()) == (
        200,
        "application/pdf",
        bytes(lea_invoice.pdf),
    )

    # 6. Léa cancels her invoice with a credit note; the portal lists it and the invoice as cancelled.
    lea_page.goto(f"{billing}invoices/{lea_invoice.pk}/")
    lea_page.fill("[name=reason]", "Maquettes refaites")
    lea_page.click('button:has-text("Émettre l\'avoir")')
    lea_page.wait_for_selector(".message--success")
    journey.snap(lea_page, "credit-note-issued")
    lea_invoice.refresh_from_db()
    credit = lea_invoice.credit_notes.get()
    assert (lea_invoice.status, credit.number) == ("cancelled", f"AV-LP-{today.year}-00001")
    phone.goto(f"{base}/portal/missions/{mission.pk}/invoices/")
    listing = text_of(phone)
    assert f"Avoir {credit.number}" in listing and "Annulée par un avoir" in listing
    journey.snap(phone, "portal-invoice-list-phone")
    lea_page.context.close()
    phone.context.close()
