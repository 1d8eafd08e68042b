"""A collective whose billing each member sees differently (`cordee.billing.access`), for the pages' and the
API's tests: an admin, a lead who is not an admin, two members in the team, a member outside it; a client's
invoice of one member's business, invoices between businesses (to the lead's, to the collective's entity),
payments and a proposed split. Rows are built directly: the issuing services have their own tests."""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from cordee.accounts.models import User
from cordee.billing.models import Invoice, LegalSeller, Payment, RevenueSplit, SplitShare
from cordee.billing.services.sellers import seller_identity
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_plan
from cordee.collectives.models import Collective
from cordee.core.tests.factories import AdminMembershipFactory, CollectiveFactory, MembershipFactory
from cordee.missions.models import Mission, MissionMember
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory

PDF = b"%PDF-1.7 an invoice printing an IBAN"
IBANS = {
    "lead": "FR7611111111111111111111101",
    "teammate": "FR7622222222222222222222202",
    "other": "FR7633333333333333333333303",
    "entity": "FR7644444444444444444444404",
}


@dataclass
class AccessWorld:
    collective: Collective
    mission: Mission
    admin: User
    lead: User
    teammate: User  # in the team; their business invoices the client
    other: User  # in the team; their business invoices the lead's and the entity
    outsider: User  # a member of the collective, not in the mission's team
    client_invoice: Invoice
    to_lead: Invoice
    to_entity: Invoice
    split: RevenueSplit


def _with_files(invoice: Invoice, **changes) -> Invoice:
    Invoice.objects.filter(pk=invoice.pk).update(
        pdf=PDF, pdf_sha256=hashlib.sha256(PDF).hexdigest(), issued_at=timezone.now(), **changes
    )
    return Invoice.objects.get(pk=invoice.pk)


def _between(mission, seller: LegalSeller, buyer: LegalSeller, number: str) -> Invoice:
    invoice = issued_invoice(
        mission=mission, seller=seller, batch=None, number=number, total="500.00", issued_on=date(2026, 11, 3)
    )
    return _with_files(invoice, client=None, buyer_seller=buyer, buyer_snapshot=seller_identity(buyer))


def access_world() -> AccessWorld:
    collective = CollectiveFactory()
    admin = AdminMembershipFactory(collective=collective).user
    lead, teammate, other, outsider = (MembershipFactory(collective=collective).user for _n in range(4))
    mission = MissionFactory(collective=collective, lead=lead)
    for user in (teammate, other):
        MissionMember.objects.create(collective=collective, mission=mission, user=user)
    sellers = {
        name: member_seller(collective, user, iban=IBANS[name])
        for name, user in (("lead", lead), ("teammate", teammate), ("other", other))
    }
    entity = LegalSeller.objects.create(
        collective=collective, kind=LegalSeller.Kind.ENTITY, name="Coop Cordée", iban=IBANS["entity"]
    )
    mission_plan(mission)
    client_invoice = _with_files(
        issued_invoice(
            mission=mission,
            seller=sellers["teammate"],
            batch=None,
            number="F-T-1",
            total="1200.00",
            issued_on=date(2026, 11, 2),
        )
    )
    to_lead = _between(mission, sellers["other"], sellers["lead"], "F-O-1")
    to_entity = _between(mission, sellers["other"], entity, "F-O-2")
    for invoice in (client_invoice, to_lead, to_entity):
        Payment.objects.create(
            collective=collective, invoice=invoice, paid_on=date(2026, 11, 20), amount=Decimal("100.00")
        )
    split = RevenueSplit.objects.create(
        collective=collective,
        mission=mission,
        plan=mission_plan(mission),
        source=RevenueSplit.Source.DELIVERABLE,
        deliverable=DeliverableFactory(mission=mission),
        amount=Decimal("1000.00"),
        method=RevenueSplit.Method.AGREED_BEFORE,
        status=RevenueSplit.Status.PROPOSED,
        proposed_at=timezone.now(),
    )
    for user, amount in ((teammate, "600.00"), (other, "400.00")):
        SplitShare.objects.create(
            collective=collective, split=split, kind="member", user=user, amount=Decimal(amount)
        )
    return AccessWorld(
        collective=collective,
        mission=mission,
        admin=admin,
        lead=lead,
        teammate=teammate,
        other=other,
        outsider=outsider,
        client_invoice=client_invoice,
        to_lead=to_lead,
        to_entity=to_entity,
        split=split,
    )


def more_billing(world: AccessWorld, count: int) -> None:
    """`count` more of each: client invoices, invoices between businesses, payments, proposed splits."""
    seller = world.client_invoice.seller
    for n in range(count):
        invoices = [
            _with_files(
                issued_invoice(
                    mission=world.mission,
                    seller=seller,
                    batch=None,
                    number=f"F-T-more-{n}",
                    total="10.00",
                    issued_on=date(2026, 11, 2),
                )
            ),
            _between(world.mission, world.to_lead.seller, world.to_lead.buyer_seller, f"F-O-more-{n}"),
        ]
        for invoice in invoices:
            Payment.objects.create(
                collective=world.collective, invoice=invoice, paid_on=date(2026, 11, 21), amount=Decimal("1")
            )
        split = RevenueSplit.objects.get(pk=world.split.pk)
        shares = list(split.shares.all())
        split.pk = None
        split.deliverable = DeliverableFactory(mission=world.mission)
        split.save()
        for share in shares:
            share.pk = None
            share.split = split
            share.save()
