"""Billing rows for the API's tests, built directly (the issuing services have their own tests): issued
invoices with lines, a draft never exposed, a credit note, payments, a sent quote, a proposed split."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from cordee.billing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    Quote,
    RevenueSplit,
    SplitApproval,
    SplitShare,
)
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_plan
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import DeliverableFactory

PDF = b"%PDF-1.7 a Factur-X invoice"
XML = b"<rsm:CrossIndustryInvoice/>"


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def invoice_with_lines(mission, *, number: str, amounts=("1000.00", "200.50"), issued_on=None) -> Invoice:
    """An issued invoice of the lead's business with lines, totals, VAT and its stored files."""
    seller = member_seller(mission.collective, mission.lead)
    invoice = issued_invoice(
        mission=mission,
        seller=seller,
        batch=None,
        number=number,
        total="0",
        issued_on=issued_on or date(2026, 11, 2),
    )
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.DRAFT, number="")
    for position, amount in enumerate(amounts, start=1):
        InvoiceLine.objects.create(
            collective=mission.collective,
            invoice=invoice,
            position=position,
            description=f"Ligne {position}",
            quantity=Decimal("1"),
            unit_price=Decimal(amount),
            vat_category="S",
            vat_rate=Decimal("20"),
            net_amount=Decimal(amount),
        )
    net = sum(Decimal(amount) for amount in amounts)
    tax = (net * Decimal("0.2")).quantize(Decimal("0.01"))
    Invoice.objects.filter(pk=invoice.pk).update(
        status=Invoice.Status.ISSUED,
        number=number,
        total_excl_tax=net,
        total_tax=tax,
        total_incl_tax=net + tax,
        tax_breakdown=[{"category": "S", "rate": "20.00", "base": str(net), "tax": str(tax)}],
        pdf=PDF,
        pdf_sha256=_sha(PDF),
        xml=XML,
        xml_sha256=_sha(XML),
        issued_at=timezone.now(),
    )
    return Invoice.objects.get(pk=invoice.pk)


def draft_invoice(mission) -> Invoice:
    return Invoice.objects.create(
        collective=mission.collective,
        plan=mission_plan(mission),
        seller=member_seller(mission.collective, mission.lead),
        client=mission.client,
        mission=mission,
        total_incl_tax=Decimal("99.00"),
    )


def credit_note(invoice: Invoice, *, number: str, amount: str) -> Invoice:
    return Invoice.objects.create(
        collective=invoice.collective,
        plan=invoice.plan,
        seller=invoice.seller,
        client=invoice.client,
        mission=invoice.mission,
        document_type=Invoice.DocumentType.CREDIT_NOTE,
        corrects=invoice,
        status=Invoice.Status.ISSUED,
        number=number,
        issued_on=invoice.issued_on,
        issued_at=timezone.now(),
        total_incl_tax=Decimal(amount),
    )


def payment(invoice: Invoice, amount: str) -> Payment:
    return Payment.objects.create(
        collective=invoice.collective, invoice=invoice, paid_on=date(2026, 11, 20), amount=Decimal(amount)
    )


def quote(mission, *, status=Quote.Status.SENT, number="D-1") -> Quote:
    return Quote.objects.create(
        collective=mission.collective,
        mission=mission,
        plan=mission_plan(mission),
        seller=member_seller(mission.collective, mission.lead),
        status=status,
        number=number if status != Quote.Status.DRAFT else "",
        issued_on=date(2026, 10, 1) if status != Quote.Status.DRAFT else None,
        valid_until=date.today() + timedelta(days=30),
        lines={
            "items": [
                {
                    "description": "Audit",
                    "quantity": "1",
                    "unit": "forfait",
                    "unit_price": "3000.00",
                    "amount": "3000.00",
                },
                {"description": "Régie", "quantity": "", "unit": "j", "unit_price": "600.00", "amount": ""},
            ],
            "conditions": ["Paiement à 30 jours"],
        },
        total_excl_vat=Decimal("3000.00"),
        vat_amount=Decimal("600.00"),
        total_incl_vat=Decimal("3600.00"),
        sent_at=timezone.now() if status != Quote.Status.DRAFT else None,
    )


def split(mission, *, status=RevenueSplit.Status.PROPOSED) -> RevenueSplit:
    member = MembershipFactory(collective=mission.collective).user
    revenue_split = RevenueSplit.objects.create(
        collective=mission.collective,
        mission=mission,
        plan=mission_plan(mission),
        source=RevenueSplit.Source.DELIVERABLE,
        deliverable=DeliverableFactory(mission=mission),
        amount=Decimal("2000.00"),
        method=RevenueSplit.Method.AGREED_BEFORE,
        status=status,
        common_fund_percent=Decimal("5"),
        proposed_at=None if status == RevenueSplit.Status.DRAFT else timezone.now(),
    )
    for user, amount in ((mission.lead, "1140.00"), (member, "760.00")):
        SplitShare.objects.create(
            collective=mission.collective,
            split=revenue_split,
            kind="member",
            user=user,
            amount=Decimal(amount),
        )
    SplitShare.objects.create(
        collective=mission.collective, split=revenue_split, kind="common_fund", amount=Decimal("100.00")
    )
    SplitApproval.objects.create(
        collective=mission.collective, split=revenue_split, user=mission.lead, decision="approve"
    )
    return revenue_split


def billing_rows(mission, count: int = 1) -> list[Invoice]:
    """`count` issued invoices (each with a payment, a credit note on the first), quotes and splits, and a
    draft of each kind that the API must never show."""
    invoices = [invoice_with_lines(mission, number=f"F-{mission.pk}-{n}") for n in range(count)]
    for invoice in invoices:
        payment(invoice, "100.00")
    credit_note(invoices[0], number=f"AV-{mission.pk}-1", amount="50.00")
    for n in range(count):
        quote(mission, number=f"D-{mission.pk}-{n}")
        split(mission)
    draft_invoice(mission)
    quote(mission, status=Quote.Status.DRAFT)
    split(mission, status=RevenueSplit.Status.DRAFT)
    return invoices
