"""Payouts from the account of the seller that was paid (INVOICING_FR.md section 4, R-6.3)."""

import threading
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import time_machine
import xmlschema
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from cordee.billing.models import BillingPlan, Invoice, Payment, PayoutBatch
from cordee.billing.pdf import sha256_hex
from cordee.billing.receipts import receipts_total
from cordee.billing.services.exports import member_receipts
from cordee.billing.services.payouts import (
    member_statement,
    owed_by_seller,
    payout_batch_approve,
    payout_batch_cancel,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
    payout_sellers,
)
from cordee.billing.tests.payout_world import client_paid, invoiced, payout_world
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, money_sum
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
TODAY = date(2026, 5, 4)


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are read in English here (French is the default language; its catalogue is tested apart)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-05-04 09:00 +0200", tick=False):
        yield


def test_members_are_owed_their_invoices_once_the_client_paid():
    world = payout_world()
    helene, marc = world.members
    invoiced(world, {helene: Decimal("1000.00"), marc: Decimal("500.00")}, paid_on=date(2026, 5, 2))
    invoiced(world, {helene: Decimal("700.00")})  # the client has not paid this one yet
    owed = {entry.member.pk: entry.total for entry in owed_by_seller(world.seller)}
    assert owed == {helene.pk: Decimal("1000.00"), marc.pk: Decimal("500.00")}


def test_a_partly_paid_client_invoice_owes_nothing_yet():
    world = payout_world()
    helene = world.members[0]
    client_invoice, _members = invoiced(world, {helene: Decimal("1000.00")})
    client_paid(world, client_invoice, date(2026, 5, 2), amount=Decimal("100.00"))
    assert owed_by_seller(world.seller) == []


def test_the_whole_life_of_a_batch_with_a_valid_sepa_file():
    world = payout_world()
    helene, marc = world.members
    _client, member_invoices = invoiced(
        world, {helene: Decimal("1000.00"), marc: Decimal("500.50")}, paid_on=date(2026, 5, 2)
    )
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    assert batch.status == PayoutBatch.Status.DRAFT
    assert batch.total == Decimal("1500.50")
    payouts = {payout.member_id: payout for payout in batch.payouts.all()}
    assert payouts[helene.pk].amount == Decimal("1000.00")
    assert payouts[helene.pk].references[0]["invoice_number"] == member_invoices[helene.pk].number
    # Held by the draft: no longer offered for another batch.
    assert all(entry.total == 0 for entry in owed_by_seller(world.seller))
    with pytest.raises(ValidationError, match="Nobody is owed"):
        payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)

    with pytest.raises(ValidationError, match="no longer possible"):
        payout_batch_export(by=world.lead, batch_id=batch.pk)  # not approved yet
    payout_batch_approve(by=world.lead, batch_id=batch.pk)
    batch = payout_batch_export(by=world.lead, batch_id=batch.pk)
    assert batch.status == PayoutBatch.Status.EXPORTED
    content = bytes(batch.file)
    assert batch.file_sha256 == sha256_hex(content)
    xmlschema.XMLSchema(XSD).validate(content.decode())
    root = ET.fromstring(content)
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", NS).text == "1500.50"
    assert root.find(".//p:Dbtr/p:PstlAdr/p:TwnNm", NS).text == "Paris"
    assert root.find(".//p:AdrTp", NS) is None
    assert root.find(".//p:DbtrAcct/p:Id/p:IBAN", NS).text == "FR7630006000011234567890189"
    ends = sorted(node.text for node in root.iterfind(".//p:EndToEndId", NS))
    assert ends == sorted(f"CORDEE-PAYOUT-{payout.pk}" for payout in payouts.values())
    remittance = root.find(".//p:CdtTrfTxInf/p:RmtInf/p:Ustrd", NS).text
    assert member_invoices[helene.pk].number in remittance or member_invoices[marc.pk].number in remittance
    # Exporting again gives the stored file, unchanged.
    assert bytes(payout_batch_export(by=world.lead, batch_id=batch.pk).file) == content

    batch = payout_batch_mark_paid(by=world.lead, batch_id=batch.pk)
    assert batch.status == PayoutBatch.Status.PAID
    with pytest.raises(ValidationError):
        payout_batch_cancel(by=world.lead, batch_id=batch.pk)
    rows = {
        row.invoice.pk: row
        for row in member_statement(by=helene, collective_id=world.collective.pk, member_id=helene.pk)
    }
    row = rows[member_invoices[helene.pk].pk]
    assert (row.invoiced, row.received, row.paid_out, row.in_batches) == (
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("1000.00"),
        Decimal("0"),
    )


def test_a_cancelled_batch_frees_what_it_held():
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("300.00")}, paid_on=date(2026, 5, 2))
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    payout_batch_cancel(by=world.lead, batch_id=batch.pk)
    assert [entry.total for entry in owed_by_seller(world.seller)] == [Decimal("300.00")]
    assert PayoutBatch.objects.filter(pk=batch.pk, status=PayoutBatch.Status.CANCELLED).exists()


def test_a_paid_batch_is_not_owed_again():
    world = payout_world()
    helene = world.members[0]
    invoiced(world, {helene: Decimal("300.00")}, paid_on=date(2026, 5, 2))
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    payout_batch_approve(by=world.lead, batch_id=batch.pk)
    payout_batch_export(by=world.lead, batch_id=batch.pk)
    payout_batch_mark_paid(by=world.lead, batch_id=batch.pk)
    invoiced(world, {helene: Decimal("50.00")}, paid_on=date(2026, 5, 3))
    assert [entry.total for entry in owed_by_seller(world.seller)] == [Decimal("50.00")]


@pytest.mark.parametrize("mode", [BillingPlan.InvoicingMode.PER_MEMBER, BillingPlan.InvoicingMode.MANDATE])
def test_a_batch_for_a_mission_where_clients_pay_members_directly_is_refused(mode):
    world = payout_world(mode=mode)
    with pytest.raises(
        ValidationError, match="paid by the client directly|pays each member directly"
    ) as refused:
        payout_batch_create(
            by=world.lead, seller_id=world.seller.pk, mission_id=world.mission.pk, execution_date=TODAY
        )
    assert "Refonte du site" in refused.value.messages[0]
    assert not PayoutBatch.objects.exists()


def test_per_member_invoices_owe_no_payout():
    world = payout_world(mode=BillingPlan.InvoicingMode.PER_MEMBER)
    invoiced(world, {world.members[0]: Decimal("300.00")}, paid_on=date(2026, 5, 2))
    assert owed_by_seller(world.seller) == []


def test_a_member_without_an_iban_or_with_a_bad_one_is_named_and_nothing_is_created():
    world = payout_world()
    helene, marc = world.members
    helene.iban = ""
    helene.save()
    marc.iban = "FR1420041010050500013M02605"
    marc.save()
    invoiced(world, {helene: Decimal("100.00"), marc: Decimal("200.00")}, paid_on=date(2026, 5, 2))
    with pytest.raises(ValidationError) as refused:
        payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    text = " ".join(refused.value.messages)
    assert "Hélène Dupré 0 has no IBAN" in text
    assert "Hélène Dupré 1" in text and "check digits" in text
    assert not PayoutBatch.objects.exists()


def test_the_paying_account_needs_a_valid_iban_and_a_town():
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    world.lead.city = ""
    world.lead.save()
    with pytest.raises(ValidationError, match="town and a country"):
        payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)


def test_the_transfer_date_is_not_in_the_past():
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    with pytest.raises(ValidationError, match="past"):
        payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=date(2026, 5, 1))


def test_only_the_lead_pays_from_their_business_account():
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    admin = AdminMembershipFactory(collective=world.collective).user
    for outsider in (world.members[0], admin):
        with pytest.raises(AccessDenied):
            payout_batch_create(by=outsider, seller_id=world.seller.pk, execution_date=TODAY)
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    with pytest.raises(AccessDenied):
        payout_batch_approve(by=admin, batch_id=batch.pk)
    assert PayoutBatch.objects.get(pk=batch.pk).status == PayoutBatch.Status.DRAFT


def test_the_entitys_payouts_are_approved_by_the_collectives_admins():
    world = payout_world(mode=BillingPlan.InvoicingMode.ENTITY, entity=True)
    invoiced(world, {world.members[0]: Decimal("400.00")}, paid_on=date(2026, 5, 2))
    plain_member = world.members[1]
    with pytest.raises(AccessDenied):
        payout_batch_create(by=plain_member, seller_id=world.seller.pk, execution_date=TODAY)
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)  # an admin
    with pytest.raises(AccessDenied):
        payout_batch_approve(by=plain_member, batch_id=batch.pk)
    payout_batch_approve(by=world.lead, batch_id=batch.pk)
    batch = payout_batch_export(by=world.lead, batch_id=batch.pk)
    root = ET.fromstring(bytes(batch.file))
    assert root.find(".//p:Dbtr/p:Nm", NS).text == "Atelier Commun SAS"
    assert world.seller in payout_sellers(world.lead, world.collective.pk)
    assert world.seller not in payout_sellers(plain_member, world.collective.pk)


def test_a_member_of_another_collective_sees_and_changes_nothing():
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    stranger = AdminMembershipFactory().user
    with pytest.raises(AccessDenied):
        payout_batch_approve(by=stranger, batch_id=batch.pk)
    with pytest.raises(AccessDenied):
        member_statement(by=stranger, collective_id=world.collective.pk, member_id=world.members[0].pk)
    with pytest.raises(AccessDenied):
        member_statement(
            by=world.members[1], collective_id=world.collective.pk, member_id=world.members[0].pk
        )


# --- Pages ----------------------------------------------------------------------------------------------


def test_the_lead_drafts_approves_exports_and_downloads_a_batch_through_the_pages(client):
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("250.00")}, paid_on=date(2026, 5, 2))
    client.force_login(world.lead)
    slug = world.collective.slug
    page = client.get(reverse("billing:payouts", args=[slug]))
    assert page.status_code == 200
    assert "Hélène Dupré 0" in page.content.decode()
    response = client.post(
        reverse("billing:payouts", args=[slug]),
        {"seller": world.seller.pk, "mission": "", "execution_date": "2026-05-04"},
    )
    batch = PayoutBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:payout_batch", args=[slug, batch.pk])
    for action in ("approve", "export"):
        assert client.post(response["Location"], {"action": action}).status_code == 302
    download = client.get(reverse("billing:payout_batch_file", args=[slug, batch.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/xml"
    xmlschema.XMLSchema(XSD).validate(download.content.decode())


def test_the_page_refuses_a_per_member_mission_with_the_reason_and_keeps_the_values(client):
    world = payout_world(mode=BillingPlan.InvoicingMode.PER_MEMBER)
    client.force_login(world.lead)
    response = client.post(
        reverse("billing:payouts", args=[world.collective.slug]),
        {"seller": world.seller.pk, "mission": world.mission.pk, "execution_date": "2026-05-06"},
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "pays each member directly" in content
    assert 'value="2026-05-06"' in content
    assert not PayoutBatch.objects.exists()


def test_another_collectives_batch_is_not_found(client):
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    stranger = AdminMembershipFactory()
    client.force_login(stranger.user)
    slug = stranger.collective.slug
    assert client.get(reverse("billing:payout_batch", args=[slug, batch.pk])).status_code == 404
    assert client.get(reverse("billing:payout_batch_file", args=[slug, batch.pk])).status_code == 404
    assert (
        client.get(reverse("billing:payout_batch", args=[world.collective.slug, batch.pk])).status_code == 404
    )
    member = MembershipFactory(collective=world.collective).user
    client.force_login(member)
    assert (
        client.get(reverse("billing:payout_batch", args=[world.collective.slug, batch.pk])).status_code == 404
    )


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_payouts_and_statement_pages_make_as_many_queries_for_1_or_6_invoices(client):
    world = payout_world(member_count=3)
    client.force_login(world.lead)
    payouts_url = reverse("billing:payouts", args=[world.collective.slug])
    statement_url = (
        reverse("billing:member_statement", args=[world.collective.slug]) + f"?member={world.members[0].pk}"
    )
    counts = []
    for added in (1, 5):  # one paid invoice per member, then six
        for _ in range(added):
            invoiced(world, {user: Decimal("100.00") for user in world.members}, paid_on=date(2026, 5, 2))
        batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
        payout_batch_approve(by=world.lead, batch_id=batch.pk)
        counts.append((_queries(client, payouts_url), _queries(client, statement_url)))
    assert counts[0] == counts[1]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_batches_never_pay_a_member_twice():
    """Real threads and connections: the seller's row lock (PostgreSQL) or the write lock (SQLite)
    serialises them; the second finds nothing owed."""
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("300.00")}, paid_on=date(2026, 5, 2))
    barrier = threading.Barrier(2)
    created, refused, errors = [], [], []

    def create():
        try:
            barrier.wait(timeout=10)
            created.append(
                payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
            )
        except ValidationError as error:
            refused.append(error)
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(created) == 1
    assert len(refused) == 1 and refused[0].code == "nothing"  # nobody is owed anything any more
    assert PayoutBatch.objects.count() == 1


def _paid(world, by=None):
    by = by or world.lead
    batch = payout_batch_create(by=by, seller_id=world.seller.pk, execution_date=TODAY)
    payout_batch_approve(by=by, batch_id=batch.pk)
    payout_batch_export(by=by, batch_id=batch.pk)
    return payout_batch_mark_paid(by=by, batch_id=batch.pk)


@pytest.mark.parametrize("mode", ["lead", "entity"])
def test_a_paid_batch_records_the_payment_on_each_members_invoice_once(mode):
    if mode == "entity":
        world = payout_world(mode=BillingPlan.InvoicingMode.ENTITY, entity=True)
    else:
        world = payout_world()
    helene, marc = world.members
    _client, member_invoices = invoiced(
        world, {helene: Decimal("1000.00"), marc: Decimal("500.50")}, paid_on=date(2026, 5, 2)
    )
    batch = _paid(world)
    payouts = {payout.member_id: payout for payout in batch.payouts.all()}
    for user in (helene, marc):
        invoice = Invoice.objects.get(pk=member_invoices[user.pk].pk)
        assert (invoice.payment_status, invoice.balance_due) == ("paid", Decimal("0.00"))
        payment = Payment.objects.get(invoice=invoice)
        assert (payment.payout, payment.amount, payment.paid_on, payment.reference, payment.method) == (
            payouts[user.pk],
            invoice.total_incl_tax,
            TODAY,
            payouts[user.pk].end_to_end_id,
            "transfer",
        )
    # Marking it again records nothing more, and nobody is owed anything, nor less than nothing.
    again = payout_batch_mark_paid(by=world.lead, batch_id=batch.pk)
    assert again.paid_at == batch.paid_at
    assert Payment.objects.filter(payout__batch=batch).count() == 2
    assert [entry.total for entry in owed_by_seller(world.seller)] == [ZERO, ZERO]
    with pytest.raises(ValidationError, match="Nobody is owed"):
        payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)


def test_the_members_statement_balances_invoiced_received_and_paid_out():
    world = payout_world()
    helene = world.members[0]
    _first_client, first = invoiced(world, {helene: Decimal("1000.00")}, paid_on=date(2026, 5, 2))
    _paid(world)
    _second_client, second = invoiced(world, {helene: Decimal("400.00")}, paid_on=date(2026, 5, 3))
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=TODAY)
    invoiced(world, {helene: Decimal("250.00")})  # the client has not paid it: nothing owed yet
    rows = member_statement(by=helene, collective_id=world.collective.pk, member_id=helene.pk)
    figures = [(row.invoiced, row.received, row.paid_out, row.in_batches) for row in rows]
    assert figures == [
        (Decimal("1000.00"), Decimal("1000.00"), Decimal("1000.00"), ZERO),
        (Decimal("400.00"), ZERO, ZERO, Decimal("400.00")),
        (Decimal("250.00"), ZERO, ZERO, ZERO),
    ]
    payout_batch_approve(by=world.lead, batch_id=batch.pk)
    payout_batch_export(by=world.lead, batch_id=batch.pk)
    payout_batch_mark_paid(by=world.lead, batch_id=batch.pk)
    rows = member_statement(by=helene, collective_id=world.collective.pk, member_id=helene.pk)
    paid_rows = [row for row in rows if row.invoice.payment_status == "paid"]
    assert [row.invoice.pk for row in paid_rows] == [first[helene.pk].pk, second[helene.pk].pk]
    for row in paid_rows:
        assert row.invoiced == row.received == row.paid_out and row.in_batches == ZERO
        assert row.invoice.amount_paid == row.received  # the invoice and the statement agree
    received = money_sum(row.received for row in rows)
    paid_out = money_sum(row.paid_out for row in rows)
    invoiced_total = money_sum(row.invoiced for row in rows)
    assert (invoiced_total, received, paid_out) == (
        Decimal("1650.00"),
        Decimal("1400.00"),
        Decimal("1400.00"),
    )
    assert invoiced_total - received == Decimal("250.00")  # what the client has not paid yet
    assert receipts_total(member_receipts(world.member_sellers[helene.pk], 2026)) == received
