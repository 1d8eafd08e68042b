"""The client's billing pages in the portal: isolation, the "Bon pour accord" over HTTP, what the client sees
of the budget, and constant query counts."""

import hashlib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from cordee.billing.models import ActivityReport, BillingPlan, Invoice, InvoiceBatch, OverageRequest, Quote
from cordee.billing.services.plans import PlanInput, overage_request, plan_save
from cordee.billing.services.quotes import quote_accept
from cordee.billing.services.reports import activity_report_draft, activity_report_send
from cordee.billing.tests.conftest import portal_sign_in, sent_quote
from cordee.core.models import OutboundEmail
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientFactory,
    DeliverableFactory,
    TimeEntryFactory,
)
from cordee.portal.services import portal_link_create

pytestmark = pytest.mark.django_db


def walk(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def billing_portal_pages():
    return [
        (name, list(pattern.pattern.converters))
        for name, pattern in walk(get_resolver().url_patterns)
        if name.startswith("billing_portal:")
    ]


def accepted(world, quote):
    return quote_accept(
        contact=world.contact,
        quote_id=quote.pk,
        typed_name="Louise Bernard",
        ip="203.0.113.7",
        user_agent="UA",
        pdf_sha256=quote.pdf_sha256,
    )


def full_world(world):
    """A sent quote, an active plan (the quote accepted, then an amendment sent), a sent report, an overage."""
    quote = sent_quote(world)
    accepted(world, quote)
    TimeEntryFactory(mission=world.mission, user=world.lead, date=date(2026, 3, 16), hours=Decimal("7"))
    report = activity_report_draft(
        by=world.lead,
        mission_id=world.mission.pk,
        period_start=date(2026, 3, 16),
        period_end=date(2026, 3, 31),
    )
    activity_report_send(by=world.lead, report_id=report.pk)
    overage = overage_request(by=world.lead, mission_id=world.mission.pk, days=Decimal("2"), reason="Plus")
    batch = InvoiceBatch.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=quote.plan,
        label="Livrable",
        sent_at=timezone.now(),
    )
    pdf = b"%PDF-1.7 facture"
    invoice = Invoice.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=quote.plan,
        batch=batch,
        seller=quote.seller,
        client=world.client,
        status=Invoice.Status.ISSUED,
        number="FAC-2026-00001",
        issued_on=timezone.localdate(),
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    return {
        "quote_pk": quote,
        "report_pk": report,
        "overage_pk": overage,
        "mission_pk": world.mission,
        "invoice_pk": invoice,
        "batch_pk": batch,
    }


def test_every_billing_portal_page_is_behind_a_portal_session():
    pages = billing_portal_pages()
    assert {name for name, _parameters in pages} == {
        "billing_portal:billing",
        "billing_portal:quote",
        "billing_portal:quote_pdf",
        "billing_portal:report",
        "billing_portal:overage_answer",
        "billing_portal:invoices",
        "billing_portal:batch",
        "billing_portal:invoice_pdf",
    }
    for name, pattern in walk(get_resolver().url_patterns):
        if name.startswith("billing_portal:"):
            assert getattr(pattern.callback, "portal_scoped", False), name


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_contact_of_another_client_gets_404_on_everything_and_changes_nothing(client, world, method):
    objects = full_world(world)
    stranger = ClientContactFactory(client=ClientFactory(collective=world.collective))
    portal_sign_in(client, stranger)
    before = (
        list(Quote.objects.values_list("status", flat=True)),
        list(ActivityReport.objects.values_list("status", flat=True)),
        list(OverageRequest.objects.values_list("status", flat=True)),
        OutboundEmail.objects.count(),
    )
    failures = []
    for name, parameters in billing_portal_pages():
        url = reverse(name, kwargs={parameter: objects[parameter].pk for parameter in parameters})
        data = {"action": "approve", "typed_name": "Intrus", "pdf_sha256": objects["quote_pk"].pdf_sha256}
        response = getattr(client, method)(url, data)
        if response.status_code not in (404, 405):
            failures.append(f"{method} {url} → {response.status_code}")
    assert failures == []
    after = (
        list(Quote.objects.values_list("status", flat=True)),
        list(ActivityReport.objects.values_list("status", flat=True)),
        list(OverageRequest.objects.values_list("status", flat=True)),
        OutboundEmail.objects.count(),
    )
    assert after == before


def test_visitors_without_a_portal_session_are_sent_to_sign_in(client, world):
    objects = full_world(world)
    client.force_login(world.lead)  # a member session is no portal session
    for name, parameters in billing_portal_pages():
        if name == "billing_portal:overage_answer":
            continue
        url = reverse(name, kwargs={parameter: objects[parameter].pk for parameter in parameters})
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("portal:login")), name


def test_the_client_accepts_the_quote_on_the_portal_page(client, world):
    quote = sent_quote(world)
    portal_sign_in(client, world.contact)
    url = reverse("billing_portal:quote", args=[quote.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert quote.pdf_sha256 in page.content.decode()

    response = client.post(
        url,
        {"action": "accept", "typed_name": "Louise Bernard", "pdf_sha256": quote.pdf_sha256},
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; 390px)",
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_name, quote.accepted_ip, quote.accepted_user_agent) == (
        "accepted",
        "Louise Bernard",
        "198.51.100.4",
        "Mozilla/5.0 (iPhone; 390px)",
    )
    shown = client.get(url).content.decode()
    assert "Louise Bernard" in shown
    assert quote.accepted_pdf_sha256 in shown
    assert "Accepter le devis" not in shown


def test_a_refused_acceptance_keeps_the_typed_name_and_changes_nothing(client, world):
    quote = sent_quote(world)
    portal_sign_in(client, world.contact)
    response = client.post(
        reverse("billing_portal:quote", args=[quote.pk]),
        {"action": "accept", "typed_name": "Louise Bernard", "pdf_sha256": "f" * 64},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Le devis a changé depuis que vous l'avez ouvert" in body.replace("&#x27;", "'")
    assert 'value="Louise Bernard"' in body
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_declining_without_a_reason_is_refused_on_the_page(client, world):
    quote = sent_quote(world)
    portal_sign_in(client, world.contact)
    response = client.post(
        reverse("billing_portal:quote", args=[quote.pk]), {"action": "decline", "reason": ""}
    )
    assert response.status_code == 400
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_the_client_approves_an_overage_in_the_portal(client, world):
    objects = full_world(world)
    portal_sign_in(client, world.contact)
    response = client.post(
        reverse("billing_portal:overage_answer", args=[objects["overage_pk"].pk]), {"action": "approve"}
    )
    assert response.status_code == 302
    objects["overage_pk"].refresh_from_db()
    assert (objects["overage_pk"].status, objects["overage_pk"].answered_by) == ("approved", world.contact)


def test_the_client_never_sees_internal_time_of_fixed_price_work(client, world):
    deliverable = DeliverableFactory(mission=world.mission, title="Maquettes")
    plan = plan_save(
        by=world.lead,
        mission_id=world.mission.pk,
        plan_input=PlanInput(
            model="milestone", deliverable_prices=[(deliverable.pk, Decimal("4200"), Decimal("3"))]
        ),
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    TimeEntryFactory(
        mission=world.mission,
        user=world.lead,
        deliverable=deliverable,
        date=date(2026, 3, 16),
        hours=Decimal("31.5"),
    )
    portal_sign_in(client, world.contact)
    body = client.get(reverse("billing_portal:billing", args=[world.mission.pk])).content.decode()
    assert "Maquettes" in body
    assert "4\xa0200,00\xa0€" in body
    for internal in ("4,5", "Estimation", "Saisi", "Au-delà de l'estimation", "burn-chart", "<svg"):
        assert internal not in body.replace("&#x27;", "'"), internal

    client.force_login(world.lead)
    member_page = client.get(reverse("billing:mission", args=[world.collective.slug, world.mission.pk]))
    assert "Over the estimate" in member_page.content.decode()


def test_the_client_sees_days_consumed_and_the_cap_for_pay_as_you_go(client, world):
    accepted(world, sent_quote(world))
    TimeEntryFactory(mission=world.mission, user=world.lead, date=date(2026, 3, 16), hours=Decimal("17.5"))
    portal_sign_in(client, world.contact)
    body = client.get(reverse("billing_portal:billing", args=[world.mission.pk])).content.decode()
    assert "2,5" in body
    assert "jours consommés sur un plafond de 20 jours" in body
    assert 'role="img"' in body
    assert "Consommé" not in body  # amounts of the budget stay internal


# --- Query counts -----------------------------------------------------------------------------------------


def grow(world, count):
    for index in range(count):
        day = date(2026, 3, 16) + timedelta(days=index)
        TimeEntryFactory(mission=world.mission, user=world.lead, date=day, hours=Decimal("3"))


def test_portal_pages_run_a_constant_number_of_queries(client, world, django_assert_num_queries):
    objects = full_world(world)
    portal_sign_in(client, world.contact)
    urls = [
        reverse("billing_portal:billing", args=[world.mission.pk]),
        reverse("billing_portal:quote", args=[objects["quote_pk"].pk]),
        reverse("billing_portal:report", args=[objects["report_pk"].pk]),
    ]
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    grow(world, 12)
    overage_request(by=world.lead, mission_id=world.mission.pk, days=Decimal("1"), reason="Encore")
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_the_quote_email_signs_the_client_in_straight_onto_the_quote(client, world):
    quote = sent_quote(world)
    email = OutboundEmail.objects.get(idempotency_key=f"billing:quote:{quote.pk}:contact:{world.contact.pk}")
    link = re.search(r"https?://\S*/portal/m/\S*", email.body_text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    response = client.post("/" + path.split("?")[0])
    assert response["Location"] == reverse("billing_portal:quote", args=[quote.pk])


def test_a_next_page_outside_the_portal_is_ignored(client, world):
    link = portal_link_create(contact=world.contact)
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    client.get(path + "?next=https://evil.example/portal/")
    client.get(path + "?next=/collectives/")
    assert client.post(path)["Location"] == reverse("portal:home")
