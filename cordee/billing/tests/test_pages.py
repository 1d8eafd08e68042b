"""The members' billing pages: who may do what, bad input kept with its message, the consequences of "lead
re-invoices" shown before saving, the dashboard's budgets, and constant query counts."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cordee.billing.models import BillingPlan, LegalSeller, Quote
from cordee.billing.services.plans import PlanInput, plan_save
from cordee.billing.services.quotes import quote_accept
from cordee.billing.services.reports import activity_report_draft
from cordee.billing.tests.conftest import make_ready, payg_input, sent_quote, series_prefix
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory, UserFactory
from cordee.missions.tests.factories import DeliverableFactory, MissionMemberFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db

PAYG_POST = {
    "model": "payg",
    "invoicing_mode": "per_member",
    "rate_mode": "mission",
    "mission_day_rate": "600",
    "cycle": "monthly",
    "cap_days": "20",
    "derisk_scope": "Audit et prototype",
    "derisk_price": "3000",
    "derisk_end_date": "2026-03-13",
    "milestone_trigger": "delivered",
}


def plan_url(world):
    return reverse("billing:plan", args=[world.collective.slug, world.mission.pk])


def mission_url(world):
    return reverse("billing:mission", args=[world.collective.slug, world.mission.pk])


def test_the_lead_saves_a_pay_as_you_go_plan_and_sends_its_quote(client, world):
    client.force_login(world.lead)
    response = client.post(plan_url(world), PAYG_POST)
    assert response.status_code == 302
    plan = BillingPlan.objects.get()
    assert (plan.model, plan.mission_day_rate, plan.cap_days, plan.derisk_price) == (
        "payg",
        Decimal("600.00"),
        Decimal("20.0000"),
        Decimal("3000.00"),
    )
    valid_until = (date.today() + timedelta(days=30)).isoformat()
    response = client.post(
        reverse("billing:quote_create", args=[world.collective.slug, world.mission.pk]),
        {"valid_until": valid_until},
    )
    quote = Quote.objects.get()
    assert response["Location"] == reverse(
        "billing:quote", args=[world.collective.slug, world.mission.pk, quote.pk]
    )
    response = client.post(
        reverse("billing:quote_send", args=[world.collective.slug, world.mission.pk, quote.pk])
    )
    quote.refresh_from_db()
    assert (quote.status, quote.number) == (
        "sent",
        f"{series_prefix(quote.seller, 'quote')}-{date.today().year}-00001",
    )
    assert (
        OutboundEmail.objects.filter(idempotency_key__startswith=f"billing:quote:{quote.pk}:contact:").count()
        == 1
    )
    page = client.get(
        reverse("billing:quote", args=[world.collective.slug, world.mission.pk, quote.pk])
    ).content.decode()
    assert quote.pdf_sha256 in page
    pdf = client.get(reverse("billing:quote_pdf", args=[world.collective.slug, world.mission.pk, quote.pk]))
    assert (pdf["Content-Type"], pdf.content) == ("application/pdf", bytes(quote.pdf))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mission_day_rate": "-600"}, "The day rate must be more than 0 €."),
        ({"mission_day_rate": "0"}, "The day rate must be more than 0 €."),
        ({"derisk_price": "-1"}, "The price of the de-risking phase must be more than 0 €."),
        (
            {
                "mission_day_rate": "",
                "derisk_scope": "",
                "derisk_price": "",
                "derisk_end_date": "",
                "bonus_kind": "amount",
                "bonus_kpi": "Ventes",
                "bonus_target": "100",
                "bonus_value": "5000",
            },
            "performance pay must stay exceptional and come on top of a fixed fee",
        ),
    ],
)
def test_a_bad_plan_is_refused_with_its_message_and_what_was_typed_kept(client, world, changes, message):
    client.force_login(world.lead)
    response = client.post(plan_url(world), {**PAYG_POST, **changes})
    assert response.status_code == 400
    body = response.content.decode().replace("&#x27;", "'")
    assert message in body
    for name, value in changes.items():
        if value and name not in ("bonus_kind",):
            assert f'value="{value}"' in body, name
    assert BillingPlan.objects.count() == 0


def test_a_deposit_over_100_percent_is_refused_on_the_page(client, world):
    deliverable = DeliverableFactory(mission=world.mission)
    client.force_login(world.lead)
    response = client.post(
        plan_url(world),
        {**PAYG_POST, "model": "milestone", f"price_{deliverable.pk}": "4000", "deposit_percent": "120"},
    )
    assert response.status_code == 400
    assert "The deposit is a percentage between 0 and 100." in response.content.decode()
    assert BillingPlan.objects.count() == 0


def test_lead_re_invoices_shows_its_consequences_before_saving(client, world):
    make_ready(world.lead, vat_regime="franchise")
    teammate = MissionMemberFactory(mission=world.mission)
    make_ready(teammate.user, full_name="Paul Durand", vat_regime="registered", vat_number="FR40303265045")
    client.force_login(world.lead)
    form_page = client.get(plan_url(world)).content.decode()
    assert "VAT mismatch: Claire Martin is in the VAT franchise" in form_page
    response = client.post(plan_url(world), {**PAYG_POST, "invoicing_mode": "lead_reinvoices"})
    assert response.status_code == 400
    assert (
        "Read the consequences of this invoicing mode and confirm them before saving."
        in response.content.decode()
    )
    assert BillingPlan.objects.count() == 0
    response = client.post(
        plan_url(world), {**PAYG_POST, "invoicing_mode": "lead_reinvoices", "consequences_confirmed": "on"}
    )
    assert response.status_code == 302
    assert BillingPlan.objects.get().invoicing_mode == "lead_reinvoices"


def test_a_member_who_is_not_the_lead_reads_but_does_not_change_billing(client, world):
    member = MembershipFactory(collective=world.collective).user
    client.force_login(member)
    assert client.get(mission_url(world)).status_code == 403  # not in the team: not theirs to read
    MissionMemberFactory(mission=world.mission, user=member)
    assert client.get(mission_url(world)).status_code == 200
    assert client.get(plan_url(world)).status_code == 403
    assert client.post(plan_url(world), PAYG_POST).status_code == 403
    assert BillingPlan.objects.count() == 0


def test_the_sellers_page_says_what_is_missing_and_only_admins_save_the_entity(client, world):
    member = MembershipFactory(collective=world.collective)
    member.user.full_name = "Paul Durand"
    member.user.save()
    client.force_login(member.user)
    url = reverse("billing:sellers", args=[world.collective.slug])
    body = client.get(url).content.decode()
    assert "Missing: legal form, SIRET, VAT regime, address, postal code, city, IBAN, account holder." in body
    response = client.post(
        url,
        {
            "action": "entity",
            "entity-name": "Rive Gauche SAS",
            "entity-payment_terms": "days",
            "entity-payment_days": "30",
            "entity-late_penalty_rate": "10.15",
        },
    )
    assert response.status_code == 400
    assert not LegalSeller.objects.filter(kind="entity").exists()

    client.force_login(world.lead)
    response = client.post(
        url,
        {
            "action": "entity",
            "entity-name": "Rive Gauche SAS",
            "entity-entity_form": "sas",
            "entity-siren": "552081317",
            "entity-vat_regime": "franchise",
            "entity-country": "FR",
            "entity-payment_terms": "days",
            "entity-payment_days": "30",
            "entity-late_penalty_rate": "10.15",
        },
    )
    assert response.status_code == 302
    assert LegalSeller.objects.get(kind="entity").name == "Rive Gauche SAS"


def test_payment_terms_over_60_days_are_refused_on_the_page(client, world):
    client.force_login(world.lead)
    url = reverse("billing:sellers", args=[world.collective.slug])
    response = client.post(
        url,
        {
            "action": "payment",
            "payment-payment_terms": "days",
            "payment-payment_days": "90",
            "payment-late_penalty_rate": "10.15",
        },
    )
    assert response.status_code == 400
    assert 'value="90"' in response.content.decode()
    assert not LegalSeller.objects.filter(payment_days=90).exists()


def test_the_dashboard_lists_missions_over_80_percent_of_their_cap(client, world):
    quote = sent_quote(world, payg_input(cap_days=Decimal("10")))
    quote_accept(
        contact=world.contact,
        quote_id=quote.pk,
        typed_name="Louise Bernard",
        ip=None,
        user_agent="",
        pdf_sha256=quote.pdf_sha256,
    )
    client.force_login(world.lead)
    dashboard = reverse("collectives:dashboard", args=[world.collective.slug])
    assert (
        "No mission over 80% of its cap or over a milestone estimate."
        in client.get(dashboard).content.decode()
    )
    TimeEntryFactory(
        mission=world.mission, user=world.lead, date=date(2026, 3, 16), hours=Decimal("63")
    )  # 9 days
    body = client.get(dashboard).content.decode()
    billing_block = body.split('id="billing-title"')[1].split("</section>")[0]
    assert world.mission.title in billing_block
    assert "90% of the cap" in billing_block


def test_the_dashboard_lists_missions_with_a_deliverable_over_its_estimate(client, world):
    deliverable = DeliverableFactory(mission=world.mission)
    plan = plan_save(
        by=world.lead,
        mission_id=world.mission.pk,
        plan_input=PlanInput(
            model="milestone", deliverable_prices=[(deliverable.pk, Decimal("4000"), Decimal("2"))]
        ),
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    TimeEntryFactory(
        mission=world.mission,
        user=world.lead,
        deliverable=deliverable,
        date=date(2026, 3, 16),
        hours=Decimal("21"),
    )
    client.force_login(world.lead)
    body = client.get(reverse("collectives:dashboard", args=[world.collective.slug])).content.decode()
    assert "a deliverable at 150% of its estimate" in body


# --- Query counts -----------------------------------------------------------------------------------------


def test_member_pages_run_a_constant_number_of_queries(client, world, django_assert_num_queries):
    quote = sent_quote(world)
    quote_accept(
        contact=world.contact,
        quote_id=quote.pk,
        typed_name="Louise Bernard",
        ip=None,
        user_agent="",
        pdf_sha256=quote.pdf_sha256,
    )
    TimeEntryFactory(mission=world.mission, user=world.lead, date=date(2026, 3, 16), hours=Decimal("7"))
    report = activity_report_draft(
        by=world.lead,
        mission_id=world.mission.pk,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
    )
    client.force_login(world.lead)
    slug, mission = world.collective.slug, world.mission.pk
    urls = [
        reverse("billing:sellers", args=[slug]),
        reverse("billing:mission", args=[slug, mission]),
        reverse("billing:plan", args=[slug, mission]),
        reverse("billing:quote", args=[slug, mission, quote.pk]),
        reverse("billing:report", args=[slug, mission, report.pk]),
    ]
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for index in range(15):
        TimeEntryFactory(
            mission=world.mission,
            user=world.lead,
            date=date(2026, 3, 16) + timedelta(days=index),
            hours=Decimal("2"),
        )
    for _index in range(3):
        member = MissionMemberFactory(mission=world.mission)
        make_ready(member.user)
    for url in urls:
        if url.endswith("/plan/"):
            continue  # one field per team member: checked below with the team fixed
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    plan_page = urls[2]
    client.get(plan_page)
    with CaptureQueriesContext(connection) as captured:
        client.get(plan_page)
    for index in range(5):
        DeliverableFactory(mission=world.mission, title=f"Livrable {index}")
    with django_assert_num_queries(len(captured)):
        assert client.get(plan_page).status_code == 200


def test_the_admin_lists_billing_documents_read_only(client, world):
    quote = sent_quote(world)
    operator = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(operator)
    listing = client.get(reverse("admin:billing_quote_changelist"))
    assert listing.status_code == 200
    assert quote.number in listing.content.decode()
    assert client.get(reverse("admin:billing_quote_change", args=[quote.pk])).status_code == 200
    assert (
        client.post(reverse("admin:billing_quote_delete", args=[quote.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Quote.objects.filter(pk=quote.pk).exists()
