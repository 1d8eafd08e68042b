"""A mission ready to invoice: a delivered milestone of an active plan in a chosen invoicing mode, a
second member on the team, an approved revenue split, the client's finance contact; and helpers."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone, translation
from django.utils.translation import gettext

from cordee.billing.models import (
    BillingMandate,
    BillingPlan,
    Invoice,
    InvoiceBatch,
    LegalSeller,
    PlanDeliverable,
    RevenueSplit,
    SplitShare,
)
from cordee.billing.services.invoices import invoice_batch_draft, invoice_issue
from cordee.billing.services.sellers import entity_seller_save, member_seller_for
from cordee.billing.tests.conftest import make_ready
from cordee.clients.models import ClientContact
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Deliverable
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionMemberFactory,
    TimeEntryFactory,
)

SECOND_MEMBER = {
    "full_name": "Paul Durand",
    "business_name": "Paul Durand Conseil",
    "legal_form": "micro",
    "siret": "55208131700018",
    "vat_regime": "registered",
    "vat_number": "FR40552081317",
    "address_line": "3 quai de Bercy",
    "postal_code": "69002",
    "city": "Lyon",
    "iban": "FR7630004000031234567890143",
    "bic": "BNPAFRPP",
    "account_holder": "Paul Durand",
}
ENTITY = {
    "name": "Cordée Studio SAS",
    "entity_form": "sas",
    "siren": "443061841",
    "siret": "44306184100013",
    "vat_regime": "registered",
    "vat_number": "FR64443061841",
    "rcs_city": "Paris",
    "share_capital": Decimal("5000"),
    "address_line": "10 rue de la Paix",
    "postal_code": "75002",
    "city": "Paris",
    "iban": "FR7610107001011234567890129",
    "bic": "BREDFRPP",
    "account_holder": "Cordée Studio SAS",
}


@dataclass
class Invoicing:
    world: object
    member: object
    plan: BillingPlan
    deliverable: Deliverable
    split: RevenueSplit
    finance: ClientContact
    entity: LegalSeller | None = None
    extra: dict = field(default_factory=dict)

    @property
    def lead(self):
        return self.world.lead

    @property
    def mission(self):
        return self.world.mission

    def seller_of(self, user) -> LegalSeller:
        return LegalSeller.objects.get(collective=self.world.collective, kind="member", user=user)

    def draft(self, **source) -> InvoiceBatch:
        return invoice_batch_draft(
            by=self.lead, mission_id=self.mission.pk, **(source or {"deliverable_id": self.deliverable.pk})
        )

    def invoice_of(self, batch, user=None, *, to_client=True) -> Invoice:
        invoices = batch.invoices.filter(client__isnull=not to_client)
        if user is not None:
            invoices = invoices.filter(seller__user=user)
        return invoices.get()


def in_french(message: str, **values) -> str:
    """A text as the invoices print it: in French, through the catalogue."""
    with translation.override("fr"):
        return gettext(message) % values


def entity_seller(world) -> LegalSeller:
    return entity_seller_save(by=world.lead, collective_id=world.collective.pk, values=ENTITY)


def approved_split(
    mission, plan, deliverable, amounts: dict, *, fund: Decimal = Decimal("0")
) -> RevenueSplit:
    """An approved split of the deliverable's price: {user: amount}, and the common fund's part."""
    split = RevenueSplit.objects.create(
        collective=mission.collective,
        mission=mission,
        plan=plan,
        source=RevenueSplit.Source.DELIVERABLE,
        deliverable=deliverable,
        amount=sum(amounts.values(), fund),
        method=RevenueSplit.Method.AGREED_BEFORE,
        status=RevenueSplit.Status.APPROVED,
        approved_at=timezone.now(),
    )
    for user, amount in amounts.items():
        SplitShare.objects.create(
            collective=mission.collective, split=split, kind="member", user=user, amount=amount
        )
    if fund:
        SplitShare.objects.create(collective=mission.collective, split=split, kind="common_fund", amount=fund)
    return split


def ready_to_invoice(
    world,
    mode=BillingPlan.InvoicingMode.PER_MEMBER,
    *,
    lead_amount=Decimal("1200.00"),
    member_amount=Decimal("800.00"),
    fund=Decimal("0"),
    member_identity=None,
) -> Invoicing:
    member = MembershipFactory(collective=world.collective).user
    make_ready(member, **(member_identity or SECOND_MEMBER))
    MissionMemberFactory(mission=world.mission, user=member)
    entity = entity_seller(world) if mode == BillingPlan.InvoicingMode.ENTITY else None
    lead_seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=member.pk)
    plan = BillingPlan.objects.create(
        collective=world.collective,
        mission=world.mission,
        version=1,
        status=BillingPlan.Status.ACTIVE,
        model=BillingPlan.Model.MILESTONE,
        invoicing_mode=mode,
        seller=entity or lead_seller,
        created_by=world.lead,
    )
    deliverable = DeliverableFactory(
        mission=world.mission,
        title="Maquettes",
        status=Deliverable.Status.DELIVERED,
        delivered_at=timezone.now() - timedelta(days=1),
    )
    PlanDeliverable.objects.create(
        collective=world.collective,
        plan=plan,
        deliverable=deliverable,
        price=lead_amount + member_amount + fund,
    )
    split = approved_split(
        world.mission, plan, deliverable, {world.lead: lead_amount, member: member_amount}, fund=fund
    )
    finance = ClientContactFactory(
        client=world.client, full_name="Nora Petit", email="compta@client.fr", role=ClientContact.Role.FINANCE
    )
    return Invoicing(
        world=world,
        member=member,
        plan=plan,
        deliverable=deliverable,
        split=split,
        finance=finance,
        entity=entity,
    )


def another_milestone(invoicing: Invoicing, title="Prototype", amounts=None) -> InvoiceBatch:
    """A second delivered milestone of the plan, split and drafted."""
    deliverable = DeliverableFactory(
        mission=invoicing.mission,
        title=title,
        status=Deliverable.Status.DELIVERED,
        delivered_at=timezone.now(),
    )
    amounts = amounts or {invoicing.lead: Decimal("500.00"), invoicing.member: Decimal("500.00")}
    PlanDeliverable.objects.create(
        collective=invoicing.world.collective,
        plan=invoicing.plan,
        deliverable=deliverable,
        price=sum(amounts.values(), Decimal("0")),
    )
    approved_split(invoicing.mission, invoicing.plan, deliverable, amounts)
    return invoicing.draft(deliverable_id=deliverable.pk)


def log_time(invoicing: Invoicing, user, hours="7", day: date | None = None):
    return TimeEntryFactory(
        mission=invoicing.mission,
        user=user,
        deliverable=invoicing.deliverable,
        hours=Decimal(hours),
        date=day or date.today() - timedelta(days=2),
    )


def mandate(invoicing: Invoicing, *, issuer=None, **overrides) -> BillingMandate:
    values = {
        "collective": invoicing.world.collective,
        "seller": invoicing.seller_of(invoicing.member),
        "issuer": issuer or invoicing.seller_of(invoicing.lead),
        "signed_on": date.today() - timedelta(days=30),
        "scope": "Factures des missions du collectif",
        "contest_days": 15,
    }
    return BillingMandate.objects.create(**{**values, **overrides})


def issue_all(batch, users) -> list[Invoice]:
    issued = []
    for invoice in batch.invoices.select_related("seller", "issuer").order_by("pk"):
        acting = invoice.issuer or invoice.seller
        user = acting.user if acting.is_member else users["manager"]
        issued.append(invoice_issue(by=user, invoice_id=invoice.pk))
    return issued
