"""Exports for accountants and members (INVOICING_FR.md section 5): the FEC-layout journal, the receipts
book by payment date (CSV and PDF), the invoices CSV, each built in the worker with its progress."""

import csv
import io
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from cordee.billing.fec import HEADERS
from cordee.billing.models import BillingPlan, ExportJob, Invoice, Payment
from cordee.billing.services.exports import (
    export_job_for,
    export_request,
    export_run,
    invoices_csv,
    journal_entries,
    journal_file,
    member_receipts,
    receipts_csv,
    receipts_pdf,
)
from cordee.billing.services.payouts import (
    payout_batch_approve,
    payout_batch_create,
    payout_batch_export,
    payout_batch_mark_paid,
)
from cordee.billing.tests.payout_world import client_paid, invoiced, payout_world
from cordee.core.access import AccessDenied
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_messages():
    """Messages are read in English here (French is the default language; its catalogue is tested apart)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-06-15 10:00 +0200", tick=False):
        yield


def _paid_out(world):
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=date(2026, 6, 15))
    payout_batch_approve(by=world.lead, batch_id=batch.pk)
    payout_batch_export(by=world.lead, batch_id=batch.pk)
    return payout_batch_mark_paid(by=world.lead, batch_id=batch.pk)


def _fec_rows(content: bytes) -> list[dict]:
    lines = content.decode("iso-8859-15").split("\r\n")[:-1]
    header = lines[0].split("|")
    assert header == list(HEADERS)
    return [dict(zip(header, line.split("|"), strict=True)) for line in lines[1:]]


def _amount(text):
    return Decimal(text.replace(",", "."))


def test_the_sellers_journal_has_the_18_headers_balances_and_is_named_after_its_siren():
    world = payout_world()
    helene, marc = world.members
    invoiced(world, {helene: Decimal("1000.00"), marc: Decimal("500.00")}, paid_on=date(2026, 5, 20))
    invoiced(world, {helene: Decimal("200.00")}, issued_on=date(2026, 5, 31))  # not paid
    invoiced(world, {helene: Decimal("50.00")}, issued_on=date(2025, 12, 31), paid_on=date(2026, 1, 5))
    _paid_out(world)

    export = journal_file(world.seller, 2026)
    assert export.name == "732829320FEC20261231.txt"
    rows = _fec_rows(export.content)
    per_entry = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        per_entry[row["EcritureNum"]][0] += _amount(row["Debit"])
        per_entry[row["EcritureNum"]][1] += _amount(row["Credit"])
    assert all(debit == credit for debit, credit in per_entry.values())
    journals = defaultdict(set)
    for row in rows:
        journals[row["JournalCode"]].add(row["EcritureNum"])
    # Sales: the two client invoices of 2026 (the 2025 one is last year's); bank: two receipts, three payouts.
    assert len(journals["VT"]) == 2
    assert len(journals["BQ"]) == 2 + 2
    sale = [row for row in rows if row["JournalCode"] == "VT" and row["CompteNum"] == "411"][0]
    assert sale["Debit"] == "1800,00"
    assert sale["CompAuxLib"] == "Société Cliente"
    payouts = [row for row in rows if row["CompteNum"] == "401"]
    assert sorted(_amount(row["Debit"]) for row in payouts) == [Decimal("500.00"), Decimal("1050.00")]
    dates = [row["EcritureDate"] for row in rows]
    assert dates == sorted(dates)


def test_the_entity_books_what_it_owes_members_in_467():
    world = payout_world(mode=BillingPlan.InvoicingMode.ENTITY, entity=True)
    invoiced(world, {world.members[0]: Decimal("400.00")}, paid_on=date(2026, 5, 20))
    _paid_out(world)
    export = journal_file(world.seller, 2026)
    assert export.name == "552081317FEC20261231.txt"
    assert {row["CompteNum"] for row in _fec_rows(export.content)} == {"411", "706", "44571", "512", "467"}


def test_a_journal_without_a_siren_is_refused_with_the_reason():
    world = payout_world()
    world.lead.siret = ""
    world.lead.save()
    with pytest.raises(ValidationError, match="no SIREN"):
        journal_file(world.seller, 2026)


def test_the_receipts_book_lists_receipts_by_payment_date():
    world = payout_world(mode=BillingPlan.InvoicingMode.PER_MEMBER)
    early_client = ClientFactory(collective=world.collective, name="Premier Client")
    first, _ = invoiced(world, {}, issued_on=date(2026, 3, 31), client=early_client)
    second, _ = invoiced(world, {}, issued_on=date(2026, 2, 28))
    # Made directly for the lead's business: amounts of per-member invoices.
    for invoice, amount in ((first, "600.00"), (second, "900.00")):
        type(invoice).objects.filter(pk=invoice.pk).update(
            total_excl_tax=Decimal(amount), total_incl_tax=Decimal(amount), total_tax=0
        )
        invoice.refresh_from_db()
    client_paid(world, first, date(2026, 4, 2), amount=Decimal("600.00"))
    client_paid(world, second, date(2026, 5, 10), amount=Decimal("400.00"))
    client_paid(world, second, date(2026, 3, 15), amount=Decimal("500.00"))
    receipts = member_receipts(world.seller, 2026)
    assert [(r.paid_on, r.amount, r.invoice_number) for r in receipts] == [
        (date(2026, 3, 15), Decimal("500.00"), second.number),
        (date(2026, 4, 2), Decimal("600.00"), first.number),
        (date(2026, 5, 10), Decimal("400.00"), second.number),
    ]
    assert receipts[1].client == "Premier Client"
    assert receipts[1].method == "Bank transfer"
    assert receipts[1].nature == "Refonte du site"


def test_a_members_payouts_are_receipts_in_their_book():
    world = payout_world()
    helene = world.members[0]
    invoiced(world, {helene: Decimal("750.00")}, paid_on=date(2026, 5, 20))
    batch = _paid_out(world)
    receipts = member_receipts(world.member_sellers[helene.pk], 2026)
    assert len(receipts) == 1
    assert receipts[0].amount == Decimal("750.00")
    assert receipts[0].client == world.seller.display_name
    reference = f"CORDEE-PAYOUT-{batch.payouts.get().pk}"
    assert receipts[0].reference == reference
    # Marking the batch paid recorded the payment on the member's invoice: it is that receipt, once.
    member_invoice = Invoice.objects.get(buyer_seller=world.seller, seller=world.member_sellers[helene.pk])
    assert list(Payment.objects.filter(invoice=member_invoice).values_list("reference", flat=True)) == [
        reference
    ]


def test_a_payout_the_member_matched_before_the_batch_was_marked_paid_is_one_receipt():
    world = payout_world()
    helene = world.members[0]
    invoiced(world, {helene: Decimal("750.00")}, paid_on=date(2026, 5, 20))
    batch = payout_batch_create(by=world.lead, seller_id=world.seller.pk, execution_date=date(2026, 6, 15))
    payout_batch_approve(by=world.lead, batch_id=batch.pk)
    payout_batch_export(by=world.lead, batch_id=batch.pk)
    reference = f"CORDEE-PAYOUT-{batch.payouts.get().pk}"
    # The member matches the transfer on their own statement first.
    member_invoice = Invoice.objects.get(buyer_seller=world.seller, seller=world.member_sellers[helene.pk])
    client_paid(world, member_invoice, date(2026, 6, 15), amount=Decimal("750.00"))
    Payment.objects.filter(invoice=member_invoice).update(reference=f"VIR SEPA {reference} ATELIER")
    payout_batch_mark_paid(by=world.lead, batch_id=batch.pk)
    assert Payment.objects.filter(invoice=member_invoice).count() == 1
    receipts = member_receipts(world.member_sellers[helene.pk], 2026)
    assert [(r.amount, r.reference) for r in receipts] == [
        (Decimal("750.00"), f"VIR SEPA {reference} ATELIER")
    ]


def test_a_payout_of_a_batch_paid_before_payouts_recorded_payments_is_still_a_receipt():
    """Batches marked paid before payouts recorded the members' payments: the payout itself is listed."""
    world = payout_world()
    helene = world.members[0]
    invoiced(world, {helene: Decimal("750.00")}, paid_on=date(2026, 5, 20))
    batch = _paid_out(world)
    Payment.objects.filter(payout__batch=batch).delete()
    receipts = member_receipts(world.member_sellers[helene.pk], 2026)
    assert [(r.amount, r.reference) for r in receipts] == [
        (Decimal("750.00"), f"CORDEE-PAYOUT-{batch.payouts.get().pk}")
    ]


def test_every_csv_goes_through_the_one_writer_and_a_formula_client_is_defused():
    world = payout_world(mode=BillingPlan.InvoicingMode.PER_MEMBER)
    tricky = ClientFactory(collective=world.collective, name='=HYPERLINK("http://evil.example","x")')
    invoice, _ = invoiced(world, {}, issued_on=date(2026, 4, 1), client=tricky)
    type(invoice).objects.filter(pk=invoice.pk).update(buyer_snapshot={"name": tricky.name})
    invoice.refresh_from_db()
    client_paid(world, invoice, date(2026, 4, 5), amount=Decimal("1.00"))
    for export in (receipts_csv(world.seller, 2026), invoices_csv(world.seller, 2026)):
        assert export.content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
        cells = [cell for row in rows[1:] for cell in row]
        assert "'" + tricky.name in cells
        assert tricky.name not in cells
    header = next(
        csv.reader(io.StringIO(invoices_csv(world.seller, 2026).content.decode("utf-8-sig")), delimiter=";")
    )
    assert header[0] == "Number" and len(header) == 12


def test_the_receipts_book_pdf():
    world = payout_world(mode=BillingPlan.InvoicingMode.PER_MEMBER)
    invoice, _ = invoiced(world, {}, issued_on=date(2026, 4, 1))
    client_paid(world, invoice, date(2026, 4, 5), amount=Decimal("123.45"))
    with translation.override("fr"):
        export = receipts_pdf(world.seller, 2026)
    assert export.content.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(export.content)).pages[0].extract_text()
    assert "Société Cliente" in text
    assert "123,45" in text
    assert "Livre des recettes" in text
    assert "Virement" in text


# --- Jobs ---------------------------------------------------------------------------------------------


def test_an_export_job_runs_once_reports_progress_and_keeps_its_file():
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    job = export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2026)
    assert job.status == ExportJob.Status.PENDING
    assert export_run(job.pk) is True
    assert export_run(job.pk) is False  # finished: a second copy of the task does nothing
    job.refresh_from_db()
    assert (job.status, job.progress, job.file_name) == (
        ExportJob.Status.DONE,
        100,
        "732829320FEC20261231.txt",
    )
    assert bytes(job.file).startswith("|".join(HEADERS).encode())


def test_a_job_whose_worker_died_is_taken_back_after_its_lease():
    world = payout_world()
    job = export_request(
        by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.INVOICES_CSV, year=2026
    )
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, claimed_at="2026-06-15 08:00+00:00"
    )
    assert export_run(job.pk) is False  # another worker holds it
    with time_machine.travel("2026-06-15 10:11 +0200", tick=False):
        assert export_run(job.pk) is True
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE


def test_a_failing_export_says_why():
    world = payout_world()
    world.lead.siret = ""
    world.lead.save()
    job = export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2026)
    export_run(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert "n'a pas de SIREN" in job.error  # in the language of the member who asked (French here)


def test_only_the_owner_exports_a_members_books_and_a_receipts_book_is_a_members():
    world = payout_world(mode=BillingPlan.InvoicingMode.ENTITY, entity=True)
    with pytest.raises(AccessDenied):
        export_request(by=world.members[0], seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2026)
    with pytest.raises(AccessDenied):
        export_request(
            by=world.lead,
            seller_id=world.member_sellers[world.members[0].pk].pk,
            kind=ExportJob.Kind.RECEIPTS_CSV,
            year=2026,
        )
    with pytest.raises(ValidationError, match="receipts book is a member"):
        export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.RECEIPTS_PDF, year=2026)
    with pytest.raises(ValidationError):
        export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2027)
    job = export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2026)
    with pytest.raises(AccessDenied):
        export_job_for(by=world.members[0], job_id=job.pk)


def test_the_exports_pages_queue_show_progress_and_download(client, django_capture_on_commit_callbacks):
    world = payout_world()
    invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    client.force_login(world.lead)
    slug = world.collective.slug
    assert client.get(reverse("billing:exports", args=[slug])).status_code == 200
    response = client.post(
        reverse("billing:exports", args=[slug]),
        {"seller": world.seller.pk, "kind": ExportJob.Kind.JOURNAL, "year": 2026},
    )
    job = ExportJob.objects.get()
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert 'value="0"' in page
    export_run(job.pk)
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="export-progress"')
    assert "every 1s" not in fragment
    assert "<html" not in fragment
    download = client.get(reverse("billing:export_download", args=[slug, job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="732829320FEC20261231.txt"'


def test_the_export_request_enqueues_the_worker_task_on_commit(client, django_capture_on_commit_callbacks):
    world = payout_world()
    client.force_login(world.lead)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(
            reverse("billing:exports", args=[world.collective.slug]),
            {"seller": world.seller.pk, "kind": ExportJob.Kind.INVOICES_CSV, "year": 2026},
        )
    assert len(callbacks) == 1
    assert ExportJob.objects.get().status == ExportJob.Status.DONE  # the test queue runs tasks at once


def test_a_bad_year_is_refused_on_the_page_with_the_values_kept(client):
    world = payout_world()
    client.force_login(world.lead)
    response = client.post(
        reverse("billing:exports", args=[world.collective.slug]),
        {"seller": world.seller.pk, "kind": ExportJob.Kind.JOURNAL, "year": 1999},
    )
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_another_members_export_is_not_found(client):
    world = payout_world()
    job = export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2026)
    export_run(job.pk)
    stranger = AdminMembershipFactory()
    for user, slug in ((world.members[0], world.collective.slug), (stranger.user, stranger.collective.slug)):
        client.force_login(user)
        assert client.get(reverse("billing:export_job", args=[slug, job.pk])).status_code == 404
        assert client.get(reverse("billing:export_download", args=[slug, job.pk])).status_code == 404


def test_the_exports_page_makes_as_many_queries_with_more_jobs(client):
    world = payout_world()
    client.force_login(world.lead)
    url = reverse("billing:exports", args=[world.collective.slug])
    counts = []
    for added in (1, 5):
        for _ in range(added):
            export_request(
                by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.INVOICES_CSV, year=2026
            )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_failed_export_is_asked_again_from_its_page(client):
    world = payout_world()
    world.lead.siret = ""
    world.lead.save()
    job = export_request(by=world.lead, seller_id=world.seller.pk, kind=ExportJob.Kind.JOURNAL, year=2026)
    export_run(job.pk)
    client.force_login(world.lead)
    url = reverse("billing:export_retry", args=[world.collective.slug, job.pk])
    assert client.get(url).status_code == 302  # a link followed by mistake changes nothing
    assert ExportJob.objects.count() == 1
    response = client.post(url)
    retried = ExportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == reverse("billing:export_job", args=[world.collective.slug, retried.pk])


def test_a_builder_reports_its_progress_item_by_item():
    world = payout_world()
    for _ in range(3):
        invoiced(world, {world.members[0]: Decimal("100.00")}, paid_on=date(2026, 5, 2))
    steps = []
    journal_entries(world.seller, 2026, lambda done, total: steps.append((done, total)))
    assert steps == [(n, 6) for n in range(1, 7)]  # three sales, then three receipts
