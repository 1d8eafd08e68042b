"""Invoices in the four invoicing modes (R-6.1, R-6.2): drafted from the approved split, issued by their
seller (or under a mandate by its issuer), numbered in the seller's series, frozen with their files."""

import hashlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.formats import date_format

from cordee.billing.models import (
    ActivityReport,
    BillingPlan,
    Invoice,
    InvoiceImmutable,
    InvoiceLine,
    NumberSeries,
    RevenueSplit,
    SplitShare,
)
from cordee.billing.services.invoices import (
    invoice_batch_discard,
    invoice_batch_draft,
    invoice_draft_update,
    invoice_issue,
)
from cordee.billing.tests.invoicing import in_french, log_time, mandate, ready_to_invoice
from cordee.core.access import AccessDenied
from cordee.timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db

YEAR = date.today().year


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


def test_per_member_drafts_one_invoice_per_member_to_the_client_and_numbers_none(world):
    invoicing = ready_to_invoice(world)

    batch = invoicing.draft()

    invoices = list(batch.invoices.order_by("pk"))
    assert [(i.seller.user, i.client_id, i.buyer_seller_id) for i in invoices] == [
        (world.lead, world.client.pk, None),
        (invoicing.member, world.client.pk, None),
    ]
    assert all(i.status == "draft" and i.number == "" for i in invoices)
    assert [i.total_excl_tax for i in invoices] == [Decimal("1200.00"), Decimal("800.00")]
    assert batch.label == in_french("Deliverable: %(title)s", title="Maquettes")
    assert NumberSeries.objects.filter(last_number__gt=0).count() == 0


def test_each_member_issues_their_own_invoice_in_their_own_series_and_vat_regime(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    lead_draft = invoicing.invoice_of(batch, world.lead)
    member_draft = invoicing.invoice_of(batch, invoicing.member)

    lead_invoice = invoice_issue(by=world.lead, invoice_id=lead_draft.pk)
    member_invoice = invoice_issue(by=invoicing.member, invoice_id=member_draft.pk)

    # Two sellers, two series: each starts at 1, under its member's initials, so that the client
    # never gets two invoices with the same number.
    assert (lead_invoice.number, member_invoice.number) == (f"FAC-CM-{YEAR}-00001", f"FAC-PD-{YEAR}-00001")
    # The lead is under the VAT franchise (293 B), the member charges 20 % (R-1.16).
    lead_line = lead_invoice.lines.get()
    assert (lead_line.vat_category, lead_line.vat_rate, lead_line.exemption_code) == (
        "E",
        Decimal("0.00"),
        "VATEX-FR-FRANCHISE",
    )
    assert lead_line.exemption_reason == "TVA non applicable, art. 293 B du CGI"
    assert (lead_invoice.total_tax, lead_invoice.total_incl_tax) == (Decimal("0.00"), Decimal("1200.00"))
    assert (member_invoice.total_tax, member_invoice.total_incl_tax) == (Decimal("160.00"), Decimal("960.00"))
    assert member_invoice.tax_breakdown == [
        {
            "category": "S",
            "rate": "20.00",
            "base": "800.00",
            "tax": "160.00",
            "exemption_reason": "",
            "exemption_code": "",
        }
    ]
    assert member_invoice.seller_snapshot["name"] == "Paul Durand Conseil EI"
    assert member_invoice.seller_snapshot["iban"] == "FR7630004000031234567890143"
    assert member_invoice.buyer_snapshot["siren"] == "552081317"
    assert member_invoice.due_on == timezone.localdate() + timedelta(days=30)
    assert member_invoice.supplied_on == invoicing.deliverable.delivered_at.date()
    for invoice in (lead_invoice, member_invoice):
        assert invoice.pdf_sha256 == hashlib.sha256(bytes(invoice.pdf)).hexdigest()
        assert invoice.xml_sha256 == hashlib.sha256(bytes(invoice.xml)).hexdigest()
        assert bytes(invoice.pdf).startswith(b"%PDF")
        assert f"<ram:ID>{invoice.number}</ram:ID>".encode() in bytes(invoice.xml)


def test_the_lead_cannot_issue_a_members_invoice_without_a_mandate(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()

    with pytest.raises(AccessDenied):
        invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)

    assert Invoice.objects.filter(status="issued").count() == 0


def test_issuing_locks_the_members_own_time_on_the_milestone(world):
    invoicing = ready_to_invoice(world)
    own, other = log_time(invoicing, invoicing.member), log_time(invoicing, world.lead)
    batch = invoicing.draft()

    invoice_issue(by=invoicing.member, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)

    own.refresh_from_db()
    other.refresh_from_db()
    assert own.locked_at is not None
    assert other.locked_at is None


# --- Billing mandate (model B, R-6.2) --------------------------------------------------------------------


def test_mandate_mode_refuses_to_draft_without_an_active_mandate(world):
    invoicing = ready_to_invoice(world, BillingPlan.InvoicingMode.MANDATE)

    with pytest.raises(ValidationError, match="no active billing mandate from Paul Durand Conseil"):
        invoicing.draft()

    assert Invoice.objects.count() == 0


def test_under_a_mandate_the_issuer_issues_in_the_members_name_and_series(world):
    invoicing = ready_to_invoice(world, BillingPlan.InvoicingMode.MANDATE)
    given = mandate(invoicing)
    # The member's series already issued 4 invoices elsewhere: the mandated one continues it.
    NumberSeries.objects.filter(seller=invoicing.seller_of(invoicing.member), document_type="invoice").update(
        last_number=4
    )
    batch = invoicing.draft()
    draft = invoicing.invoice_of(batch, invoicing.member)
    assert (draft.issuer, draft.mandate) == (invoicing.seller_of(world.lead), given)

    with pytest.raises(AccessDenied):
        invoice_issue(by=invoicing.member, invoice_id=draft.pk)
    invoice = invoice_issue(by=world.lead, invoice_id=draft.pk)

    assert invoice.number == f"FAC-PD-{YEAR}-00005"  # the member's series, not the issuer's
    assert invoice.seller_snapshot["name"] == "Paul Durand Conseil EI"
    assert invoice.issuer_snapshot["name"] == "Claire Martin Design EI"


def test_an_invoice_is_not_issued_once_its_mandate_ended(world):
    invoicing = ready_to_invoice(world, BillingPlan.InvoicingMode.MANDATE)
    given = mandate(invoicing)
    batch = invoicing.draft()
    given.archived_at = timezone.now()
    given.save()

    with pytest.raises(ValidationError, match="no longer active"):
        invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, invoicing.member).pk)

    assert invoicing.invoice_of(batch, invoicing.member).status == "draft"


def test_a_mandate_past_its_end_date_does_not_allow_drafting(world):
    invoicing = ready_to_invoice(world, BillingPlan.InvoicingMode.MANDATE)
    mandate(invoicing, valid_until=date.today() - timedelta(days=1))

    with pytest.raises(ValidationError, match="no active billing mandate"):
        invoicing.draft()


# --- Lead re-invoices (C) and collective entity (E) ------------------------------------------------------


def test_lead_reinvoices_one_client_invoice_and_the_members_invoice_to_the_lead(world):
    invoicing = ready_to_invoice(world, BillingPlan.InvoicingMode.LEAD_REINVOICES)
    lead_time, member_time = log_time(invoicing, world.lead), log_time(invoicing, invoicing.member)

    batch = invoicing.draft()

    to_client = invoicing.invoice_of(batch)
    to_lead = invoicing.invoice_of(batch, invoicing.member, to_client=False)
    assert (to_client.seller.user, to_client.total_excl_tax) == (world.lead, Decimal("2000.00"))
    assert (to_lead.buyer_seller.user, to_lead.total_excl_tax) == (world.lead, Decimal("800.00"))
    assert to_lead.lines.get().description == in_french(
        "Subcontracting, mission “%(mission)s”: %(what)s",
        mission=world.mission.title,
        what=in_french("Deliverable: %(title)s", title="Maquettes"),
    )
    client_invoice = invoice_issue(by=world.lead, invoice_id=to_client.pk)
    member_invoice = invoice_issue(by=invoicing.member, invoice_id=to_lead.pk)
    assert member_invoice.buyer_snapshot["name"] == "Claire Martin Design EI"
    assert "iban" not in member_invoice.buyer_snapshot
    assert member_invoice.flow == "B2B"
    assert client_invoice.total_incl_tax == Decimal("2000.00")
    # The client invoice covers everyone's time on the milestone.
    assert (
        TimeEntry.objects.filter(pk__in=[lead_time.pk, member_time.pk], locked_at__isnull=False).count() == 2
    )


def test_entity_invoices_the_client_and_every_member_invoices_the_entity(world):
    invoicing = ready_to_invoice(world, BillingPlan.InvoicingMode.ENTITY)

    batch = invoicing.draft()

    to_client = invoicing.invoice_of(batch)
    assert (to_client.seller, to_client.total_excl_tax) == (invoicing.entity, Decimal("2000.00"))
    to_entity = batch.invoices.filter(buyer_seller=invoicing.entity).order_by("pk")
    assert [(i.seller.user, i.total_excl_tax) for i in to_entity] == [
        (world.lead, Decimal("1200.00")),
        (invoicing.invoice_of(batch, invoicing.member, to_client=False).seller.user, Decimal("800.00")),
    ]
    # The entity's invoice is issued by the mission's lead (or an admin), its VAT and company mentions in.
    invoice = invoice_issue(by=world.lead, invoice_id=to_client.pk)
    assert (invoice.total_tax, invoice.total_incl_tax) == (Decimal("400.00"), Decimal("2400.00"))
    assert invoice.seller_snapshot["rcs_city"] == "Paris"


def test_the_common_fund_part_is_invoiced_by_the_plans_seller_in_per_member_mode(world):
    invoicing = ready_to_invoice(world, fund=Decimal("100.00"))

    batch = invoicing.draft()

    assert invoicing.invoice_of(batch, world.lead).total_excl_tax == Decimal("1300.00")
    assert invoicing.invoice_of(batch, invoicing.member).total_excl_tax == Decimal("800.00")


# --- Drafts ---------------------------------------------------------------------------------------------


def test_a_milestone_without_an_approved_split_is_not_drafted(world):
    invoicing = ready_to_invoice(world)
    invoicing.split.status = "proposed"
    invoicing.split.save()

    with pytest.raises(ValidationError, match="not approved by every member"):
        invoicing.draft()


def test_a_milestone_not_delivered_is_not_drafted(world):
    invoicing = ready_to_invoice(world)
    invoicing.deliverable.status = "in_progress"
    invoicing.deliverable.save()

    with pytest.raises(ValidationError, match="not delivered"):
        invoicing.draft()


def test_the_drafts_purchase_order_and_reform_data_are_set_before_issuing(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    draft = invoicing.invoice_of(batch, invoicing.member)

    invoice_draft_update(
        by=invoicing.member,
        invoice_id=draft.pk,
        values={
            "purchase_order": "PO-2026-118",
            "vat_on_debits": True,
            "flow": "B2B",
            "operation_nature": "S",
        },
    )
    with pytest.raises(ValidationError) as refused:
        invoice_draft_update(by=invoicing.member, invoice_id=draft.pk, values={"purchase_order": "x" * 51})
    invoice = invoice_issue(by=invoicing.member, invoice_id=draft.pk)

    assert "purchase_order" in refused.value.message_dict
    assert (invoice.purchase_order, invoice.vat_on_debits) == ("PO-2026-118", True)
    assert b"PO-2026-118" in bytes(invoice.xml)


def test_drafts_are_discarded_but_an_issued_batch_is_not(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    assert invoice_batch_discard(by=world.lead, batch_id=batch.pk) == 2
    batch = invoicing.draft()
    invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, world.lead).pk)

    with pytest.raises(ValidationError, match="issued"):
        invoice_batch_discard(by=world.lead, batch_id=batch.pk)

    assert Invoice.objects.count() == 2


# --- Immutability (R-0.4, R-1.6) ---------------------------------------------------------------------------


def test_an_issued_invoice_its_lines_and_files_never_change(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    invoice = invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, world.lead).pk)

    invoice = Invoice.objects.get(pk=invoice.pk)
    invoice.total_excl_tax = Decimal("1.00")
    with pytest.raises(InvoiceImmutable):
        invoice.save()
    with pytest.raises(InvoiceImmutable):
        invoice.save(update_fields=["pdf"])
    line = InvoiceLine.objects.get(invoice=invoice)
    line.unit_price = Decimal("1")
    with pytest.raises(InvoiceImmutable):
        line.save()
    with pytest.raises(InvoiceImmutable):
        line.delete()
    with pytest.raises(InvoiceImmutable):
        Invoice.objects.get(pk=invoice.pk).delete()
    with pytest.raises(ValidationError, match="already issued"):
        invoice_issue(by=world.lead, invoice_id=invoice.pk)

    stored = Invoice.objects.get(pk=invoice.pk)
    assert stored.total_excl_tax == Decimal("1200.00")
    assert InvoiceLine.objects.get(invoice=invoice).unit_price == Decimal("1200")
    # What payments change is allowed.
    stored.amount_paid = Decimal("100.00")
    stored.payment_status = Invoice.PaymentStatus.PARTLY_PAID
    stored.save(update_fields=["amount_paid", "payment_status"])


def test_an_invoice_is_not_drafted_twice_for_the_same_milestone(world):
    invoicing = ready_to_invoice(world)
    batch = invoicing.draft()
    with pytest.raises(ValidationError, match="already drafted"):
        invoicing.draft()
    invoice = invoice_issue(by=world.lead, invoice_id=invoicing.invoice_of(batch, world.lead).pk)

    with pytest.raises(ValidationError, match=f"already invoiced \\({invoice.number}\\)"):
        invoice_batch_draft(
            by=world.lead, mission_id=world.mission.pk, deliverable_id=invoicing.deliverable.pk
        )

    assert Invoice.objects.count() == 2


# --- An activity period (pay-as-you-go) ------------------------------------------------------------------


def test_a_validated_activity_period_is_invoiced_and_its_time_locked(world):
    invoicing = ready_to_invoice(world)
    start, end = date.today() - timedelta(days=20), date.today() - timedelta(days=5)
    report = ActivityReport.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=invoicing.plan,
        period_start=start,
        period_end=end,
        status=ActivityReport.Status.VALIDATED,
        total_amount=Decimal("1500.00"),
    )
    split = RevenueSplit.objects.create(
        collective=world.collective,
        mission=world.mission,
        plan=invoicing.plan,
        source=RevenueSplit.Source.ACTIVITY_REPORT,
        activity_report=report,
        amount=Decimal("1500.00"),
        method=RevenueSplit.Method.TIME_RATE,
        status=RevenueSplit.Status.APPROVED,
    )
    SplitShare.objects.create(
        collective=world.collective, split=split, user=invoicing.member, amount=Decimal("1500.00")
    )
    inside = log_time(invoicing, invoicing.member, day=start + timedelta(days=1))
    after = log_time(invoicing, invoicing.member, day=end + timedelta(days=1))

    batch = invoicing.draft(activity_report_id=report.pk)
    invoice = invoice_issue(by=invoicing.member, invoice_id=batch.invoices.get().pk)

    with translation.override("fr"):
        period = {"start": date_format(start, "DATE_FORMAT"), "end": date_format(end, "DATE_FORMAT")}
    assert batch.label == in_french("Services from %(start)s to %(end)s", **period)
    assert (invoice.period_start, invoice.period_end, invoice.split_id) == (start, end, split.pk)
    assert b"<ram:BillingSpecifiedPeriod>" in bytes(invoice.xml)
    inside.refresh_from_db()
    after.refresh_from_db()
    assert (inside.locked_at is not None, after.locked_at) == (True, None)
    with pytest.raises(ValidationError, match="already invoiced"):
        invoicing.draft(activity_report_id=report.pk)
