"""Payments against invoices (full, partial, over the balance) and the review of statement lines
(confirm, split, ignore), with the bad inputs of the brief: each a clear error, nothing lost."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import translation

from cordee.billing.models import ClientCredit, Invoice, Payment, StatementLine
from cordee.billing.services.payments import (
    Allocation,
    LineAlreadyDecided,
    invoice_paid_refresh,
    payment_record,
    payment_reverse,
    statement_line_confirm,
    statement_line_ignore,
    statement_line_split,
)
from cordee.billing.services.statements import StatementAlreadyImported, statement_upload
from cordee.billing.statements import StatementError
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch, teammate
from cordee.core.access import AccessDenied
from cordee.core.tests.factories import MembershipFactory, UserFactory
from cordee.missions.tests.factories import MissionFactory

ISSUED = date(2026, 4, 1)
TODAY = date(2026, 4, 20)
CAMT = b"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-04-16T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">%(first)s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-04-15</Dt></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>
<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>ACME</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>Facture %(number)s</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">1500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
<BookgDt><Dt>2026-04-16</Dt></BookgDt><AcctSvcrRef>R2</AcctSvcrRef>
<NtryDtls><TxDtls><RmtInf><Ustrd>Virement ACME avril</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>"""


@pytest.fixture(autouse=True)
def _english_messages():
    """Error messages are checked in English; the French catalogue is checked by test_translations."""
    with translation.override("en"):
        yield


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload a statement and run its import (the worker's part, on commit: Huey is immediate in tests)."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return statement_upload(**kwargs)

    return run


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 4, 20), tick=False):
        yield


@pytest.fixture
def invoice(world):
    seller = member_seller(world.collective, world.lead)
    return issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=mission_batch(world.mission),
        number="CM-2026-00001",
        total="1200.00",
        issued_on=ISSUED,
    )


def test_a_partial_then_the_final_payment(world, invoice):
    payment_record(
        by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 10), amount="500.00", reference="VIR 1"
    )
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("500.00"), "partly_paid")
    payment_record(
        by=world.lead, invoice_id=invoice.pk, paid_on=date(2026, 4, 12), amount="700", method="cheque"
    )
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("1200.00"), "paid")
    assert not ClientCredit.objects.exists()


def test_a_payment_beyond_the_balance_is_kept_as_the_clients_credit(world, invoice):
    payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="1000.00")
    payment = payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="300.00")
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("1300.00"), "overpaid")
    credit = ClientCredit.objects.get()
    assert (credit.payment, credit.amount, credit.client_id) == (payment, Decimal("100.00"), world.client.pk)


@pytest.mark.parametrize(
    ("amount", "paid_on", "field"),
    [
        ("-50", TODAY, "amount"),
        ("0", TODAY, "amount"),
        ("abc", TODAY, "amount"),
        ("10", date(2026, 5, 1), "paid_on"),
        ("10", date(1999, 1, 1), "paid_on"),
    ],
)
def test_bad_payments_are_refused_and_nothing_changes(world, invoice, amount, paid_on, field):
    with pytest.raises(ValidationError) as refused:
        payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=paid_on, amount=amount)
    assert field in refused.value.message_dict
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("0.00"), "open")
    assert not Payment.objects.exists()


def test_a_cancelled_invoice_takes_no_payment(world, invoice):
    Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.CANCELLED)
    with pytest.raises(ValidationError, match="Only an issued invoice"):
        payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="10")


def test_a_reversed_payment_stays_but_no_longer_counts(world, invoice):
    payment = payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="1250.00")
    with pytest.raises(ValidationError):
        payment_reverse(by=world.lead, payment_id=payment.pk, reason="  ")
    payment_reverse(by=world.lead, payment_id=payment.pk, reason="Wrong invoice")
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("0.00"), "open")
    payment.refresh_from_db()
    assert payment.reversal_reason == "Wrong invoice" and payment.reversed_at is not None
    assert ClientCredit.objects.get().settled_at is not None
    with pytest.raises(ValidationError, match="already reversed"):
        payment_reverse(by=world.lead, payment_id=payment.pk, reason="again")


def test_who_records_payments(world, invoice):
    outsider = UserFactory()
    plain_member = MembershipFactory(collective=world.collective).user
    for user in (outsider, plain_member):
        with pytest.raises(AccessDenied):
            payment_record(by=user, invoice_id=invoice.pk, paid_on=TODAY, amount="10")
    member, seller = teammate(world.collective)
    own = issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=invoice.batch,
        number="PD-2026-00001",
        total="10",
        issued_on=ISSUED,
    )
    payment_record(by=member, invoice_id=own.pk, paid_on=TODAY, amount="10")  # the issuer of the invoice
    other = MissionFactory()
    with pytest.raises(AccessDenied):
        payment_record(by=other.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="10")
    assert Payment.objects.count() == 1


def test_consumer_payments_of_vat_registered_sellers_come_from_the_bank_only(world, upload):
    """R-1.18: no cash-register feature; the bank statement's line is the record."""
    seller = member_seller(world.collective, world.lead, vat_regime="registered", vat_number="FR40303265045")
    b2c = issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=None,
        number="CM-2026-00009",
        total="600",
        issued_on=ISSUED,
        flow=Invoice.Flow.B2C,
    )
    with pytest.raises(ValidationError, match="recorded from the bank statement only"):
        payment_record(by=world.lead, invoice_id=b2c.pk, paid_on=TODAY, amount="600")
    upload(
        by=world.lead,
        seller_id=seller.pk,
        filename="avril.xml",
        format="camt053",
        content=CAMT % {b"first": b"600.00", b"number": b"CM-2026-00009"},
    )
    line = StatementLine.objects.get(amount=Decimal("600.00"))
    assert line.suggested_invoice == b2c
    statement_line_confirm(by=world.lead, line_id=line.pk)
    b2c.refresh_from_db()
    assert b2c.payment_status == "paid"


@pytest.fixture
def imported(world, invoice, upload):
    upload(
        by=world.lead,
        seller_id=invoice.seller_id,
        filename="avril.xml",
        format="camt053",
        content=CAMT % {b"first": b"1200.00", b"number": b"CM-2026-00001"},
    )
    return StatementLine.objects.order_by("booking_date")


def test_import_suggests_by_reference_then_by_amount(world, invoice, imported, upload):
    second = issued_invoice(
        mission=world.mission,
        seller=invoice.seller,
        batch=invoice.batch,
        number="CM-2026-00002",
        total="1500.00",
        issued_on=ISSUED,
    )
    by_reference, without_reference = imported
    assert (by_reference.status, by_reference.suggested_invoice) == ("suggested", invoice)
    assert (without_reference.status, without_reference.suggested_invoice) == ("unmatched", None)
    upload(  # the next day's statement overlaps: only its new line is added, matched by amount
        by=world.lead,
        seller_id=invoice.seller_id,
        filename="avril-2.xml",
        format="camt053",
        content=(CAMT % {b"first": b"1200.00", b"number": b"CM-2026-00001"})
        .replace(b"M1", b"M2")
        .replace(
            b"</Stmt>",
            b'<Ntry><Amt Ccy="EUR">1500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            b"<BookgDt><Dt>2026-04-17</Dt></BookgDt><AcctSvcrRef>R3</AcctSvcrRef></Ntry></Stmt>",
        ),
    )
    assert StatementLine.objects.count() == 3
    assert StatementLine.objects.get(bank_reference="R3").suggested_invoice == second


def test_the_same_statement_twice_adds_nothing(world, invoice, imported, upload):
    with pytest.raises(StatementAlreadyImported, match="already imported"):
        upload(
            by=world.lead,
            seller_id=invoice.seller_id,
            filename="copie.xml",
            format="camt053",
            content=CAMT % {b"first": b"1200.00", b"number": b"CM-2026-00001"},
        )
    assert StatementLine.objects.count() == 2


def test_confirm_split_and_ignore(world, invoice, imported):
    by_reference, other = imported
    payment = statement_line_confirm(by=world.lead, line_id=by_reference.pk)
    assert (payment.amount, payment.paid_on, payment.statement_line) == (
        Decimal("1200.00"),
        date(2026, 4, 15),
        by_reference,
    )
    invoice.refresh_from_db()
    assert invoice.payment_status == "paid"
    second = issued_invoice(
        mission=world.mission,
        seller=invoice.seller,
        batch=invoice.batch,
        number="CM-2026-00002",
        total="2000.00",
        issued_on=ISSUED,
    )
    third = issued_invoice(
        mission=world.mission,
        seller=invoice.seller,
        batch=invoice.batch,
        number="CM-2026-00003",
        total="500.00",
        issued_on=ISSUED,
    )
    with pytest.raises(ValidationError, match="add up to 1400.00 instead of the line's 1500.00"):
        statement_line_split(
            by=world.lead,
            line_id=other.pk,
            allocations=[Allocation(second.pk, Decimal("1000")), Allocation(third.pk, Decimal("400"))],
        )
    other.refresh_from_db()
    assert other.status == "unmatched"
    statement_line_split(
        by=world.lead,
        line_id=other.pk,
        allocations=[Allocation(second.pk, Decimal("1000")), Allocation(third.pk, Decimal("500"))],
    )
    second.refresh_from_db()
    third.refresh_from_db()
    assert (second.payment_status, third.payment_status) == ("partly_paid", "paid")
    other.refresh_from_db()
    assert other.status == "split"
    with pytest.raises(LineAlreadyDecided):
        statement_line_ignore(by=world.lead, line_id=other.pk)


def test_a_line_pays_only_its_own_sellers_invoices(world, invoice, imported):
    _member, seller = teammate(world.collective)
    theirs = issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=invoice.batch,
        number="PD-2026-00001",
        total="1500.00",
        issued_on=ISSUED,
    )
    with pytest.raises(ValidationError, match="another seller's account"):
        statement_line_confirm(by=world.lead, line_id=imported[1].pk, invoice_id=theirs.pk)
    assert not Payment.objects.exists()
    assert StatementLine.objects.get(pk=imported[1].pk).status == "unmatched"


@pytest.mark.django_db(transaction=True)
def test_two_users_matching_the_same_line_at_once_cannot_both_win(world, invoice, imported):
    """Real threads and connections: the line lock (PostgreSQL) or the write lock (SQLite) serialises them."""
    admin = MembershipFactory(collective=world.collective, role="admin").user
    line = imported[0]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def decide(user):
        try:
            barrier.wait(timeout=10)
            outcomes.append(statement_line_confirm(by=user, line_id=line.pk))
        except LineAlreadyDecided as error:
            errors.append(error)
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(user,)) for user in (world.lead, admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 1
    assert len(errors) == 1 and isinstance(errors[0], LineAlreadyDecided), errors
    assert Payment.objects.filter(statement_line=line).count() == 1
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.payment_status) == (Decimal("1200.00"), "paid")


def test_a_partial_credit_note_reduces_what_is_due(world, invoice):
    """R-1.8: after a credit note of 200 € on 1 200 €, 1 000 € pays the invoice in full."""
    Invoice.objects.filter(pk=invoice.pk).update(amount_credited=Decimal("200.00"))
    payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="1000.00")
    invoice.refresh_from_db()
    assert (invoice.payment_status, invoice.balance_due) == ("paid", Decimal("0.00"))
    assert not ClientCredit.objects.exists()


def test_after_a_credit_note_the_payment_status_is_recomputed(world, invoice):
    """A partly paid invoice whose rest a credit note took off becomes paid when its status is refreshed."""
    payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="1000.00")
    Invoice.objects.filter(pk=invoice.pk).update(amount_credited=Decimal("200.00"))
    invoice.refresh_from_db()
    invoice_paid_refresh(invoice)
    invoice.refresh_from_db()
    assert invoice.payment_status == "paid"


def test_a_statement_of_another_account_is_refused(world, invoice, upload):
    _member, seller = teammate(world.collective, iban="FR1420041010050500013M02606")
    with pytest.raises(StatementError, match="not of .* account \\(FR1420041010050500013M02606\\)"):
        upload(
            by=world.lead,
            seller_id=seller.pk,
            filename="avril.xml",
            format="camt053",
            content=CAMT % {b"first": b"1200.00", b"number": b"CM-2026-00001"},
        )
    assert not StatementLine.objects.exists()
