"""Each member's encashed revenue of a calendar year (R-1.16), the figure the threshold warnings read:
payments received by payment date, excluding VAT, and, when one seller collects for others, the payouts it
paid them. Figures computed by hand around 37,500 € / 41,250 € (VAT franchise, services) and 77,700 €
(micro-enterprise ceiling, services)."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cordee.billing.models import BillingPlan, Invoice, Payment, Payout, PayoutBatch
from cordee.billing.services.revenue import (
    member_threshold_warnings,
    member_year_revenue,
    members_year_revenue,
)
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_plan, teammate

pytestmark = pytest.mark.django_db

FRANCHISE = {"legal_form": "micro", "vat_regime": "franchise"}
REGISTERED = {"legal_form": "micro", "vat_regime": "registered"}


def invoice_of(world, seller, number, excl, incl, *, to_seller=None) -> Invoice:
    invoice = issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=None,
        number=number,
        total=incl,
        issued_on=date(2026, 6, 1),
    )
    changes = {"total_excl_tax": Decimal(excl)}
    if to_seller is not None:
        changes.update(client=None, buyer_seller=to_seller)
    Invoice.objects.filter(pk=invoice.pk).update(**changes)  # an issued invoice is never saved again
    invoice.refresh_from_db()
    return invoice


def pay(invoice, amount, paid_on, *, reversed_=False) -> Payment:
    return Payment.objects.create(
        collective=invoice.collective,
        invoice=invoice,
        paid_on=paid_on,
        amount=Decimal(amount),
        reversed_at=timezone.now() if reversed_ else None,
    )


def payout(seller, member, invoice, amount, *, execution_date, status=PayoutBatch.Status.PAID) -> Payout:
    batch = PayoutBatch.objects.create(
        collective=seller.collective, seller=seller, execution_date=execution_date, status=status
    )
    return Payout.objects.create(
        collective=seller.collective,
        batch=batch,
        member=member,
        amount=Decimal(amount),
        account_holder=member.full_name or "Member",
        iban="FR7630006000011234567890189",
        remittance=f"Payout {invoice.number}",
        references=[{"invoice_id": invoice.pk, "invoice_number": invoice.number, "amount": amount}],
    )


def test_payments_count_by_payment_date_excluding_vat(world):
    lea, lea_seller = teammate(world.collective, full_name="Léa Martin", **FRANCHISE)
    paul, paul_seller = teammate(world.collective, full_name="Paul Durand", **REGISTERED)
    first = invoice_of(world, lea_seller, "LM-2026-00001", "30000.00", "30000.00")
    second = invoice_of(world, lea_seller, "LM-2026-00002", "11250.00", "11250.00")
    pay(first, "30000.00", date(2026, 3, 10))
    pay(second, "7500.00", date(2026, 12, 31))
    pay(second, "3750.00", date(2027, 1, 1))  # next year
    pay(second, "2000.00", date(2026, 7, 1), reversed_=True)  # reversed: not encashed
    pay(first, "1000.00", date(2025, 12, 31))  # the year before
    # Paul is VAT-registered: 12,000 € + 20 % VAT paid in two parts counts 12,000 € excluding VAT.
    vat_invoice = invoice_of(world, paul_seller, "PD-2026-00001", "12000.00", "14400.00")
    pay(vat_invoice, "7200.00", date(2026, 5, 1))
    pay(vat_invoice, "7200.00", date(2026, 9, 1))
    # Neither a draft split nor an unpaid invoice counts.
    invoice_of(world, lea_seller, "LM-2026-00003", "5000.00", "5000.00")

    assert member_year_revenue(lea, 2026) == Decimal("37500.00")
    assert member_year_revenue(lea, 2027) == Decimal("3750.00")
    assert member_year_revenue(lea, 2025) == Decimal("1000.00")
    assert members_year_revenue([lea.pk, paul.pk, world.lead.pk], 2026) == {
        lea.pk: Decimal("37500.00"),
        paul.pk: Decimal("12000.00"),
        world.lead.pk: Decimal("0.00"),
    }
    # 37,500 € already encashed: 3,750 € more crosses the base threshold (37,500 €) and reaches 41,250 €,
    # 90 % of the micro ceiling is 69,930 €: not near.
    warnings = member_threshold_warnings(lea, added=Decimal("3750.00"), year=2026)
    assert [(w.threshold.kind, w.crossed, w.revenue_after) for w in warnings] == [
        ("vat_franchise_base", True, Decimal("41250.00")),
        ("vat_franchise_increased", False, Decimal("41250.00")),
    ]
    # One cent more crosses the increased threshold too.
    warnings = member_threshold_warnings(lea, added=Decimal("3750.01"), year=2026)
    assert [(w.threshold.kind, w.crossed) for w in warnings] == [
        ("vat_franchise_base", True),
        ("vat_franchise_increased", True),
    ]


def test_when_the_lead_reinvoices_the_client_pays_the_lead_and_payouts_pay_the_members(world):
    lead_seller = member_seller(world.collective, world.lead, **REGISTERED)
    BillingPlan.objects.filter(pk=mission_plan(world.mission).pk).update(
        invoicing_mode=BillingPlan.InvoicingMode.LEAD_REINVOICES, seller=lead_seller
    )
    lea, lea_seller = teammate(world.collective, full_name="Léa Martin", **FRANCHISE)
    # The lead invoices the client 77,700 € + 20 % VAT = 93,240 €, paid in full in 2026: all of it is
    # the lead's turnover, excluding VAT 77,700 € (the micro ceiling of services, not crossed: equal).
    client_invoice = invoice_of(world, lead_seller, "CM-2026-00001", "77700.00", "93240.00")
    pay(client_invoice, "93240.00", date(2026, 11, 2))
    # Léa invoiced the lead 41,250 € (franchise: no VAT); the lead paid 37,500 € out in 2026 (batch paid),
    # 3,750 € in a batch exported but not yet marked paid.
    to_lead = invoice_of(world, lea_seller, "LM-2026-00001", "41250.00", "41250.00", to_seller=lead_seller)
    payout(lead_seller, lea, to_lead, "37500.00", execution_date=date(2026, 11, 20))
    payout(
        lead_seller,
        lea,
        to_lead,
        "3750.00",
        execution_date=date(2026, 12, 20),
        status=PayoutBatch.Status.EXPORTED,
    )

    assert members_year_revenue([world.lead.pk, lea.pk], 2026) == {
        world.lead.pk: Decimal("77700.00"),
        lea.pk: Decimal("37500.00"),
    }
    assert member_threshold_warnings(world.lead, added=Decimal("0.00"), year=2026)[0].crossed is False
    assert member_threshold_warnings(world.lead, added=Decimal("0.01"), year=2026)[0].crossed is True
    PayoutBatch.objects.filter(status=PayoutBatch.Status.EXPORTED).update(status=PayoutBatch.Status.PAID)
    assert member_year_revenue(lea, 2026) == Decimal("41250.00")
    assert member_year_revenue(lea, 2027) == Decimal("0.00")


def test_the_revenue_of_many_members_takes_the_same_queries(world):
    lead_seller = member_seller(world.collective, world.lead, **REGISTERED)

    def members(count):
        users = []
        for index in range(count):
            user, seller = teammate(world.collective, full_name=f"Member {index}", **FRANCHISE)
            direct = invoice_of(world, seller, f"M{index}-{count}-1", "100.00", "100.00")
            pay(direct, "100.00", date(2026, 2, 1))
            to_lead = invoice_of(
                world, seller, f"M{index}-{count}-2", "50.00", "50.00", to_seller=lead_seller
            )
            payout(lead_seller, user, to_lead, "50.00", execution_date=date(2026, 3, 1))
            users.append(user.pk)
        return users

    def queries(user_ids):
        with CaptureQueriesContext(connection) as captured:
            revenue = members_year_revenue(user_ids, 2026)
        assert set(revenue.values()) == {Decimal("150.00")}
        return len(captured)

    assert queries(members(1)) == queries(members(5)) == 3


def test_a_draft_invoice_warns_its_member_seller_before_it_is_issued(world, client, settings):
    settings.LANGUAGE_CODE = "en"
    lea, lea_seller = teammate(world.collective, full_name="Léa Martin", **FRANCHISE)
    pay(invoice_of(world, lea_seller, "LM-2026-00001", "37500.00", "37500.00"), "37500.00", date(2026, 3, 10))
    draft = invoice_of(world, lea_seller, "LM-2026-00002", "3750.00", "3750.00")
    Invoice.objects.filter(pk=draft.pk).update(status=Invoice.Status.DRAFT, number="", issued_on=None)
    url = reverse("billing:invoice", args=[world.collective.slug, world.mission.pk, draft.pk])
    client.force_login(lea)

    with time_machine.travel(date(2026, 6, 2)):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Revenue thresholds" in page
        assert str(lea_seller.display_name) in page
        # Once issued, the page no longer warns: the amount is already part of the year.
        Invoice.objects.filter(pk=draft.pk).update(status=Invoice.Status.ISSUED, number="LM-2026-00002")
        assert "Revenue thresholds" not in client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
