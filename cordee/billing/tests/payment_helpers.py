"""Issued invoices for the payment and reminder tests: a mission's batch of per-member invoices, each from
its member's legal seller with the seller's snapshot (late-penalty rate) taken at issue."""

from datetime import date, timedelta
from decimal import Decimal

from cordee.billing.models import BillingPlan, Invoice, InvoiceBatch, LegalSeller
from cordee.billing.services.sellers import seller_identity
from cordee.billing.tests.conftest import make_ready
from cordee.core.tests.factories import MembershipFactory


def member_seller(collective, user, **identity) -> LegalSeller:
    make_ready(user, **identity)
    seller, _ = LegalSeller.objects.get_or_create(
        collective=collective, kind=LegalSeller.Kind.MEMBER, user=user
    )
    return seller


def teammate(collective, **identity):
    user = MembershipFactory(collective=collective).user
    return user, member_seller(collective, user, **identity)


def mission_plan(mission) -> BillingPlan:
    """The mission's active plan (a milestone plan sold by the lead's business), created once."""
    plan = BillingPlan.objects.filter(mission=mission, status=BillingPlan.Status.ACTIVE).first()
    if plan is None:
        plan = BillingPlan.objects.create(
            collective=mission.collective,
            mission=mission,
            version=1,
            status=BillingPlan.Status.ACTIVE,
            model=BillingPlan.Model.MILESTONE,
            seller=LegalSeller.objects.get_or_create(
                collective=mission.collective, kind=LegalSeller.Kind.MEMBER, user=mission.lead
            )[0],
        )
    return plan


def issued_invoice(
    *,
    mission,
    seller: LegalSeller,
    batch: InvoiceBatch | None,
    number: str,
    total: str,
    issued_on: date,
    due_on: date | None = None,
    flow: str = Invoice.Flow.B2B,
) -> Invoice:
    return Invoice.objects.create(
        collective=mission.collective,
        plan=mission_plan(mission),
        seller=seller,
        client=mission.client,
        mission=mission,
        batch=batch,
        number=number,
        issued_on=issued_on,
        due_on=due_on or issued_on + timedelta(days=30),
        flow=flow,
        status=Invoice.Status.ISSUED,
        document_type="380",
        seller_snapshot=seller_identity(seller),
        buyer_snapshot={"name": mission.client.name},
        total_incl_tax=Decimal(total),
    )


def mission_batch(mission, **kwargs) -> InvoiceBatch:
    return InvoiceBatch.objects.create(
        collective=mission.collective,
        mission=mission,
        plan=mission_plan(mission),
        label="Livraison",
        **kwargs,
    )
