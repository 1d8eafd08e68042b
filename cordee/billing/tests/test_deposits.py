"""Deposit invoices (factures d'acompte) and the final invoices that deduct them; bonus invoices.

A quote promising "a deposit of 30 % invoiced on acceptance" makes the deposit an invoiceable amount once
the client accepts it: split by shares agreed before the work, approved by each member, then drafted and
issued like a milestone's invoices (BT-3 386 in the CII). Each seller's later invoices to the same buyer
deduct what is left of their deposit (BT-113 prepaid, BT-115 due reduced, BT-25 the deposit's number,
BT-23 S4), never more than the deposit nor twice.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from hypothesis import given
from hypothesis import strategies as st

from cordee.billing import einvoice_check
from cordee.billing.models import BillingPlan, Invoice, Quote, RevenueSplit
from cordee.billing.services.invoices import credit_note_issue, deposit_deduction, invoice_batch_draft
from cordee.billing.services.plans import PlanInput, PortalRefused, plan_bonus_measure, plan_save
from cordee.billing.services.quotes import quote_draft, quote_send
from cordee.billing.services.splits import SplitChoice, split_approve, split_propose, split_sources
from cordee.billing.tests.conftest import make_ready
from cordee.billing.tests.invoicing import SECOND_MEMBER, approved_split, in_french, issue_all
from cordee.billing.tests.test_einvoice import GOLDEN_DIR, pdf_text, xml_text
from cordee.billing.tests.test_quotes import accept
from cordee.clients.models import ClientContact
from cordee.core.money import ZERO, money_sum, percent_of, round_cents
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Deliverable
from cordee.missions.tests.factories import ClientContactFactory, DeliverableFactory, MissionMemberFactory

pytestmark = pytest.mark.django_db

THIRD_MEMBER = {
    "full_name": "Inès Roux",
    "business_name": "Inès Roux Studio",
    "legal_form": "micro",
    "siret": "40483304800022",
    "vat_regime": "franchise",
    "address_line": "4 rue Paradis",
    "postal_code": "13001",
    "city": "Marseille",
    "iban": "FR7610278060610001020480101",
    "bic": "CMCIFR2A",
    "account_holder": "Inès Roux",
}
SUMMATION = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation/"


@pytest.fixture(scope="session")
def schematrons():
    einvoice_check.schematrons_load()


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@dataclass
class Team:
    world: object
    vat_member: object  # VAT-registered
    franchise_member: object
    plan: BillingPlan
    quote: Quote
    deliverables: list[Deliverable]

    @property
    def lead(self):
        return self.world.lead

    @property
    def members(self):
        return [self.lead, self.vat_member, self.franchise_member]

    def propose_deposit_split(self, percents=("40", "35", "25")) -> RevenueSplit:
        choice = SplitChoice(
            method=RevenueSplit.Method.AGREED_BEFORE,
            percents={
                user.pk: Decimal(percent) for user, percent in zip(self.members, percents, strict=True)
            },
        )
        return split_propose(
            by=self.lead,
            mission_id=self.world.mission.pk,
            kind=RevenueSplit.Source.DEPOSIT,
            source_id=self.plan.pk,
            choice=choice,
        )

    def approve_deposit(self, **options) -> RevenueSplit:
        split = self.propose_deposit_split(**options)
        for member in (self.vat_member, self.franchise_member):
            split = split_approve(by=member, split_id=split.pk)
        return split

    def draft(self, **source):
        return invoice_batch_draft(by=self.lead, mission_id=self.world.mission.pk, **source)

    def deliver(self, index: int, amounts: dict) -> Deliverable:
        deliverable = self.deliverables[index]
        Deliverable.objects.filter(pk=deliverable.pk).update(
            status=Deliverable.Status.DELIVERED, delivered_at=timezone.now() - timedelta(hours=1)
        )
        deliverable.refresh_from_db()
        approved_split(self.world.mission, self.plan, deliverable, amounts)
        return deliverable


def team_with_quote(world, *, deposit_percent=Decimal("30"), prices=("6000", "4000"), **plan) -> Team:
    """A lead under the franchise, a VAT-registered member and a franchise member on a milestone plan of
    10,000.00 € whose quote promises a deposit; the quote is sent, not accepted yet."""
    vat_member = MembershipFactory(collective=world.collective).user
    make_ready(vat_member, **SECOND_MEMBER)
    franchise_member = MembershipFactory(collective=world.collective).user
    make_ready(franchise_member, **THIRD_MEMBER)
    for user in (vat_member, franchise_member):
        MissionMemberFactory(mission=world.mission, user=user)
    ClientContactFactory(
        client=world.client, full_name="Nora Petit", email="compta@client.fr", role=ClientContact.Role.FINANCE
    )
    deliverables = [
        DeliverableFactory(mission=world.mission, title=title) for title in ("Maquettes", "Prototype")
    ]
    plan = plan_save(
        by=world.lead,
        mission_id=world.mission.pk,
        plan_input=PlanInput(
            model=BillingPlan.Model.MILESTONE,
            deliverable_prices=[
                (deliverable.pk, Decimal(price), None)
                for deliverable, price in zip(deliverables, prices, strict=True)
            ],
            deposit_percent=deposit_percent,
            **plan,
        ),
        consequences_confirmed=True,
    )
    draft = quote_draft(
        by=world.lead, mission_id=world.mission.pk, valid_until=timezone.localdate() + timedelta(days=30)
    )
    quote = quote_send(by=world.lead, quote_id=draft.pk)
    return Team(world, vat_member, franchise_member, plan, quote, deliverables)


@pytest.fixture
def team(world) -> Team:
    return team_with_quote(world)


@pytest.fixture
def accepted(team) -> Team:
    accept(team.world, team.quote)
    team.plan.refresh_from_db()
    return team


def deposit_sources(mission):
    return [source for source in split_sources(mission) if source.kind == RevenueSplit.Source.DEPOSIT]


def issued_deposits(team: Team) -> list[Invoice]:
    team.approve_deposit()
    return issue_all(team.draft(kind=Invoice.Kind.DEPOSIT), {"manager": team.lead})


def by_seller(invoices) -> dict:
    return {invoice.seller.user: invoice for invoice in invoices}


# --- On acceptance, once ------------------------------------------------------------------------------


def test_the_deposit_becomes_invoiceable_when_the_quote_is_accepted_and_only_once(team):
    assert deposit_sources(team.world.mission) == []  # sent, not accepted: nothing to invoice

    accept(team.world, team.quote)

    [source] = deposit_sources(team.world.mission)
    assert source.amount == Decimal("3000.00")  # 30 % of the quote's 10,000.00 € excl. VAT
    assert source.methods == [(RevenueSplit.Method.AGREED_BEFORE, RevenueSplit.Method.AGREED_BEFORE.label)]
    with pytest.raises(PortalRefused):
        accept(team.world, team.quote)
    assert len(deposit_sources(team.world.mission)) == 1


def test_a_quote_without_deposit_gives_no_deposit_to_invoice(world):
    team = team_with_quote(world, deposit_percent=None)
    accept(world, team.quote)
    assert deposit_sources(world.mission) == []
    with pytest.raises(ValidationError) as refused:
        team.draft(kind=Invoice.Kind.DEPOSIT)
    assert refused.value.messages == [
        "There is no deposit to invoice: the client has not accepted a quote with a deposit."
    ]


def test_the_deposit_is_not_invoiced_before_every_member_approves_its_split(accepted):
    accepted.propose_deposit_split()
    with pytest.raises(ValidationError) as refused:
        accepted.draft(kind=Invoice.Kind.DEPOSIT)
    assert refused.value.messages == ["The revenue split of this amount is not approved by every member yet."]
    assert not Invoice.objects.exists()


def test_30_percent_of_10000_split_in_three_by_hand(accepted):
    split = accepted.approve_deposit()
    assert split.status == RevenueSplit.Status.APPROVED
    assert sorted(share.amount for share in split.shares.all()) == [
        Decimal("750.00"),
        Decimal("1050.00"),
        Decimal("1200.00"),
    ]

    batch = accepted.draft(kind=Invoice.Kind.DEPOSIT)
    issued = by_seller(issue_all(batch, {"manager": accepted.lead}))

    lead, vat, franchise = (issued[user] for user in accepted.members)
    assert (lead.total_excl_tax, lead.total_tax, lead.total_incl_tax) == (
        Decimal("1200.00"),
        ZERO,
        Decimal("1200.00"),
    )
    assert (vat.total_excl_tax, vat.total_tax, vat.total_incl_tax) == (
        Decimal("1050.00"),
        Decimal("210.00"),
        Decimal("1260.00"),
    )
    assert franchise.total_incl_tax == Decimal("750.00")
    assert all(invoice.kind == Invoice.Kind.DEPOSIT and invoice.number for invoice in issued.values())
    accepted.quote.refresh_from_db()
    with translation.override("fr"):
        accepted_on = date_format(timezone.localdate(accepted.quote.accepted_at), "DATE_FORMAT")
    assert batch.label == in_french(
        "Deposit of %(percent)s%% of quote %(number)s accepted on %(date)s",
        percent="30",
        number=accepted.quote.number,
        date=accepted_on,
    )


def test_drafting_the_deposit_again_does_nothing(accepted):
    accepted.approve_deposit()
    batch = accepted.draft(kind=Invoice.Kind.DEPOSIT)

    with pytest.raises(ValidationError) as refused:
        accepted.draft(kind=Invoice.Kind.DEPOSIT)
    assert refused.value.messages == ["Invoices of this amount are already drafted: issue or discard them."]
    issued = issue_all(batch, {"manager": accepted.lead})
    with pytest.raises(ValidationError) as refused:
        accepted.draft(kind=Invoice.Kind.DEPOSIT)
    [message] = refused.value.messages
    assert message in {
        f"This amount is already invoiced ({invoice.number}): cancel that invoice by a credit note first."
        for invoice in issued
    }
    assert Invoice.objects.filter(kind=Invoice.Kind.DEPOSIT).count() == 3


def test_an_amendment_accepted_later_does_not_bring_a_second_deposit(accepted):
    issued_deposits(accepted)
    plan_save(
        by=accepted.lead,
        mission_id=accepted.world.mission.pk,
        plan_input=PlanInput(
            model=BillingPlan.Model.MILESTONE,
            deliverable_prices=[(d.pk, Decimal("6000"), None) for d in accepted.deliverables],
            deposit_percent=Decimal("30"),
        ),
    )
    draft = quote_draft(
        by=accepted.lead,
        mission_id=accepted.world.mission.pk,
        valid_until=timezone.localdate() + timedelta(days=30),
    )
    accept(accepted.world, quote_send(by=accepted.lead, quote_id=draft.pk))
    assert deposit_sources(accepted.world.mission) == []


# --- The final invoices deduct it --------------------------------------------------------------------


def test_the_next_invoice_of_each_seller_deducts_their_deposit_once(accepted):
    deposits = by_seller(issued_deposits(accepted))
    lead, vat, franchise = accepted.members
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    finals = by_seller(issue_all(accepted.draft(deliverable_id=first.pk), {"manager": lead}))

    assert finals[lead].deposit_invoice == deposits[lead]
    assert (finals[lead].total_incl_tax, finals[lead].prepaid_amount, finals[lead].amount_due) == (
        Decimal("2400.00"),
        Decimal("1200.00"),
        Decimal("1200.00"),
    )
    # VAT seller: 2,100.00 + 420.00 VAT, less the deposit's 1,260.00 incl. VAT.
    assert (finals[vat].total_incl_tax, finals[vat].prepaid_amount, finals[vat].amount_due) == (
        Decimal("2520.00"),
        Decimal("1260.00"),
        Decimal("1260.00"),
    )
    assert finals[franchise].prepaid_amount == Decimal("750.00")
    assert {invoice.invoicing_frame for invoice in finals.values()} == {"S4"}
    assert finals[vat].balance_due == Decimal("1260.00")

    second = accepted.deliver(
        1, {lead: Decimal("1600.00"), vat: Decimal("1400.00"), franchise: Decimal("1000.00")}
    )
    later = by_seller(issue_all(accepted.draft(deliverable_id=second.pk), {"manager": lead}))
    assert {(invoice.prepaid_amount, invoice.deposit_invoice_id) for invoice in later.values()} == {
        (ZERO, None)
    }
    assert {invoice.invoicing_frame for invoice in later.values()} == {"S1"}
    # Deposit + what the two final invoices ask for = the plan's 10,000.00 € (+ VAT of the VAT seller).
    asked = money_sum(
        [d.total_incl_tax for d in deposits.values()]
        + [i.amount_due for i in [*finals.values(), *later.values()]]
    )
    assert asked == Decimal("10000.00") + percent_of(Decimal("3500.00"), 20)


def test_never_more_than_the_invoice_nor_than_the_deposit(world):
    team = team_with_quote(world, prices=("1000", "9000"))
    accept(world, team.quote)
    deposits = by_seller(issued_deposits(team))  # 3,000.00 €: 1,200 / 1,050 (+VAT) / 750
    lead, vat, franchise = team.members
    small = team.deliver(0, {lead: Decimal("400.00"), vat: Decimal("300.00"), franchise: Decimal("300.00")})
    firsts = by_seller(issue_all(team.draft(deliverable_id=small.pk), {"manager": lead}))
    assert [(i.prepaid_amount, i.amount_due) for i in firsts.values()] == [
        (Decimal("400.00"), ZERO),
        (Decimal("360.00"), ZERO),
        (Decimal("300.00"), ZERO),
    ]
    big = team.deliver(1, {lead: Decimal("3600.00"), vat: Decimal("3150.00"), franchise: Decimal("2250.00")})
    seconds = by_seller(issue_all(team.draft(deliverable_id=big.pk), {"manager": lead}))
    for user in team.members:
        assert firsts[user].prepaid_amount + seconds[user].prepaid_amount == deposits[user].total_incl_tax


def test_a_final_invoice_cancelled_by_a_credit_note_gives_its_deduction_back(accepted):
    deposits = by_seller(issued_deposits(accepted))
    lead, vat, franchise = accepted.members
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    final = by_seller(issue_all(accepted.draft(deliverable_id=first.pk), {"manager": lead}))[lead]
    credit_note_issue(by=lead, invoice_id=final.pk, reason="Erreur de montant")
    second = accepted.deliver(
        1, {lead: Decimal("1600.00"), vat: Decimal("1400.00"), franchise: Decimal("1000.00")}
    )
    again = by_seller(issue_all(accepted.draft(deliverable_id=second.pk), {"manager": lead}))[lead]
    assert (again.deposit_invoice, again.prepaid_amount) == (deposits[lead], Decimal("1200.00"))


def test_an_invoice_waits_for_the_deposit_invoice_to_be_issued(accepted):
    accepted.approve_deposit()
    accepted.draft(kind=Invoice.Kind.DEPOSIT)
    lead, vat, franchise = accepted.members
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    batch = accepted.draft(deliverable_id=first.pk)
    with pytest.raises(ValidationError) as refused:
        issue_all(batch, {"manager": lead})
    assert refused.value.messages == [
        "Issue the deposit invoice to this buyer first: this invoice then deducts it."
    ]


@given(
    prices=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("50000"), places=2), min_size=1, max_size=6
    ),
    percent=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
    vat_rate=st.sampled_from([Decimal("0"), Decimal("20"), Decimal("5.5")]),
)
def test_deposit_and_what_the_final_invoices_ask_add_up_to_the_plan_total_to_the_cent(
    prices, percent, vat_rate
):
    """One seller: the deposit (the quote's percentage of the total) and the amounts due of the milestone
    invoices that deduct it, one after the other, add up to the invoices' totals, to the cent; each
    deduction is between 0 and the invoice's total, and all of them make the deposit exactly."""
    total = money_sum(prices)
    deposit_excl = percent_of(total, percent)
    deposit = round_cents(deposit_excl + percent_of(deposit_excl, vat_rate))
    totals = [round_cents(price + percent_of(price, vat_rate)) for price in prices]
    deducted = ZERO
    dues = []
    for invoice_total in totals:
        taken = deposit_deduction(deposit=deposit, already_deducted=deducted, invoice_total=invoice_total)
        assert ZERO <= taken <= invoice_total
        deducted += taken
        dues.append(invoice_total - taken)
    assert deducted == deposit
    assert deposit + money_sum(dues) == money_sum(totals)
    if vat_rate == 0:
        assert deposit + money_sum(dues) == total


# --- Factur-X: 386 and the prepaid amount pass every check --------------------------------------------


def test_deposit_and_final_invoices_pass_the_xsd_en16931_and_br_fr_checks(schematrons, accepted):
    deposits = by_seller(issued_deposits(accepted))
    lead, vat, franchise = accepted.members
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    finals = by_seller(issue_all(accepted.draft(deliverable_id=first.pk), {"manager": lead}))
    GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
    for invoice in [*deposits.values(), *finals.values()]:
        pdf, xml = bytes(invoice.pdf), bytes(invoice.xml)
        kind = "deposit" if invoice.is_deposit else "final"
        (GOLDEN_DIR / f"{kind}-{invoice.seller.pk}-{invoice.number}.pdf").write_bytes(pdf)
        assert [str(failure) for failure in einvoice_check.xml_failures(xml) if failure.blocking] == []
        einvoice_check.pdf_check(pdf)

    deposit_xml = bytes(deposits[vat].xml)
    assert xml_text(deposit_xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["386"]
    assert xml_text(deposit_xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["S1"]
    assert xml_text(deposit_xml, SUMMATION + "ram:DuePayableAmount") == ["1260.00"]
    deposit_pdf = pdf_text(bytes(deposits[vat].pdf))
    assert "Facture d'acompte" in deposit_pdf.replace("’", "'")
    assert f"Acompte de 30 % du devis n° {accepted.quote.number}" in deposit_pdf.replace("\xa0", " ")

    final_xml = bytes(finals[vat].xml)
    assert xml_text(final_xml, "//rsm:ExchangedDocument/ram:TypeCode") == ["380"]
    assert xml_text(final_xml, "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID") == ["S4"]
    assert xml_text(final_xml, SUMMATION + "ram:GrandTotalAmount") == ["2520.00"]
    assert xml_text(final_xml, SUMMATION + "ram:TotalPrepaidAmount") == ["1260.00"]
    assert xml_text(final_xml, SUMMATION + "ram:DuePayableAmount") == ["1260.00"]
    assert xml_text(final_xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [
        deposits[vat].number
    ]
    final_pdf = pdf_text(bytes(finals[vat].pdf)).replace("\xa0", " ").replace("’", "'")
    assert "Déduction de l'acompte facturé" in final_pdf
    assert f"facture d'acompte n° {deposits[vat].number} du " in final_pdf
    assert "1 260,00 €" in final_pdf


# --- Bonus ---------------------------------------------------------------------------------------------


def test_an_approved_bonus_split_is_invoiced_with_the_bonus_label(accepted):
    plan = accepted.plan
    BillingPlan.objects.filter(pk=plan.pk).update(
        bonus_kind=BillingPlan.BonusKind.AMOUNT,
        bonus_value=Decimal("900"),
        bonus_kpi="Taux de conversion",
        bonus_target="5 %",
    )
    plan_bonus_measure(by=accepted.lead, plan_id=plan.pk, measured_value="6 %", reached=True)
    choice = SplitChoice(
        method=RevenueSplit.Method.BONUS_WEIGHTS,
        weights={accepted.lead.pk: Decimal("2"), accepted.vat_member.pk: Decimal("1")},
    )
    split = split_propose(
        by=accepted.lead,
        mission_id=accepted.world.mission.pk,
        kind=RevenueSplit.Source.BONUS,
        source_id=plan.pk,
        choice=choice,
    )
    split_approve(by=accepted.vat_member, split_id=split.pk)

    batch = accepted.draft(kind=Invoice.Kind.BONUS)

    invoices = by_seller(batch.invoices.all())
    assert {user: invoice.total_excl_tax for user, invoice in invoices.items()} == {
        accepted.lead: Decimal("600.00"),
        accepted.vat_member: Decimal("300.00"),
    }
    label = in_french("Performance bonus: %(kpi)s reached %(target)s", kpi="Taux de conversion", target="5 %")
    assert batch.label == label
    assert {invoice.lines.get().description for invoice in invoices.values()} == {label}
    assert {invoice.kind for invoice in invoices.values()} == {Invoice.Kind.BONUS}
    with pytest.raises(ValidationError):
        accepted.draft(kind=Invoice.Kind.BONUS)
    issued = issue_all(batch, {"manager": accepted.lead})
    assert all(invoice.prepaid_amount == ZERO for invoice in issued)  # a bonus never takes the deposit


def test_no_bonus_invoice_before_its_target_is_reached(accepted):
    with pytest.raises(ValidationError) as refused:
        accepted.draft(kind=Invoice.Kind.BONUS)
    assert refused.value.messages == ["There is no bonus to invoice: its target is not reached yet."]


# --- Pages ---------------------------------------------------------------------------------------------


def test_the_lead_drafts_the_deposit_from_the_billing_page(client, accepted):
    accepted.approve_deposit()
    client.force_login(accepted.lead)
    url = reverse("billing:mission", args=[accepted.world.collective.slug, accepted.world.mission.pk])
    page = client.get(url).content.decode()
    assert f'value="deposit:{accepted.plan.pk}"' in page
    assert (
        reverse(
            "billing:split_deposit",
            args=[accepted.world.collective.slug, accepted.world.mission.pk, accepted.plan.pk],
        )
        in page
    )

    response = client.post(
        reverse(
            "billing:invoice_batch_create", args=[accepted.world.collective.slug, accepted.world.mission.pk]
        ),
        {"source": f"deposit:{accepted.plan.pk}"},
    )

    assert response.status_code == 302
    assert Invoice.objects.filter(kind=Invoice.Kind.DEPOSIT).count() == 3
    assert f'value="deposit:{accepted.plan.pk}"' not in client.get(url).content.decode()


def test_the_deposit_split_page_offers_agreed_shares_only(client, accepted):
    client.force_login(accepted.lead)
    url = reverse(
        "billing:split_deposit",
        args=[accepted.world.collective.slug, accepted.world.mission.pk, accepted.plan.pk],
    )
    page = client.get(url).content.decode()
    assert 'value="agreed_before"' in page
    assert 'value="time_rate"' not in page


# --- BR-FR-12: the buyer's electronic address ----------------------------------------------------------


def test_a_foreign_client_invoice_carries_the_finance_contacts_email(schematrons, accepted):
    client = accepted.world.client
    client.siren, client.country, client.vat_number = "", "DE", "DE136695976"
    client.save()
    lead, vat, franchise = accepted.members
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    invoice = issue_all(accepted.draft(deliverable_id=first.pk), {"manager": lead})[0]
    assert invoice.buyer_snapshot["email"] == "compta@client.fr"
    xml = bytes(invoice.xml)
    assert xml_text(xml, "//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID[@schemeID='EM']") == [
        "compta@client.fr"
    ]
    assert [str(failure) for failure in einvoice_check.xml_failures(xml) if failure.blocking] == []


def test_a_foreign_client_without_any_contact_email_is_refused_clearly(accepted):
    client = accepted.world.client
    client.siren, client.country, client.vat_number = "", "DE", "DE136695976"
    client.save()
    ClientContact.objects.filter(client=client).update(archived_at=timezone.now())
    lead, vat, franchise = accepted.members
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    batch = accepted.draft(deliverable_id=first.pk)
    with pytest.raises(ValidationError) as refused:
        issue_all(batch, {"manager": lead})
    assert refused.value.messages == [
        f"{client.name} has no electronic address for the e-invoice: without a SIREN it is the email of a "
        "contact of the client (the finance contact first). Add a contact with an email on the client's page."
    ]
    assert not Invoice.objects.exclude(number="").filter(kind=Invoice.Kind.SERVICES).exists()


def test_when_the_lead_reinvoices_each_buyer_deducts_its_own_deposit(schematrons, world):
    """Lead re-invoices: the lead's deposit invoice to the client carries the whole deposit, each member's
    deposit invoice to the lead their share; each later invoice deducts the deposit between the same two
    parties, and every file passes the checks."""
    team = team_with_quote(world, invoicing_mode=BillingPlan.InvoicingMode.LEAD_REINVOICES)
    accept(world, team.quote)
    deposits = issued_deposits(team)
    to_client = next(invoice for invoice in deposits if invoice.client_id)
    assert to_client.total_incl_tax == Decimal("3000.00")  # the lead is under the franchise
    lead, vat, franchise = team.members
    first = team.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    finals = issue_all(team.draft(deliverable_id=first.pk), {"manager": lead})

    deducted = {
        (invoice.seller.user, invoice.client_id is not None): (
            invoice.deposit_invoice,
            invoice.prepaid_amount,
        )
        for invoice in finals
    }
    vat_deposit = next(invoice for invoice in deposits if invoice.seller.user == vat)
    assert deducted[(lead, True)] == (to_client, Decimal("3000.00"))
    assert deducted[(vat, False)] == (vat_deposit, Decimal("1260.00"))
    for invoice in [*deposits, *finals]:
        assert [str(f) for f in einvoice_check.xml_failures(bytes(invoice.xml)) if f.blocking] == []


def test_a_deposit_cancelled_by_a_credit_note_is_not_deducted(schematrons, accepted):
    deposits = by_seller(issued_deposits(accepted))
    lead, vat, franchise = accepted.members
    credit = credit_note_issue(by=vat, invoice_id=deposits[vat].pk, reason="Acompte annulé")
    assert [str(f) for f in einvoice_check.xml_failures(bytes(credit.xml)) if f.blocking] == []
    first = accepted.deliver(
        0, {lead: Decimal("2400.00"), vat: Decimal("2100.00"), franchise: Decimal("1500.00")}
    )
    finals = by_seller(issue_all(accepted.draft(deliverable_id=first.pk), {"manager": lead}))
    assert (finals[vat].prepaid_amount, finals[vat].deposit_invoice_id) == (ZERO, None)
    assert finals[lead].prepaid_amount == Decimal("1200.00")
