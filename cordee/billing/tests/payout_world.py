"""A collective where one seller collected the client's money: the lead re-invoices (or the entity
invoices), members invoiced the seller for their shares, and the client paid. Rows are made directly
(the invoices and payments areas test how they are issued and paid)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import count

from cordee.accounts.models import User
from cordee.billing.models import BillingPlan, Invoice, InvoiceBatch, LegalSeller, Payment
from cordee.billing.services.sellers import member_seller_for
from cordee.billing.tests.conftest import make_ready
from cordee.collectives.models import Collective
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import MissionFactory

NUMBERS = count(1)
ENTITY_IDENTITY = {
    "name": "Atelier Commun SAS",
    "entity_form": "sas",
    "siren": "552081317",
    "vat_regime": "registered",
    "vat_number": "FR40552081317",
    "rcs_city": "Paris",
    "share_capital": Decimal("1000"),
    "address_line": "8 boulevard Voltaire",
    "postal_code": "75011",
    "city": "Paris",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "account_holder": "Atelier Commun SAS",
}


@dataclass
class PayoutWorld:
    collective: Collective
    mission: Mission
    plan: BillingPlan
    seller: LegalSeller
    lead: User
    members: list[User]
    member_sellers: dict[int, LegalSeller] = field(default_factory=dict)


def payout_world(
    mode=BillingPlan.InvoicingMode.LEAD_REINVOICES, *, entity=False, member_count=2
) -> PayoutWorld:
    mission = MissionFactory(title="Refonte du site", start_date=date(2026, 3, 2))
    lead = make_ready(mission.lead)
    client = mission.client
    client.name = "Société Cliente"
    client.address_line, client.postal_code, client.city = "5 avenue de France", "75013", "Paris"
    client.save()
    members = []
    for index in range(member_count):
        user = MembershipFactory(collective=mission.collective).user
        make_ready(
            user,
            full_name=f"Hélène Dupré {index}",
            business_name=f"Hélène Dupré Studio {index}",
            iban="FR1420041010050500013M02606",
            bic="",
            account_holder=f"Hélène Dupré {index}",
            siret="73282932000074",
        )
        members.append(user)
    if entity:
        seller = LegalSeller.objects.create(
            collective=mission.collective, kind=LegalSeller.Kind.ENTITY, **ENTITY_IDENTITY
        )
    else:
        seller = member_seller_for(by=lead, collective_id=mission.collective_id, user_id=lead.pk)
    plan = BillingPlan.objects.create(
        collective=mission.collective,
        mission=mission,
        version=1,
        status=BillingPlan.Status.ACTIVE,
        model=BillingPlan.Model.MILESTONE,
        invoicing_mode=mode,
        seller=seller,
        created_by=lead,
    )
    world = PayoutWorld(mission.collective, mission, plan, seller, lead, members)
    for user in members:
        world.member_sellers[user.pk] = member_seller_for(
            by=lead, collective_id=mission.collective_id, user_id=user.pk
        )
    return world


def _invoice(world: PayoutWorld, *, seller, batch, issued_on, total, tax=Decimal("0"), **buyer) -> Invoice:
    number = f"FAC-{issued_on.year}-{next(NUMBERS):05d}"
    buyer_name = buyer["client"].name if "client" in buyer else buyer["buyer_seller"].display_name
    return Invoice.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=world.plan,
        batch=batch,
        seller=seller,
        status=Invoice.Status.ISSUED,
        number=number,
        issued_on=issued_on,
        due_on=issued_on,
        buyer_snapshot={"name": buyer_name},
        total_excl_tax=total - tax,
        total_tax=tax,
        total_incl_tax=total,
        **buyer,
    )


def invoiced(world: PayoutWorld, shares: dict, *, issued_on=date(2026, 4, 30), paid_on=None, client=None):
    """A client invoice of the seller for the sum of the shares, and each member's invoice to the seller
    for theirs; paid by the client on `paid_on` when given. Returns (client invoice, member invoices)."""
    batch = InvoiceBatch.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=world.plan,
        label="Livrable 1",
        created_by=world.lead,
    )
    total = sum(shares.values(), Decimal("0"))
    client_invoice = _invoice(
        world,
        seller=world.seller,
        batch=batch,
        issued_on=issued_on,
        total=total * Decimal("1.2"),
        tax=total * Decimal("0.2"),
        client=client or world.mission.client,
    )
    member_invoices = {
        user.pk: _invoice(
            world,
            seller=world.member_sellers[user.pk],
            batch=batch,
            issued_on=issued_on,
            total=amount,
            buyer_seller=world.seller,
        )
        for user, amount in shares.items()
    }
    if paid_on:
        client_paid(world, client_invoice, paid_on)
    return client_invoice, member_invoices


def client_paid(world: PayoutWorld, invoice: Invoice, paid_on: date, amount=None) -> Payment:
    amount = amount or invoice.total_incl_tax
    payment = Payment.objects.create(
        collective=world.collective, invoice=invoice, paid_on=paid_on, amount=amount, reference="VIR CLIENT"
    )
    invoice.amount_paid += amount
    invoice.payment_status = (
        Invoice.PaymentStatus.PAID
        if invoice.amount_paid >= invoice.total_incl_tax
        else Invoice.PaymentStatus.PARTLY_PAID
    )
    invoice.save(update_fields=["amount_paid", "payment_status"])
    return payment
