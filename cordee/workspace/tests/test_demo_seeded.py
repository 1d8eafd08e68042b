from dataclasses import dataclass
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.test import Client as Client_
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from schwifty import IBAN
from stdnum.eu import vat
from stdnum.fr import siren as siren_number
from stdnum.fr import siret

from cordee.accounts.models import User
from cordee.billing.einvoice_check import pdf_check, pdf_embedded_xml, xml_check
from cordee.billing.models import (
    ActivityReport,
    BillingPlan,
    Invoice,
    InvoiceBatch,
    InvoiceReminder,
    LegalSeller,
    NumberSeries,
    Payment,
    Quote,
    RevenueSplit,
)
from cordee.billing.services.invoices import invoice_pdf_checked, invoice_xml_checked, series_gap_report
from cordee.billing.services.sellers import seller_missing
from cordee.clients.models import Client, ClientContact
from cordee.collectives.models import Collective, Membership, Reference
from cordee.collectives.queries import collective_page_state
from cordee.communication.models import DeliveryCall, Recap
from cordee.core.models import OutboundEmail
from cordee.feedback.models import Survey, SurveyResponse
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionEvent, MissionMember, Task
from cordee.opportunities.models import Opportunity, OpportunityStageChange
from cordee.timesheets.models import TimeEntry
from cordee.workspace.tests.demo import MAINTENANCE, active_mission, issued_invoices, seed

# What the seed makes, counted after each of its two runs.
COUNTED = (
    Collective,
    User,
    Opportunity,
    Client,
    ClientContact,
    Mission,
    MissionMember,
    Deliverable,
    Task,
    ClientRequest,
    TimeEntry,
    Recap,
    DeliveryCall,
    Survey,
    SurveyResponse,
    MissionEvent,
    OutboundEmail,
    LegalSeller,
    NumberSeries,
    BillingPlan,
    Quote,
    ActivityReport,
    RevenueSplit,
    InvoiceBatch,
    Invoice,
    Payment,
    InvoiceReminder,
)


@dataclass
class Seeded:
    outputs: list[str]
    counts: list[dict]


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _media_root(settings, media_root):
    """The module's media, where the seed saved the logo (instead of a new folder per test)."""
    settings.MEDIA_ROOT = media_root


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, media_root):
    """The demo seeded twice, once for the whole module (a seed issues invoices: seconds). Each test reads it
    in its own transaction, rolled back; the seed itself is rolled back after the module."""
    seeded = Seeded(outputs=[], counts=[])
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_root), transaction.atomic():
        for _run in range(2):
            seeded.outputs.append(seed())
            seeded.counts.append({model: model.objects.count() for model in COUNTED})
        yield seeded
        transaction.set_rollback(True)


pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo")]


def test_seed_creates_the_published_demo_collective_with_four_members(demo):
    output = demo.outputs[0]

    collective = Collective.objects.get()
    assert (collective.slug, collective.name) == (settings.DEMO_SLUG, "Atelier Rive Gauche")
    assert collective.is_published and collective.published_at is not None
    assert collective.tagline and len(collective.expertises) >= 3
    assert "<h2>Comment nous travaillons</h2>" in collective.description_html
    assert collective.logo.storage.exists(collective.logo.name)
    memberships = Membership.objects.filter(collective=collective).select_related("user")
    assert sorted(m.title for m in memberships) == [
        "Cheffe de projet",
        "Designer UX",
        "Développeur back-end",
        "Développeuse front-end",
    ]
    admin = memberships.get(role=Membership.Role.ADMIN)
    assert (admin.user.email, admin.user.full_name) == (settings.DEMO_EMAIL, "Claire Martin")
    assert all(m.skills and m.day_rate for m in memberships)
    assert Reference.objects.filter(collective=collective).count() == 3
    assert output.strip() == (
        f"Demo collective “Atelier Rive Gauche” created: log in with {settings.DEMO_EMAIL} / {settings.DEMO_PASSWORD}"
    )


def test_the_demo_page_is_complete():

    _references, completeness = collective_page_state(Collective.objects.get())

    assert completeness.missing == []


def test_every_demo_member_has_a_complete_and_valid_legal_identity():

    for user in User.objects.all():
        assert user.missing_legal_identity() == [], user.email
        assert siret.is_valid(user.siret), user.siret
        assert IBAN(user.iban).country_code == "FR"
        if user.vat_regime == User.VatRegime.REGISTERED:
            assert vat.is_valid(user.vat_number)
            assert user.vat_number[4:] == user.siret[:9]
        assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()


def test_four_opportunities_in_different_stages_with_their_history():

    opportunities = Opportunity.objects.order_by("created_at")
    assert sorted(o.stage for o in opportunities) == sorted(["new", "qualified", "proposal_sent", "won"])
    assert all(len(o.need) > 60 for o in opportunities)
    won = opportunities.get(stage=Opportunity.Stage.WON)
    assert list(won.stage_changes.values_list("from_stage", "to_stage")) == [
        ("", "new"),
        ("new", "qualified"),
        ("qualified", "proposal_sent"),
        ("proposal_sent", "won"),
    ]
    assert OpportunityStageChange.objects.filter(collective=won.collective).count() == 1 + 2 + 3 + 4


def test_a_second_run_creates_nothing_more(demo):
    first, second = demo.counts

    assert second == first
    assert [first[model] for model in (Collective, User, Opportunity)] == [1, 4, 4]
    assert [first[model] for model in (Client, ClientContact, Mission, MissionMember)] == [2, 6, 3, 10]
    assert [first[model] for model in (LegalSeller, BillingPlan, Quote, Invoice, Payment)] == [4, 2, 2, 8, 2]
    assert (
        demo.outputs[1].strip() == "Demo data already present (the database has collectives): nothing to do."
    )


def test_the_demo_login_works_and_opens_the_demo_dashboard():
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")

    assert client.login(email=settings.DEMO_EMAIL, password=settings.DEMO_PASSWORD)
    response = client.get(reverse("collectives:dashboard", args=[settings.DEMO_SLUG]))

    assert response.status_code == 200
    assert "Atelier Rive Gauche" in response.content.decode()
    assert response.context["overview"].open_opportunity_count == 3


def test_the_allauth_login_form_accepts_the_demo_credentials():
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        reverse("account_login"), {"login": settings.DEMO_EMAIL, "password": settings.DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("collectives:home")


# --- The clients and missions of the demo ---------------------------------------------------------


def test_two_clients_with_a_sponsor_a_project_and_a_finance_contact_in_french():

    assert list(Client.objects.order_by("name").values_list("name", flat=True)) == [
        "Maison Lenoir",
        "Ville de Montreuil",
    ]
    for client in Client.objects.all():
        contacts = ClientContact.objects.filter(client=client)
        assert sorted(contacts.values_list("role", flat=True)) == ["finance", "project", "sponsor"]
        assert set(contacts.values_list("language", flat=True)) == {"fr"}
        assert all(contact.job_title for contact in contacts)
    # The won opportunity's contact is Maison Lenoir's sponsor, not a duplicate.
    assert ClientContact.objects.get(email="marc.lambert@maisonlenoir.example").role == "sponsor"


def test_the_draft_mission_comes_from_the_won_opportunity_of_maison_lenoir():

    draft = Mission.objects.get(status=Mission.Status.DRAFT)
    won = Opportunity.objects.get(stage=Opportunity.Stage.WON)
    assert (draft.opportunity, draft.client.name, draft.lead.email) == (
        won,
        "Maison Lenoir",
        settings.DEMO_EMAIL,
    )
    assert draft.start_date > timezone.localdate()
    assert Deliverable.objects.filter(mission=draft).count() == 2
    assert Mission.objects.count() == 3  # with the two active ones


@pytest.mark.parametrize(
    "url_name",
    [
        "missions:detail",
        "missions:board",
        "missions:deliverables",
        "missions:inbox",
        "missions:history",
        "communication:mission",
        "communication:calls",
        "feedback:mission",
    ],
)
def test_the_demo_missions_pages_open_for_claire(url_name):
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(email=settings.DEMO_EMAIL, password=settings.DEMO_PASSWORD)

    for mission in Mission.objects.all():
        response = client.get(reverse(url_name, args=[settings.DEMO_SLUG, mission.pk]))

        assert response.status_code == 200, (url_name, mission.status)


def test_the_demo_mission_list_and_my_work_open_for_claire():
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=settings.DEMO_EMAIL))

    missions = client.get(reverse("missions:list", args=[settings.DEMO_SLUG]))
    my_work = client.get(reverse("missions:my_work"))

    assert (missions.status_code, my_work.status_code) == (200, 200)
    content = missions.content.decode()
    assert "Portail des subventions aux associations" in content
    assert "Espace client : commandes, retours et réparations" in content


def test_the_demo_feedback_shows_an_nps():
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=settings.DEMO_EMAIL))

    mission_page = client.get(reverse("feedback:mission", args=[settings.DEMO_SLUG, active_mission().pk]))
    collective_page = client.get(reverse("feedback:collective", args=[settings.DEMO_SLUG]))

    assert mission_page.context["summary"].nps == Decimal(100)
    assert collective_page.context["summary"].nps == Decimal(100)


def test_the_demo_mission_s_numbers_agree_with_its_on_track_health():
    mission = active_mission()
    production = TimeEntry.objects.filter(mission=mission, activity=TimeEntry.Activity.PRODUCTION)
    estimated = sum(task.estimate_hours for task in Task.objects.filter(deliverable__mission=mission))
    logged = sum(entry.hours for entry in TimeEntry.objects.filter(mission=mission))

    assert Decimal("60") <= logged < estimated * Decimal("0.9")
    assert all(entry.hours > 0 and entry.hours % Decimal("0.25") == 0 for entry in production)
    for deliverable in Deliverable.objects.filter(mission=mission):
        spent = sum(entry.hours for entry in production.filter(deliverable=deliverable))
        estimate = sum(task.estimate_hours for task in deliverable.tasks.all())
        done = sum(task.estimate_hours for task in deliverable.tasks.filter(status=Task.Status.DONE))
        assert done <= spent + Decimal("1") and spent <= estimate, deliverable.title
    assert set(Deliverable.objects.filter(mission=mission).values_list("health", flat=True)) == {"on_track"}
    page = Client_()
    page.force_login(User.objects.get(email=settings.DEMO_EMAIL))
    html = page.get(reverse("missions:detail", args=[settings.DEMO_SLUG, mission.pk])).content.decode()
    assert 'class="meter meter--ok"' in html


# --- Billing, end to end ----------------------------------------------------------------------------------


def test_every_member_is_a_ready_seller_with_their_own_series():

    sellers = LegalSeller.objects.select_related("user")
    assert sellers.count() == 4 and set(sellers.values_list("kind", flat=True)) == {"member"}
    assert all(seller_missing(seller) == [] for seller in sellers)
    assert {seller.user.vat_regime for seller in sellers} == {"franchise", "registered"}
    prefixes = dict(
        NumberSeries.objects.filter(document_type="invoice").values_list("seller__user__email", "prefix")
    )
    assert prefixes == {
        settings.DEMO_EMAIL: "FAC-CM",
        "julien.moreau@demo.cordee.localhost": "FAC-JM",
        "karim.benali@demo.cordee.localhost": "FAC-KB",
        "sophie.lefevre@demo.cordee.localhost": "FAC-SL",
    }
    numbers = list(issued_invoices().values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 8
    # Each series numbers in the order of its issue dates, with no gap.
    for series in NumberSeries.objects.filter(document_type__in=["invoice", "quote"], last_number__gt=0):
        report = series_gap_report(series)
        assert report.is_clean and report.issued == series.last_number, series.prefix
        documents = Invoice if series.document_type == "invoice" else Quote
        latest = documents.objects.filter(seller=series.seller).order_by("-number").values("issued_on")[0]
        assert latest["issued_on"] == series.last_issued_on


def test_the_clients_are_complete_for_invoicing():

    city = Client.objects.get(name="Ville de Montreuil")
    assert siren_number.is_valid(city.siren) and siret.is_valid(city.siret)
    assert city.siret.startswith(city.siren)
    shop = Client.objects.get(name="Maison Lenoir")
    assert vat.is_valid(shop.vat_number) and shop.vat_number[4:] == shop.siren
    for client_id in set(issued_invoices().values_list("client_id", flat=True)):
        assert ClientContact.objects.filter(client_id=client_id, role="finance").exists()
    assert set(issued_invoices().filter(mission__client=city).values_list("purchase_order", flat=True)) == {
        "EJ-2026-004512"
    }


def test_every_demo_invoice_passes_the_factur_x_checks():

    invoices = list(issued_invoices())
    assert len(invoices) == 8
    for invoice in invoices:
        xml_check(invoice_xml_checked(invoice))
        pdf = invoice_pdf_checked(invoice)
        pdf_check(pdf)
        assert pdf_embedded_xml(pdf) == bytes(invoice.xml)
    regimes = {invoice.seller_snapshot["vat_regime"]: invoice.total_tax for invoice in invoices}
    assert regimes["franchise"] == 0 and regimes["registered"] > 0


def claire_browser() -> Client_:
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(email=settings.DEMO_EMAIL, password=settings.DEMO_PASSWORD)
    return client


def test_claire_sees_the_billing_of_both_missions_and_every_invoice():
    client = claire_browser()

    for mission in Mission.objects.filter(status=Mission.Status.ACTIVE):
        args = [settings.DEMO_SLUG, mission.pk]
        page = client.get(reverse("billing:mission", args=args))
        assert page.status_code == 200
        for invoice in issued_invoices().filter(mission=mission):
            assert invoice.number in page.content.decode(), invoice.number
            detail = client.get(reverse("billing:invoice", args=[*args, invoice.pk]))
            assert detail.status_code == 200 and invoice.number in detail.content.decode()
        assert client.get(reverse("billing:mission_payments", args=args)).status_code == 200
        for quote in Quote.objects.filter(mission=mission):
            assert client.get(reverse("billing:quote", args=[*args, quote.pk])).status_code == 200
    invoice = issued_invoices().first()
    pdf = client.get(
        reverse("billing:invoice_pdf", args=[settings.DEMO_SLUG, invoice.mission_id, invoice.pk])
    )
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    waiting = RevenueSplit.objects.get(status="proposed")
    split_page = client.get(
        reverse(
            "billing:split_report", args=[settings.DEMO_SLUG, waiting.mission_id, waiting.activity_report_id]
        )
    )
    assert split_page.status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "billing:sellers",
        "billing:payments",
        "billing:payment_charts",
        "billing:reminder_ladder",
        "billing:payouts",
        "billing:member_statement",
        "billing:exports",
        "billing:mandates",
    ],
)
def test_the_collective_s_billing_area_opens_for_claire(url_name):
    client = claire_browser()

    response = client.get(reverse(url_name, args=[settings.DEMO_SLUG]))

    assert response.status_code == 200


def test_getting_paid_shows_the_paid_the_partly_paid_and_the_late_invoices():
    client = claire_browser()
    maintenance = Mission.objects.get(title=MAINTENANCE)

    page = client.get(reverse("billing:mission_payments", args=[settings.DEMO_SLUG, maintenance.pk]))
    charts = client.get(reverse("billing:payment_charts", args=[settings.DEMO_SLUG]))

    content = page.content.decode()
    for invoice in issued_invoices().filter(mission=maintenance):
        assert invoice.number in content, invoice.number
    assert content.count("badge--ok") == 1  # paid
    assert "Partly paid" in content and "badge--late" in content
    assert "VIR MAISON LENOIR" in content  # the payments' bank references
    charts_content = charts.content.decode()
    assert "Maison Lenoir" in charts_content and "Ville de Montreuil" in charts_content
    assert "No payment received in the last six months." not in charts_content


def test_sophie_is_asked_to_approve_last_month_s_split():
    sophie = User.objects.get(email="sophie.lefevre@demo.cordee.localhost")
    waiting = RevenueSplit.objects.get(status="proposed")
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(sophie)

    page = client.get(
        reverse(
            "billing:split_report", args=[settings.DEMO_SLUG, waiting.mission_id, waiting.activity_report_id]
        )
    )

    assert page.status_code == 200
    assert reverse("billing:split_decide", args=[settings.DEMO_SLUG, waiting.mission_id, waiting.pk]) in (
        page.content.decode()
    )
