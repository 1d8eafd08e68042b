"""Reads of the invoicing pages: a mission's batches of invoices and what can be invoiced next, the client's
invoices in the portal. Each is a constant number of queries whatever the number of invoices."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils.formats import date_format

from cordee.billing.access import readable_invoices
from cordee.billing.models import ActivityReport, BillingPlan, Invoice, InvoiceBatch
from cordee.billing.queries import invoiceable_deliverables
from cordee.billing.services.splits import split_sources
from cordee.billing.templatetags.billing import euros
from cordee.missions.models import Mission

RECENT_BATCHES = 20
PLAN_AMOUNTS = (Invoice.Kind.DEPOSIT, Invoice.Kind.BONUS)


@dataclass
class Invoicing:
    batches: list[InvoiceBatch]
    sources: list[tuple[str, str]]  # ("deliverable:12", "Deliverable: Design — 2 000,00 €") choices


def _invoices_prefetch(membership) -> Prefetch:
    """The batch's invoices the member reads (`cordee.billing.access`)."""
    invoices = (
        Invoice.objects.filter(readable_invoices(membership))
        .select_related("seller__user", "buyer_seller__user", "corrects")
        .defer("pdf", "xml")
        .order_by("document_type", "pk")
    )
    return Prefetch("invoices", queryset=invoices, to_attr="invoice_list")


def _live_sources(mission: Mission) -> tuple[set[int], set[int], set[tuple[int, str]]]:
    rows = (
        Invoice.objects.filter(mission=mission, document_type=Invoice.DocumentType.INVOICE)
        .exclude(status=Invoice.Status.CANCELLED)
        .values_list("deliverable_id", "activity_report_id", "plan_id", "kind")
    )
    deliverables, reports, plan_amounts = set(), set(), set()
    for deliverable_id, report_id, plan_id, kind in rows:
        if deliverable_id:
            deliverables.add(deliverable_id)
        if report_id:
            reports.add(report_id)
        if kind != Invoice.Kind.SERVICES:
            plan_amounts.add((plan_id, kind))
    return deliverables, reports, plan_amounts


def mission_invoicing(mission: Mission, plan: BillingPlan | None, membership) -> Invoicing:
    """The mission's recent batches, each with the invoices the member reads, and what can be invoiced."""
    batches = list(
        InvoiceBatch.objects.filter(collective_id=mission.collective_id, mission=mission)
        .prefetch_related(_invoices_prefetch(membership))
        .order_by("-created_at", "-pk")[:RECENT_BATCHES]
    )
    sources = []
    if plan is not None:
        invoiced_deliverables, invoiced_reports, invoiced_plan_amounts = _live_sources(mission)
        for source in split_sources(mission):
            if source.kind in PLAN_AMOUNTS and (plan.pk, source.kind) not in invoiced_plan_amounts:
                sources.append((f"{source.kind}:{plan.pk}", f"{source.title} — {euros(source.amount)}"))
        for item in invoiceable_deliverables(plan):
            if item.deliverable_id not in invoiced_deliverables:
                sources.append(
                    (f"deliverable:{item.deliverable_id}", f"{item.deliverable.title} — {euros(item.price)}")
                )
        reports = ActivityReport.objects.filter(
            collective_id=mission.collective_id, mission=mission, status=ActivityReport.Status.VALIDATED
        ).exclude(pk__in=invoiced_reports)
        for report in reports.order_by("period_start"):
            start, end = (
                date_format(report.period_start, "DATE_FORMAT"),
                date_format(report.period_end, "DATE_FORMAT"),
            )
            label = f"{start} – {end} — {euros(report.total_amount)}"
            sources.append((f"report:{report.pk}", label))
    return Invoicing(batches=batches, sources=sources)


def portal_mission_invoices(contact, mission: Mission) -> list[Invoice]:
    """The client's issued invoices and credit notes of one mission, newest first."""
    return list(
        Invoice.objects.filter(
            collective_id=contact.collective_id, client_id=contact.client_id, mission=mission
        )
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("corrects")
        .defer("pdf", "xml")
        .order_by("-issued_on", "-pk")
    )
